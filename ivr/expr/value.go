package expr

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

// The kinds of value. The zero Value is Null.
const (
	Null Kind = iota
	Bool
	Number
	String
	Time
	List
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "bool"
	case Number:
		return "number"
	case String:
		return "text"
	case Time:
		return "time"
	case List:
		return "list"
	}
	return "?"
}

// Value is a value of the language: null, bool, number (float64), text, time or list. It is
// a small struct passed by value; the zero Value is null.
type Value struct {
	kind Kind
	b    bool
	n    float64
	s    string
	t    time.Time
	l    []Value
}

// NullValue is the null value (what a missing variable evaluates to).
var NullValue = Value{}

// BoolValue returns a bool value.
func BoolValue(b bool) Value { return Value{kind: Bool, b: b} }

// NumberValue returns a number value.
func NumberValue(n float64) Value { return Value{kind: Number, n: n} }

// StringValue returns a text value.
func StringValue(s string) Value { return Value{kind: String, s: s} }

// TimeValue returns a time value (what `now` is).
func TimeValue(t time.Time) Value { return Value{kind: Time, t: t} }

// ListValue returns a list value.
func ListValue(l []Value) Value { return Value{kind: List, l: l} }

// FromAny converts a decoded JSON or YAML value (nil, bool, float64, int, string, []any,
// map[string]any, time.Time) to a Value. Maps (JSON objects) become their JSON-ish text.
func FromAny(v any) Value {
	switch x := v.(type) {
	case nil:
		return NullValue
	case Value:
		return x
	case bool:
		return BoolValue(x)
	case float64:
		return NumberValue(x)
	case float32:
		return NumberValue(float64(x))
	case int:
		return NumberValue(float64(x))
	case int64:
		return NumberValue(float64(x))
	case uint64:
		return NumberValue(float64(x))
	case string:
		return StringValue(x)
	case time.Time:
		return TimeValue(x)
	case []any:
		l := make([]Value, len(x))
		for i, e := range x {
			l[i] = FromAny(e)
		}
		return ListValue(l)
	case []string:
		l := make([]Value, len(x))
		for i, e := range x {
			l[i] = StringValue(e)
		}
		return ListValue(l)
	}
	if b, err := json.Marshal(v); err == nil {
		return StringValue(string(b))
	}
	return StringValue(fmt.Sprint(v))
}

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == Null }

// Bool returns the bool of a Bool value (false otherwise).
func (v Value) Bool() bool { return v.kind == Bool && v.b }

// Num returns the number of a Number value, or of a text that is a number; ok is false when
// v is neither.
func (v Value) Num() (float64, bool) {
	switch v.kind {
	case Number:
		return v.n, true
	case String:
		s := strings.TrimSpace(v.s)
		if s == "" {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	case Bool:
		if v.b {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Time returns the time of a Time value.
func (v Value) Time() (time.Time, bool) { return v.t, v.kind == Time }

// List returns the items of a List value.
func (v Value) List() []Value { return v.l }

// Truthy is how a value counts as a condition: false, null, 0, "" , "false", "no", "0" and
// the empty list are false; everything else is true.
func (v Value) Truthy() bool {
	switch v.kind {
	case Null:
		return false
	case Bool:
		return v.b
	case Number:
		return v.n != 0
	case String:
		switch strings.ToLower(strings.TrimSpace(v.s)) {
		case "", "false", "no", "0", "off":
			return false
		}
		return true
	case Time:
		return !v.t.IsZero()
	case List:
		return len(v.l) > 0
	}
	return false
}

// String renders v as text: null is "", numbers without trailing zeros (12, 12.5), times as
// RFC 3339, lists comma-separated.
func (v Value) String() string {
	switch v.kind {
	case Null:
		return ""
	case Bool:
		if v.b {
			return "true"
		}
		return "false"
	case Number:
		return formatNumber(v.n)
	case String:
		return v.s
	case Time:
		return v.t.Format(time.RFC3339)
	case List:
		parts := make([]string, len(v.l))
		for i, e := range v.l {
			parts[i] = e.String()
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// Any converts v to a plain Go value for JSON encoding: nil, bool, float64, string, []any.
func (v Value) Any() any {
	switch v.kind {
	case Bool:
		return v.b
	case Number:
		return v.n
	case String:
		return v.s
	case Time:
		return v.t.Format(time.RFC3339)
	case List:
		out := make([]any, len(v.l))
		for i, e := range v.l {
			out[i] = e.Any()
		}
		return out
	}
	return nil
}

func formatNumber(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// Equal compares like the == operator: numbers and numeric texts by number, texts exactly,
// null only equals null.
func Equal(a, b Value) bool {
	if a.kind == Null || b.kind == Null {
		return a.kind == b.kind
	}
	if a.kind == b.kind {
		switch a.kind {
		case Bool:
			return a.b == b.b
		case Number:
			return a.n == b.n
		case String:
			return a.s == b.s
		case Time:
			return a.t.Equal(b.t)
		case List:
			if len(a.l) != len(b.l) {
				return false
			}
			for i := range a.l {
				if !Equal(a.l[i], b.l[i]) {
					return false
				}
			}
			return true
		}
	}
	if a.kind == Bool || b.kind == Bool {
		// "true" == true, "yes" == true: lookups and inputs often return text.
		return a.Truthy() == b.Truthy() && (a.kind == String || b.kind == String || a.kind == Number || b.kind == Number)
	}
	x, ok1 := a.Num()
	y, ok2 := b.Num()
	if ok1 && ok2 {
		return x == y
	}
	return a.String() == b.String()
}
