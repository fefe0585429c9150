package expr

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// node is one node of a parsed expression.
type node interface {
	eval(env Env) (Value, error)
}

type litNode struct{ v Value }

func (n *litNode) eval(Env) (Value, error) { return n.v, nil }

type nameNode struct{ ns, name string }

func (n *nameNode) eval(env Env) (Value, error) {
	if env == nil {
		return NullValue, nil
	}
	v, _ := env.Lookup(n.ns, n.name)
	return v, nil
}

type listNode struct{ items []node }

func (n *listNode) eval(env Env) (Value, error) {
	out := make([]Value, len(n.items))
	for i, it := range n.items {
		v, err := it.eval(env)
		if err != nil {
			return NullValue, err
		}
		out[i] = v
	}
	return ListValue(out), nil
}

type orNode struct{ l, r node }

func (n *orNode) eval(env Env) (Value, error) {
	l, err := n.l.eval(env)
	if err != nil || l.Truthy() {
		return BoolValue(err == nil), err
	}
	r, err := n.r.eval(env)
	return BoolValue(r.Truthy()), err
}

type andNode struct{ l, r node }

func (n *andNode) eval(env Env) (Value, error) {
	l, err := n.l.eval(env)
	if err != nil || !l.Truthy() {
		return BoolValue(false), err
	}
	r, err := n.r.eval(env)
	return BoolValue(r.Truthy()), err
}

type notNode struct{ x node }

func (n *notNode) eval(env Env) (Value, error) {
	v, err := n.x.eval(env)
	return BoolValue(!v.Truthy()), err
}

type matchNode struct {
	x  node
	re *regexp.Regexp
}

func (n *matchNode) eval(env Env) (Value, error) {
	v, err := n.x.eval(env)
	if err != nil {
		return NullValue, err
	}
	if v.kind == Null {
		return BoolValue(false), nil
	}
	return BoolValue(n.re.MatchString(v.String())), nil
}

type cmpNode struct {
	op   string
	l, r node
}

func (n *cmpNode) eval(env Env) (Value, error) {
	l, err := n.l.eval(env)
	if err != nil {
		return NullValue, err
	}
	r, err := n.r.eval(env)
	if err != nil {
		return NullValue, err
	}
	switch n.op {
	case "==":
		return BoolValue(Equal(l, r)), nil
	case "!=":
		return BoolValue(!Equal(l, r)), nil
	case "in", "not in":
		in := false
		switch r.kind {
		case List:
			for _, e := range r.l {
				if Equal(l, e) {
					in = true
					break
				}
			}
		case String:
			in = l.kind != Null && strings.Contains(r.s, l.String())
		case Null:
		default:
			return NullValue, &Error{Offset: -1, Msg: fmt.Sprintf("in needs a list or text on its right, got %s", r.kind)}
		}
		return BoolValue(in == (n.op == "in")), nil
	case "startswith":
		return BoolValue(l.kind != Null && strings.HasPrefix(l.String(), r.String())), nil
	case "endswith":
		return BoolValue(l.kind != Null && strings.HasSuffix(l.String(), r.String())), nil
	case "contains":
		if l.kind == List {
			for _, e := range l.l {
				if Equal(e, r) {
					return BoolValue(true), nil
				}
			}
			return BoolValue(false), nil
		}
		return BoolValue(l.kind != Null && strings.Contains(l.String(), r.String())), nil
	}
	c, err := compare(l, r)
	if err != nil {
		return NullValue, err
	}
	if c == cmpNull {
		return BoolValue(false), nil
	}
	switch n.op {
	case "<":
		return BoolValue(c < 0), nil
	case "<=":
		return BoolValue(c <= 0), nil
	case ">":
		return BoolValue(c > 0), nil
	default:
		return BoolValue(c >= 0), nil
	}
}

const cmpNull = 2

// compare orders two values: numbers (and numeric texts) by number, times by time, texts by
// text. Null compares as cmpNull (every ordering comparison with null is false).
func compare(l, r Value) (int, error) {
	if l.kind == Null || r.kind == Null {
		return cmpNull, nil
	}
	if l.kind == Time || r.kind == Time {
		lt, ok1 := l.Time()
		rt, ok2 := r.Time()
		if !ok1 || !ok2 {
			return 0, &Error{Offset: -1, Msg: fmt.Sprintf("cannot compare %s with %s: use now.time >= \"08:00\" or now.date == \"2026-12-24\"", l.kind, r.kind)}
		}
		return lt.Compare(rt), nil
	}
	if x, ok := l.Num(); ok {
		if y, ok := r.Num(); ok {
			switch {
			case x < y:
				return -1, nil
			case x > y:
				return 1, nil
			}
			return 0, nil
		}
	}
	if l.kind == List || r.kind == List {
		return 0, &Error{Offset: -1, Msg: "cannot order lists: use in to test membership"}
	}
	return strings.Compare(l.String(), r.String()), nil
}

