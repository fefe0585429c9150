package ivr

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/ivrd/ivrd/ivr/expr"
)

// This file holds the helpers that read goccy/go-yaml AST nodes with positions: the parser
// works on the AST (not on decoded Go values) so every error can name file:line:col.

func closest(word string, candidates []string) string { return expr.Closest(word, candidates) }

// nodeReader reads AST nodes and reports problems into diags.
type nodeReader struct {
	diags
	anchors map[string]ast.Node
}

// pos returns where a node starts.
func (r *nodeReader) pos(n ast.Node) Pos {
	switch x := n.(type) {
	case nil:
		return Pos{File: r.file}
	case *ast.MappingNode:
		if len(x.Values) > 0 && !x.IsFlowStyle {
			return r.pos(x.Values[0].Key)
		}
		return r.tokPos(x.Start)
	case *ast.MappingValueNode:
		return r.pos(x.Key)
	case *ast.SequenceNode:
		return r.tokPos(x.Start)
	case *ast.LiteralNode:
		return r.tokPos(x.Start)
	case *ast.AnchorNode:
		return r.tokPos(x.Start)
	case *ast.TagNode:
		return r.tokPos(x.Start)
	case *ast.AliasNode:
		return r.tokPos(x.Start)
	case *ast.MappingKeyNode:
		return r.tokPos(x.Start)
	}
	return r.tokPos(n.GetToken())
}

func (r *nodeReader) tokPos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{File: r.file}
	}
	return Pos{File: r.file, Line: tk.Position.Line, Col: tk.Position.Column}
}

// at returns the position of byte offset off inside the scalar n (for errors inside
// expressions); multi-line scalars report the scalar's own position.
func (r *nodeReader) at(n ast.Node, src string, off int) Pos {
	p := r.pos(n)
	n = r.resolve(n)
	s, ok := n.(*ast.StringNode)
	if !ok || off < 0 || off > len(src) || strings.ContainsRune(src[:off], '\n') {
		return p
	}
	switch s.Token.Type {
	case token.DoubleQuoteType, token.SingleQuoteType:
		if strings.ContainsAny(src[:off], `\'"`) {
			return p // escapes make the column uncertain
		}
		p.Col++
	}
	p.Col += utf8.RuneCountInString(src[:off])
	return p
}

// resolve strips anchors and tags and follows aliases.
func (r *nodeReader) resolve(n ast.Node) ast.Node {
	for i := 0; i < 16 && n != nil; i++ {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.AliasNode:
			if x.Value == nil {
				return nil
			}
			target, ok := r.anchors[x.Value.String()]
			if !ok {
				return nil
			}
			n = target
		default:
			return n
		}
	}
	return n
}

// collectAnchors records every &anchor so that *aliases can be followed.
func (r *nodeReader) collectAnchors(n ast.Node) {
	if n == nil {
		return
	}
	ast.Walk(anchorVisitor{r}, n)
}

type anchorVisitor struct{ r *nodeReader }

func (v anchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		if v.r.anchors == nil {
			v.r.anchors = map[string]ast.Node{}
		}
		v.r.anchors[a.Name.String()] = a.Value
	}
	return v
}

func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// scalar returns the text of a scalar node (the source text for numbers and booleans).
func (r *nodeReader) scalar(n ast.Node) (string, bool) {
	switch x := r.resolve(n).(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", true
		}
		return x.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return x.GetToken().Value, true
	}
	return "", false
}

// describe names a node's type for "wrong type" errors.
func (r *nodeReader) describe(n ast.Node) string {
	switch r.resolve(n).(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping (key: value lines)"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode, *ast.FloatNode:
		return "a number"
	case *ast.BoolNode:
		return "true/false"
	}
	return "text"
}

// entry is one key: value of a mapping.
type entry struct {
	key  string
	kpos Pos
	kn   ast.Node // key node
	val  ast.Node // value node (resolved)
	raw  ast.Node // value node as written (for positions)
	used bool
}

func (e *entry) vpos(r *nodeReader) Pos {
	if isNull(e.raw) {
		return e.kpos
	}
	return r.pos(e.raw)
}

