package ivr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/ivr/expr"
)

// JSONPath picks a value out of a decoded JSON document: "customer.vip",
// "accounts[0].balance" or "accounts.0.balance" (a leading "$." is allowed).
type JSONPath struct {
	src   string
	steps []pathStep
}

type pathStep struct {
	key   string
	index int // -1 for a key step
}

// ParseJSONPath parses a path such as "accounts[0].balance".
func ParseJSONPath(src string) (*JSONPath, error) {
	s := strings.TrimSpace(src)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "$"), ".")
	if s == "" {
		return nil, fmt.Errorf("empty JSON path: write the field to take, e.g. customer.vip")
	}
	p := &JSONPath{src: src}
	for _, seg := range strings.Split(s, ".") {
		if seg == "" {
			return nil, fmt.Errorf("JSON path %q has an empty part (two dots in a row?)", src)
		}
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			if n, err := strconv.Atoi(name); err == nil && n >= 0 {
				p.steps = append(p.steps, pathStep{index: n})
			} else {
				p.steps = append(p.steps, pathStep{key: name, index: -1})
			}
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(num)
			if !ok || err != nil || n < 0 {
				return nil, fmt.Errorf("JSON path %q: write list positions as [0], [1], ...", src)
			}
			p.steps = append(p.steps, pathStep{index: n})
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("JSON path %q: unexpected %q after ]", src, after)
			}
			rest = after[1:]
		}
	}
	return p, nil
}

// String returns the path as written.
func (p *JSONPath) String() string { return p.src }

// Get returns the value at the path in doc (as decoded by encoding/json into any).
func (p *JSONPath) Get(doc any) (any, bool) {
	cur := doc
	for _, st := range p.steps {
		switch v := cur.(type) {
		case map[string]any:
			key := st.key
			if st.index >= 0 {
				key = strconv.Itoa(st.index)
			}
			x, ok := v[key]
			if !ok {
				return nil, false
			}
			cur = x
		case []any:
			if st.index < 0 || st.index >= len(v) {
				return nil, false
			}
			cur = v[st.index]
		default:
			return nil, false
		}
	}
	return cur, true
}

// JSONTemplate is a JSON document whose texts are templates: {"number": "{{caller.number}}"}.
// A text that is exactly one {{expr}} keeps the expression's type (number, bool, ...).
type JSONTemplate struct {
	kind  byte // 'o' object, 'a' array, 't' template, 'v' literal
	keys  []string
	items []*JSONTemplate
	tmpl  *expr.Template
	lit   any
}

// Templates lists every template inside, for validation.
func (j *JSONTemplate) Templates() []*expr.Template {
	if j == nil {
		return nil
	}
	var out []*expr.Template
	if j.tmpl != nil {
		out = append(out, j.tmpl)
	}
	for _, it := range j.items {
		out = append(out, it.Templates()...)
	}
	return out
}

// Render evaluates the templates with env and encodes the document as JSON.
func (j *JSONTemplate) Render(env expr.Env) ([]byte, error) {
	var b bytes.Buffer
	if err := j.render(&b, env); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (j *JSONTemplate) render(b *bytes.Buffer, env expr.Env) error {
	switch j.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range j.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			if err := j.items[i].render(b, env); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, it := range j.items {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := it.render(b, env); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case 't':
		v, err := j.tmpl.Value(env)
		if err != nil {
			return err
		}
		vb, err := json.Marshal(v.Any())
		if err != nil {
			return fmt.Errorf("encode %q: %w", j.tmpl.String(), err)
		}
		b.Write(vb)
	default:
		vb, err := json.Marshal(j.lit)
		if err != nil {
			return fmt.Errorf("encode JSON literal: %w", err)
		}
		b.Write(vb)
	}
	return nil
}