type arithNode struct {
	op   byte
	l, r node
}

func (n *arithNode) eval(env Env) (Value, error) {
	l, err := n.l.eval(env)
	if err != nil {
		return NullValue, err
	}
	r, err := n.r.eval(env)
	if err != nil {
		return NullValue, err
	}
	if n.op == '+' && (l.kind == String || r.kind == String) {
		return StringValue(l.String() + r.String()), nil
	}
	// null counts as 0 so counters work without a declared default.
	x, ok1 := l.Num()
	y, ok2 := r.Num()
	if l.kind == Null {
		x, ok1 = 0, true
	}
	if r.kind == Null {
		y, ok2 = 0, true
	}
	if !ok1 || !ok2 {
		return NullValue, &Error{Offset: -1, Msg: fmt.Sprintf("cannot compute %q %c %q: both must be numbers", l.String(), n.op, r.String())}
	}
	var z float64
	switch n.op {
	case '+':
		z = x + y
	case '-':
		z = x - y
	case '*':
		z = x * y
	case '/':
		if y == 0 {
			return NullValue, &Error{Offset: -1, Msg: "division by zero"}
		}
		z = x / y
	case '%':
		if y == 0 {
			return NullValue, &Error{Offset: -1, Msg: "division by zero"}
		}
		z = math.Mod(x, y)
	}
	return NumberValue(z), nil
}

type fieldNode struct {
	x    node
	name string
	off  int
}

// Fields of a time value: now.hour, now.weekday, ...
var timeFields = map[string]func(time.Time) Value{
	"year":    func(t time.Time) Value { return NumberValue(float64(t.Year())) },
	"month":   func(t time.Time) Value { return NumberValue(float64(t.Month())) },
	"day":     func(t time.Time) Value { return NumberValue(float64(t.Day())) },
	"hour":    func(t time.Time) Value { return NumberValue(float64(t.Hour())) },
	"minute":  func(t time.Time) Value { return NumberValue(float64(t.Minute())) },
	"weekday": func(t time.Time) Value { return StringValue(strings.ToLower(t.Weekday().String()[:3])) },
	"date":    func(t time.Time) Value { return StringValue(t.Format("2006-01-02")) },
	"time":    func(t time.Time) Value { return StringValue(t.Format("15:04")) },
}

// TimeFields lists the fields of a time value (now.hour, now.weekday, ...).
func TimeFields() []string {
	return []string{"year", "month", "day", "hour", "minute", "weekday", "date", "time"}
}

func (n *fieldNode) eval(env Env) (Value, error) {
	v, err := n.x.eval(env)
	if err != nil {
		return NullValue, err
	}
	switch v.kind {
	case Null:
		return NullValue, nil
	case Time:
		if f, ok := timeFields[n.name]; ok {
			return f(v.t), nil
		}
		return NullValue, &Error{Offset: n.off, Msg: fmt.Sprintf("a time has no field %q; use one of %s", n.name, strings.Join(TimeFields(), ", "))}
	}
	return NullValue, &Error{Offset: n.off, Msg: fmt.Sprintf("a %s has no field %q", v.kind, n.name)}
}

type indexNode struct{ x, idx node }

func (n *indexNode) eval(env Env) (Value, error) {
	v, err := n.x.eval(env)
	if err != nil {
		return NullValue, err
	}
	i, err := n.idx.eval(env)
	if err != nil {
		return NullValue, err
	}
	k, ok := i.Num()
	if !ok {
		return NullValue, &Error{Offset: -1, Msg: "an index must be a number"}
	}
	switch v.kind {
	case List:
		if k < 0 || int(k) >= len(v.l) {
			return NullValue, nil
		}
		return v.l[int(k)], nil
	case String:
		r := []rune(v.s)
		if k < 0 || int(k) >= len(r) {
			return NullValue, nil
		}
		return StringValue(string(r[int(k)])), nil
	}
	return NullValue, nil
}

type callNode struct {
	name string
	f    *function
	args []node
}

func (n *callNode) eval(env Env) (Value, error) {
	if n.f.lazy != nil {
		return n.f.lazy(env, n.args)
	}
	var buf [3]Value
	vals := buf[:0]
	for _, a := range n.args {
		v, err := a.eval(env)
		if err != nil {
			return NullValue, err
		}
		vals = append(vals, v)
	}
	v, err := n.f.fn(vals)
	if err != nil {
		return NullValue, fmt.Errorf("%s: %w", n.name, err)
	}
	return v, nil
}