// pairs returns the key: value pairs of a mapping node, in order; ok is false when n is not
// a mapping. Duplicate keys are reported (what names the mapping: "step", "menu option").
func (r *nodeReader) pairs(n ast.Node, what string) ([]*entry, bool) {
	var values []*ast.MappingValueNode
	switch x := r.resolve(n).(type) {
	case *ast.MappingNode:
		values = x.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{x}
	default:
		return nil, false
	}
	var seen map[string]Pos // only for big mappings; small ones are searched in out
	if len(values) > 16 {
		seen = make(map[string]Pos, len(values))
	}
	out := make([]*entry, 0, len(values))
	slab := make([]entry, len(values)) // one allocation for all the entries
	for i, mv := range values {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			// <<: *defaults merges another mapping in.
			inner, ok := r.pairs(mv.Value, what)
			if !ok {
				r.errorf(r.pos(mv.Value), "<< must be followed by an alias of a mapping, such as *defaults")
				continue
			}
			for _, e := range inner {
				if _, dup := lookupSeen(seen, out, e.key); !dup {
					if seen != nil {
						seen[e.key] = e.kpos
					}
					out = append(out, e)
				}
			}
			continue
		}
		key, ok := r.scalar(mv.Key)
		kp := r.pos(mv.Key)
		if !ok {
			r.errorf(kp, "a %s key must be a plain word, not %s", what, r.describe(mv.Key))
			continue
		}
		if prev, dup := lookupSeen(seen, out, key); dup {
			r.errorf(kp, "duplicate %s %q: it is already defined at line %d, column %d; rename or remove one of them", what, key, prev.Line, prev.Col)
			continue
		}
		if seen != nil {
			seen[key] = kp
		}
		slab[i] = entry{key: key, kpos: kp, kn: mv.Key, val: r.resolve(mv.Value), raw: mv.Value}
		out = append(out, &slab[i])
	}
	return out, true
}

func lookupSeen(seen map[string]Pos, out []*entry, key string) (Pos, bool) {
	if seen != nil {
		p, ok := seen[key]
		return p, ok
	}
	for _, e := range out {
		if e.key == key {
			return e.kpos, true
		}
	}
	return Pos{}, false
}

// obj is a mapping read against a list of allowed keys.
type obj struct {
	r       *nodeReader
	what    string
	pos     Pos
	entries []*entry
	byKey   []keyed // the accepted entries, by the key they are read with
}

// object reads n as a mapping with the allowed fields. Unknown keys are errors with a "did
// you mean". ok is false (and an error reported) when n is not a mapping.
func (r *nodeReader) object(n ast.Node, what string, fields ...[]field) (*obj, bool) {
	return r.objectAt(n, what, Pos{}, fields...)
}

// objectAt is object with missing keys reported at the key that holds the mapping.
func (r *nodeReader) objectAt(n ast.Node, what string, at Pos, fields ...[]field) (*obj, bool) {
	entries, ok := r.pairs(n, what+" key")
	if !ok {
		r.errorf(r.pos(n), "%s must be a mapping (key: value lines), not %s", what, r.describe(n))
		return nil, false
	}
	o := &obj{r: r, what: what, pos: r.pos(n), entries: entries, byKey: make([]keyed, 0, len(entries))}
	for _, e := range entries {
		if what == "the flow file" && strings.HasPrefix(e.key, "x-") {
			continue // x-name: free space for YAML anchors (&defaults) reused below
		}
		if !hasField(fields, e.key) {
			if (e.key == "next" || e.key == "tag") && strings.Contains(what, " in step ") {
				kind, _, _ := strings.Cut(what, " ")
				if ks := kindSpecByKind[Kind(kind)]; ks != nil && ks.noNext && e.key == "next" {
					r.errorf(e.kpos, "%s", noNextMsg(ks.kind))
				} else {
					r.errorf(e.kpos, "%s: belongs to the step, not inside %s:; move it left to line up with %s:", e.key, kind, kind)
				}
				continue
			}
			allowed := keysOf(fields...)
			r.errorf(e.kpos, "unknown key %q in %s%s; allowed keys: %s", e.key, what, didYouMean(e.key, allowed), strings.Join(allowed, ", "))
			continue
		}
		o.byKey = append(o.byKey, keyed{e.key, e})
	}
	if at.Line == 0 {
		at = o.pos
	}
	for _, fl := range fields {
		for _, f := range fl {
			if f.req && o.lookup(f.key) == nil {
				r.errorf(at, "%s needs %s: (%s)", what, f.key, f.doc)
			}
		}
	}
	return o, true
}

