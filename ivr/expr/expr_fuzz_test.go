package expr

import "testing"

// FuzzParse: any text parses to an expression or an *Error, and evaluating what parses
// never panics.
//
//	go test ./ivr/expr -run '^$' -fuzz FuzzParse -fuzztime 1m
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`vars.a == 1 and caller.number startswith "+44"`,
		`now.time >= "08:00" and now.weekday in ["sat", "sun"]`,
		`vars.account | last(4) | digits`,
		`if(vars.vip, 10, 0) + -vars.x * (2 % 3) / 4`,
		`vars.x matches "^[0-9]{8}$" or not vars.y`,
		`Hello {{caller.name | default("friend")}}, {{vars.balance | money}}`,
		`[1, 2, [3]][0]`,
	} {
		f.Add(s)
	}
	env := testEnv()
	f.Fuzz(func(t *testing.T, src string) {
		if x, err := Parse(src); err == nil {
			_, _ = x.Eval(env)
			_ = x.Refs()
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("parse error of type %T: %v", err, err)
		}
		if tp, err := ParseTemplate(src); err == nil {
			_, _ = tp.Render(env)
			_, _ = tp.Value(env)
		} else if e, ok := err.(*Error); !ok || e.Offset < 0 || e.Offset > len(src) {
			t.Fatalf("template error %T %v out of range", err, err)
		}
	})
}
