package expr

import (
	"fmt"
	"strings"
)

// Template is text with {{expression}} parts, parsed once and rendered many times. It is
// safe for concurrent use.
type Template struct {
	src   string
	parts []part
	refs  []Ref
}

type part struct {
	text string
	x    *Expr // nil for a text part
}

// ParseTemplate parses text with {{...}} parts. Offsets in errors and Refs are byte offsets
// in src.
func ParseTemplate(src string) (*Template, error) {
	t := &Template{src: src}
	rest, base := src, 0
	for {
		i := strings.Index(rest, "{{")
		j := strings.Index(rest, "}}")
		if j >= 0 && (i < 0 || j < i) {
			return nil, &Error{Offset: base + j, Msg: "}} without {{ before it"}
		}
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		end := strings.Index(rest[i+2:], "}}")
		if end < 0 {
			return nil, &Error{Offset: base + i, Msg: "{{ is not closed: add }} after the expression"}
		}
		inner := rest[i+2 : i+2+end]
		if strings.TrimSpace(inner) == "" {
			return nil, &Error{Offset: base + i, Msg: "empty {{ }}: put a name inside, e.g. {{caller.number}}"}
		}
		x, err := parseAt(inner, base+i+2)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, part{x: x})
		t.refs = append(t.refs, x.refs...)
		consumed := i + 2 + end + 2
		rest, base = rest[consumed:], base+consumed
	}
}

// MustParseTemplate is ParseTemplate that panics on error, for templates in Go code.
func MustParseTemplate(src string) *Template {
	t, err := ParseTemplate(src)
	if err != nil {
		panic(fmt.Sprintf("expr.MustParseTemplate(%q): %v", src, err))
	}
	return t
}

// Literal returns a template that renders s as is (no {{ }} parsing).
func Literal(s string) *Template {
	t := &Template{src: s}
	if s != "" {
		t.parts = []part{{text: s}}
	}
	return t
}

// String returns the source of the template.
func (t *Template) String() string { return t.src }

// Refs lists the names the template reads.
func (t *Template) Refs() []Ref { return t.refs }

// Constant reports whether the template has no {{ }} parts.
func (t *Template) Constant() bool {
	for _, p := range t.parts {
		if p.x != nil {
			return false
		}
	}
	return true
}

// Exprs returns the expressions of the {{ }} parts, in order.
func (t *Template) Exprs() []*Expr {
	var out []*Expr
	for _, p := range t.parts {
		if p.x != nil {
			out = append(out, p.x)
		}
	}
	return out
}

// Render renders the template; null values render as "".
func (t *Template) Render(env Env) (string, error) {
	switch len(t.parts) {
	case 0:
		return "", nil
	case 1:
		if t.parts[0].x == nil {
			return t.parts[0].text, nil
		}
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.x == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.x.Eval(env)
		if err != nil {
			return "", fmt.Errorf("in {{%s}}: %w", p.x.src, err)
		}
		b.WriteString(v.String())
	}
	return b.String(), nil
}

// Value evaluates the template to a typed value: a template that is exactly one {{expr}}
// gives the expression's value (a number stays a number); any other template gives its
// rendered text.
func (t *Template) Value(env Env) (Value, error) {
	if len(t.parts) == 1 && t.parts[0].x != nil {
		return t.parts[0].x.Eval(env)
	}
	s, err := t.Render(env)
	if err != nil {
		return NullValue, err
	}
	return StringValue(s), nil
}