func hasField(fields [][]field, key string) bool {
	for _, fl := range fields {
		for _, f := range fl {
			if f.key == key {
				return true
			}
		}
	}
	return false
}

// keyed is an entry of an obj with the key it is read with.
type keyed struct {
	key string
	e   *entry
}

// lookup returns the entry for key (nil when absent). Objects have a few keys each, so a
// search costs less than building a map for every step.
func (o *obj) lookup(key string) *entry {
	for _, k := range o.byKey {
		if k.key == key {
			return k.e
		}
	}
	return nil
}

// get returns the entry for key (nil when absent) and marks it used.
func (o *obj) get(key string) *entry {
	e := o.lookup(key)
	if e != nil {
		e.used = true
	}
	return e
}

// unused returns keys accepted but never read: a bug in the parser, caught by tests.
func (o *obj) unused() []string {
	var out []string
	for _, k := range o.byKey {
		if !k.e.used {
			out = append(out, k.key)
		}
	}
	sort.Strings(out)
	return out
}

// text reads key as a scalar; "" when absent or wrong (reported).
func (o *obj) text(key string) (string, *entry) {
	e := o.get(key)
	if e == nil {
		return "", nil
	}
	s, ok := o.r.scalar(e.val)
	if !ok {
		if isNull(e.val) {
			o.r.errorf(e.kpos, "%s: is empty in %s: give it a value", key, o.what)
		} else {
			o.r.errorf(e.vpos(o.r), "%s in %s must be text, not %s", key, o.what, o.r.describe(e.val))
		}
		return "", nil
	}
	return s, e
}

// duration reads key as a duration (5s, 1m30s, 500ms or a number of seconds).
func (o *obj) duration(key string, def time.Duration) time.Duration {
	s, e := o.text(key)
	if e == nil {
		return def
	}
	d, err := parseDuration(s)
	if err != nil {
		o.r.errorf(e.vpos(o.r), "%s in %s: %v", key, o.what, err)
		return def
	}
	return d
}

// parseDuration accepts Go durations (5s, 1m30s, 500ms) and plain numbers of seconds.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }) < 0 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: write it like 5s, 1m30s or 500ms", s)
		}
		if f > 86400 {
			return 0, fmt.Errorf("%q is out of range: use 0 to 24h", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like 5s, 1m30s or 500ms", s)
	}
	if d < 0 || d > 24*time.Hour {
		return 0, fmt.Errorf("%q is out of range: use 0 to 24h", s)
	}
	return d, nil
}

// integer reads key as a whole number within [lo, hi].
func (o *obj) integer(key string, def, lo, hi int) int {
	s, e := o.text(key)
	if e == nil {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		o.r.errorf(e.vpos(o.r), "%s in %s must be a whole number, not %q", key, o.what, s)
		return def
	}
	if n < lo || n > hi {
		o.r.errorf(e.vpos(o.r), "%s in %s must be between %d and %d, not %d", key, o.what, lo, hi, n)
		return def
	}
	return n
}

// boolean reads key as true/false.
func (o *obj) boolean(key string, def bool) bool {
	e := o.get(key)
	if e == nil {
		return def
	}
	b, ok := o.r.boolOf(e.val)
	if !ok {
		o.r.errorf(e.vpos(o.r), "%s in %s must be true or false, not %s", key, o.what, o.r.describe(e.val))
		return def
	}
	return b
}

func (r *nodeReader) boolOf(n ast.Node) (bool, bool) {
	if b, ok := r.resolve(n).(*ast.BoolNode); ok {
		return b.Value, true
	}
	s, ok := r.scalar(n)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// enum reads key as one of the allowed words.
func (o *obj) enum(key string, def string, allowed []string) string {
	s, e := o.text(key)
	if e == nil {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a
		}
	}
	o.r.errorf(e.vpos(o.r), "%s in %s must be one of %s, not %q%s", key, o.what, strings.Join(allowed, ", "), s, didYouMean(s, allowed))
	return def
}
