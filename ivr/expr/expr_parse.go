package expr

import (
	"fmt"
	"regexp"
	"strings"
)

// Error is a parse or evaluation error. Offset is the byte offset in the expression or
// template source where the problem is (-1 when unknown, e.g. at evaluation).
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Ref is a name an expression reads: NS is the first word (vars, caller, call, now, ...),
// Name the second ("" for a bare word such as now). Offset is where it starts in the source.
type Ref struct {
	NS     string
	Name   string
	Offset int
}

// Expr is a parsed expression, safe for concurrent use.
type Expr struct {
	src  string
	root node
	refs []Ref
}

// String returns the source of the expression.
func (e *Expr) String() string { return e.src }

// Refs lists the names the expression reads, in source order.
func (e *Expr) Refs() []Ref { return e.refs }

// Constant reports whether the expression reads no names (its value never changes).
func (e *Expr) Constant() bool { return len(e.refs) == 0 }

// Env gives an expression the values of names. Lookup("vars", "balance") is vars.balance;
// Lookup("now", "") is the current time. ok false means missing: the name evaluates to null.
type Env interface {
	Lookup(ns, name string) (v Value, ok bool)
}

// Eval evaluates the expression. Errors are type errors such as comparing a time with a
// number; a missing variable is not an error (it is null).
func (e *Expr) Eval(env Env) (Value, error) {
	return e.root.eval(env)
}

// EvalBool evaluates the expression as a condition (see Value.Truthy).
func (e *Expr) EvalBool(env Env) (bool, error) {
	v, err := e.root.eval(env)
	if err != nil {
		return false, err
	}
	return v.Truthy(), nil
}

// Parse parses an expression.
func Parse(src string) (*Expr, error) {
	return parseAt(src, 0)
}

// MustParse is Parse that panics on error, for expressions in Go code and tests.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic(fmt.Sprintf("expr.MustParse(%q): %v", src, err))
	}
	return e
}

// parseAt parses src, reporting offsets shifted by base (for expressions inside templates).
func parseAt(src string, base int) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		shift(err, base)
		return nil, err
	}
	p := &parser{toks: toks}
	if toks[0].kind == tEOF {
		return nil, &Error{Offset: base, Msg: "empty expression: write a condition such as vars.vip == true"}
	}
	root, err := p.pipe()
	if err == nil && p.peek().kind != tEOF {
		t := p.peek()
		err = &Error{Offset: t.off, Msg: fmt.Sprintf("unexpected %q after a complete expression: join conditions with and / or", tokText(t))}
	}
	if err != nil {
		shift(err, base)
		return nil, err
	}
	for i := range p.refs {
		p.refs[i].Offset += base
	}
	return &Expr{src: src, root: root, refs: p.refs}, nil
}

func shift(err error, base int) {
	if e, ok := err.(*Error); ok && e.Offset >= 0 {
		e.Offset += base
	}
}

type parser struct {
	toks  []token
	pos   int
	refs  []Ref
	depth int
}

const maxDepth = 64

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == s
}

func (p *parser) isWord(s string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == s
}

func tokText(t token) string {
	switch t.kind {
	case tEOF:
		return "end"
	case tStr:
		return `"` + t.text + `"`
	}
	return t.text
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &Error{Offset: t.off, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) expect(op string) error {
	if !p.isOp(op) {
		t := p.peek()
		return p.errAt(t, "expected %q, found %s", op, tokText(t))
	}
	p.next()
	return nil
}

// pipe := or ( "|" filter [ "(" args ")" ] )*
func (p *parser) pipe() (node, error) {
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	for p.isOp("|") {
		p.next()
		t := p.next()
		if t.kind != tIdent {
			return nil, p.errAt(t, "expected a filter name after |, e.g. | digits")
		}
		args := []node{n}
		if p.isOp("(") {
			more, err := p.args()
			if err != nil {
				return nil, err
			}
			args = append(args, more...)
		}
		n, err = p.call(t, args)
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (p *parser) or() (node, error) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		n = &orNode{n, r}
	}
	return n, nil
}

func (p *parser) and() (node, error) {
	n, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		n = &andNode{n, r}
	}
	return n, nil
}

func (p *parser) not() (node, error) {
	if p.isWord("not") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return &notNode{n}, nil
	}
	return p.cmp()
}

var cmpWords = map[string]bool{"in": true, "startswith": true, "endswith": true, "contains": true, "matches": true}

func (p *parser) cmp() (node, error) {
	l, err := p.add()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	op := ""
	switch {
	case t.kind == tOp && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		op = t.text
		p.next()
	case t.kind == tIdent && cmpWords[t.text]:
		op = t.text
		p.next()
	case t.kind == tIdent && t.text == "not" && p.toks[p.pos+1].kind == tIdent && p.toks[p.pos+1].text == "in":
		op = "not in"
		p.next()
		p.next()
	default:
		return l, nil
	}
	rt := p.peek()
	r, err := p.add()
	if err != nil {
		return nil, err
	}
	if op == "matches" {
		lit, ok := r.(*litNode)
		if !ok || lit.v.kind != String {
			return nil, p.errAt(rt, "matches needs a pattern in quotes, e.g. matches \"^[0-9]{8}$\"")
		}
		re, err := regexp.Compile(lit.v.s)
		if err != nil {
			return nil, p.errAt(rt, "bad regex %q: %s", lit.v.s, regexErrText(err))
		}
		return &matchNode{l, re}, nil
	}
	if nx := p.peek(); nx.kind == tOp && (nx.text == "==" || nx.text == "!=" || nx.text == "<" || nx.text == "<=" || nx.text == ">" || nx.text == ">=") {
		return nil, p.errAt(nx, "comparisons cannot be chained: write a < b and b < c")
	}
	return &cmpNode{op: op, l: l, r: r}, nil
}

