package expr

import (
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// function is a built-in function; every function can also be used as a template filter,
// the piped value becoming its first argument: {{vars.card | last(4) | digits}}.
type function struct {
	min, max int
	usage    string
	doc      string
	fn       func(args []Value) (Value, error)
	lazy     func(env Env, args []node) (Value, error) // for if(): evaluates only one branch
}

var functions map[string]*function

func init() {
	functions = map[string]*function{
		"digits": {1, 1, "digits(x)", "spaces the characters out for reading back: \"1234\" -> \"1 2 3 4\"", fnDigits, nil},
		"money":  {1, 1, "money(x)", "a number with two decimals: 12.5 -> \"12.50\"", fnMoney, nil},
		"upper":  {1, 1, "upper(x)", "UPPER CASE", func(a []Value) (Value, error) { return StringValue(strings.ToUpper(a[0].String())), nil }, nil},
		"lower":  {1, 1, "lower(x)", "lower case", func(a []Value) (Value, error) { return StringValue(strings.ToLower(a[0].String())), nil }, nil},
		"trim":   {1, 1, "trim(x)", "without spaces at either end", func(a []Value) (Value, error) { return StringValue(strings.TrimSpace(a[0].String())), nil }, nil},
		"len":    {1, 1, "len(x)", "the number of characters of a text or items of a list", fnLen, nil},
		"last":   {2, 2, "last(x, n)", "the last n characters: last(\"12345678\", 4) -> \"5678\"", fnLast, nil},
		"first":  {2, 2, "first(x, n)", "the first n characters", fnFirst, nil},
		"number": {1, 1, "number(x)", "the text as a number (null when it is not one)", fnNumber, nil},
		"text":   {1, 1, "text(x)", "the value as text", func(a []Value) (Value, error) { return StringValue(a[0].String()), nil }, nil},
		"default": {2, 2, "default(x, fallback)", "x, or fallback when x is null or empty", func(a []Value) (Value, error) {
			if a[0].kind == Null || a[0].kind == String && a[0].s == "" {
				return a[1], nil
			}
			return a[0], nil
		}, nil},
		"urlquery": {1, 1, "urlquery(x)", "escaped for use in a URL query: \"+44 20\" -> \"%2B44+20\"", func(a []Value) (Value, error) {
			return StringValue(url.QueryEscape(a[0].String())), nil
		}, nil},
		"if": {3, 3, "if(condition, a, b)", "a when condition is true, else b", nil, fnIf},
	}
}

// FunctionNames lists the built-in functions (and filters), sorted.
func FunctionNames() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// FunctionDoc returns the usage and one-line description of a function.
func FunctionDoc(name string) (usage, doc string, ok bool) {
	f, ok := functions[name]
	if !ok {
		return "", "", false
	}
	return f.usage, f.doc, true
}

func fnDigits(a []Value) (Value, error) {
	s := a[0].String()
	var b strings.Builder
	b.Grow(2 * len(s))
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return StringValue(b.String()), nil
}

func fnMoney(a []Value) (Value, error) {
	if a[0].kind == Null {
		return NullValue, nil
	}
	n, ok := a[0].Num()
	if !ok {
		return NullValue, errors.New("money needs a number, got " + strconv.Quote(a[0].String()))
	}
	return StringValue(strconv.FormatFloat(n, 'f', 2, 64)), nil
}

func fnLen(a []Value) (Value, error) {
	if a[0].kind == List {
		return NumberValue(float64(len(a[0].l))), nil
	}
	return NumberValue(float64(utf8.RuneCountInString(a[0].String()))), nil
}

func count(v Value) (int, error) {
	n, ok := v.Num()
	if !ok || n < 0 {
		return 0, errors.New("the count must be a number of 0 or more")
	}
	return int(n), nil
}

func fnLast(a []Value) (Value, error) {
	n, err := count(a[1])
	if err != nil {
		return NullValue, err
	}
	r := []rune(a[0].String())
	if n < len(r) {
		r = r[len(r)-n:]
	}
	return StringValue(string(r)), nil
}

func fnFirst(a []Value) (Value, error) {
	n, err := count(a[1])
	if err != nil {
		return NullValue, err
	}
	r := []rune(a[0].String())
	if n < len(r) {
		r = r[:n]
	}
	return StringValue(string(r)), nil
}

func fnNumber(a []Value) (Value, error) {
	if n, ok := a[0].Num(); ok {
		return NumberValue(n), nil
	}
	return NullValue, nil
}

func fnIf(env Env, args []node) (Value, error) {
	c, err := args[0].eval(env)
	if err != nil {
		return NullValue, err
	}
	if c.Truthy() {
		return args[1].eval(env)
	}
	return args[2].eval(env)
}

// Closest returns the candidate nearest to word by edit distance, or "" when none is close
// enough to be a likely typo. It is what "did you mean" hints use.
func Closest(word string, candidates []string) string {
	best, bestD := "", 1<<30
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := editDistance(lw, strings.ToLower(c))
		if d < bestD || d == bestD && better(lw, c, best) {
			best, bestD = c, d
		}
	}
	limit := 1 + utf8.RuneCountInString(word)/3
	if limit > 3 {
		limit = 3
	}
	if best == "" || bestD > limit {
		return ""
	}
	return best
}

// better breaks ties between equally distant candidates: the one starting like the word,
// then the alphabetically first.
func better(word, c, best string) bool {
	cf := strings.HasPrefix(strings.ToLower(c), word[:min(1, len(word))])
	bf := strings.HasPrefix(strings.ToLower(best), word[:min(1, len(word))])
	if cf != bf {
		return cf
	}
	return c < best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	// optimal string alignment distance: "mian" -> "main" is one edit
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