func regexErrText(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "error parsing regexp") {
		return s[i+2:]
	}
	return s
}

func (p *parser) add() (node, error) {
	n, err := p.mul()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := p.next().text
		r, err := p.mul()
		if err != nil {
			return nil, err
		}
		n = &arithNode{op: op[0], l: n, r: r}
	}
	return n, nil
}

func (p *parser) mul() (node, error) {
	n, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		op := p.next().text
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		n = &arithNode{op: op[0], l: n, r: r}
	}
	return n, nil
}

func (p *parser) unary() (node, error) {
	if p.isOp("-") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &arithNode{op: '-', l: &litNode{NumberValue(0)}, r: n}, nil
	}
	return p.postfix()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(p.peek(), "expression nested too deeply")
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) postfix() (node, error) {
	n, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("."):
			p.next()
			t := p.next()
			if t.kind != tIdent {
				return nil, p.errAt(t, "expected a field name after the dot")
			}
			if nn, ok := n.(*nameNode); ok && nn.ns == "now" {
				if _, ok := timeFields[t.text]; !ok {
					return nil, p.errAt(t, "a time has no field %q%s; use one of %s", t.text, didYouMeanText(t.text, TimeFields()), strings.Join(TimeFields(), ", "))
				}
			}
			n = &fieldNode{x: n, name: t.text, off: t.off}
		case p.isOp("["):
			p.next()
			idx, err := p.pipe()
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			n = &indexNode{x: n, idx: idx}
		default:
			return n, nil
		}
	}
}

func (p *parser) primary() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.next()
	switch t.kind {
	case tNum:
		return &litNode{NumberValue(t.num)}, nil
	case tStr:
		return &litNode{StringValue(t.text)}, nil
	case tOp:
		switch t.text {
		case "(":
			n, err := p.pipe()
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return n, nil
		case "[":
			var items []node
			for !p.isOp("]") {
				if len(items) > 0 {
					if err := p.expect(","); err != nil {
						return nil, err
					}
					if p.isOp("]") {
						break
					}
				}
				it, err := p.pipe()
				if err != nil {
					return nil, err
				}
				items = append(items, it)
			}
			p.next()
			// A list of literals is built once, here, not at every evaluation.
			vals := make([]Value, 0, len(items))
			for _, it := range items {
				if lit, ok := it.(*litNode); ok {
					vals = append(vals, lit.v)
				}
			}
			if len(vals) == len(items) {
				return &litNode{ListValue(vals)}, nil
			}
			return &listNode{items}, nil
		}
		return nil, p.errAt(t, "unexpected %q", t.text)
	case tIdent:
		switch t.text {
		case "true":
			return &litNode{BoolValue(true)}, nil
		case "false":
			return &litNode{BoolValue(false)}, nil
		case "null":
			return &litNode{NullValue}, nil
		case "and", "or", "not", "in", "startswith", "endswith", "contains", "matches":
			return nil, p.errAt(t, "%q needs a value before it", t.text)
		}
		if p.isOp("(") {
			args, err := p.args()
			if err != nil {
				return nil, err
			}
			return p.call(t, args)
		}
		ref := Ref{NS: t.text, Offset: t.off}
		if t.text == "now" {
			p.refs = append(p.refs, ref)
			return &nameNode{ns: "now"}, nil
		}
		if p.isOp(".") && p.toks[p.pos+1].kind == tIdent {
			p.next()
			ref.Name = p.next().text
		}
		p.refs = append(p.refs, ref)
		return &nameNode{ns: ref.NS, name: ref.Name}, nil
	}
	return nil, p.errAt(t, "expected a value, found %s", tokText(t))
}

func (p *parser) args() ([]node, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var args []node
	for !p.isOp(")") {
		if len(args) > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		a, err := p.pipe()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	p.next()
	return args, nil
}

func (p *parser) call(name token, args []node) (node, error) {
	f, ok := functions[name.text]
	if !ok {
		hint := ""
		if c := Closest(name.text, FunctionNames()); c != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", c)
		}
		return nil, p.errAt(name, "unknown function %q%s", name.text, hint)
	}
	if len(args) < f.min || len(args) > f.max {
		want := fmt.Sprint(f.min)
		if f.max != f.min {
			want = fmt.Sprintf("%d to %d", f.min, f.max)
		}
		return nil, p.errAt(name, "%s takes %s value(s), got %d: %s", name.text, want, len(args), f.usage)
	}
	return &callNode{name: name.text, f: f, args: args}, nil
}

func didYouMeanText(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}
