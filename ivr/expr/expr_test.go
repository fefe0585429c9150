package expr

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testEnv is a caller with a few variables, called on Tuesday 24 Nov 2026 at 10:30.
func testEnv() MapEnv {
	now := time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)
	return MapEnv{
		"vars": {
			"balance": NumberValue(1234.5),
			"vip":     BoolValue(true),
			"account": StringValue("00123456"),
			"tries":   NumberValue(2),
			"segment": StringValue("gold"),
			"text_no": StringValue("false"),
			"amount":  StringValue("150.00"),
			"list":    ListValue([]Value{StringValue("a"), StringValue("b")}),
			"name":    StringValue("Ann"),
		},
		"caller": {"number": StringValue("+441234567890"), "name": StringValue("Ann Smith")},
		"call":   {"called": StringValue("5000")},
		"now":    {"": TimeValue(now)},
	}
}

func TestExpressionsEvaluate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src  string
		want string // the value as text
	}{
		{`1 + 2 * 3`, "7"},
		{`(1 + 2) * 3`, "9"},
		{`7 % 4`, "3"},
		{`-vars.tries + 5`, "3"},
		{`10 / 4`, "2.5"},
		{`vars.tries + 1`, "3"},
		{`vars.missing + 1`, "1"},
		{`"a" + "b"`, "ab"},
		{`"n=" + 5`, "n=5"},
		{`vars.vip == true`, "true"},
		{`vars.vip`, "true"},
		{`not vars.vip`, "false"},
		{`vars.text_no == false`, "true"},
		{`vars.segment == "gold" and vars.tries < 3`, "true"},
		{`vars.segment == "silver" or vars.tries >= 3`, "false"},
		{`vars.amount > 100`, "true"},
		{`vars.amount == 150`, "true"},
		{`vars.account == "00123456"`, "true"},
		{`vars.missing == null`, "true"},
		{`vars.missing == ""`, "false"},
		{`vars.missing > 1`, "false"},
		{`caller.number startswith "+44"`, "true"},
		{`caller.number endswith "890"`, "true"},
		{`caller.name contains "Smith"`, "true"},
		{`caller.number matches "^\+44[0-9]{10}$"`, "true"},
		{`vars.account matches "^[0-9]{8}$"`, "true"},
		{`vars.missing matches ".*"`, "false"},
		{`vars.segment in ["gold", "platinum"]`, "true"},
		{`vars.segment not in ["gold", "platinum"]`, "false"},
		{`"b" in vars.list`, "true"},
		{`vars.list contains "c"`, "false"},
		{`"old" in vars.segment`, "true"},
		{`call.called == "5000"`, "true"},
		{`now.hour`, "10"},
		{`now.minute`, "30"},
		{`now.weekday`, "tue"},
		{`now.date`, "2026-11-24"},
		{`now.time >= "08:00" and now.time < "20:00"`, "true"},
		{`now.weekday in ["sat", "sun"]`, "false"},
		{`now.year * 100 + now.month`, "202611"},
		{`if(vars.vip, 10, 0)`, "10"},
		{`if(vars.missing, 10, 0)`, "0"},
		{`vars.account | digits`, "0 0 1 2 3 4 5 6"},
		{`vars.account | last(4) | digits`, "3 4 5 6"},
		{`first(vars.account, 3)`, "001"},
		{`vars.balance | money`, "1234.50"},
		{`vars.name | upper`, "ANN"},
		{`vars.missing | default("friend")`, "friend"},
		{`caller.number | urlquery`, "%2B441234567890"},
		{`len(vars.account)`, "8"},
		{`len(vars.list)`, "2"},
		{`number("42") + 1`, "43"},
		{`text(5) + "x"`, "5x"},
		{`vars.list[1]`, "b"},
		{`vars.list[5]`, ""},
		{`"it's"`, "it's"},
		{`'say "hi"'`, `say "hi"`},
		{`1_000 + 1`, "1001"},
	}
	env := testEnv()
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			x, err := Parse(c.src)
			require.NoError(t, err)
			v, err := x.Eval(env)
			require.NoError(t, err)
			require.Equal(t, c.want, v.String())
		})
	}
}

func TestParseErrorsSayWhereAndWhatToDo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src    string
		offset int
		msg    string
	}{
		{`vars.a && vars.b`, 7, `write "and" instead of &&`},
		{`vars.a || vars.b`, 7, `write "or" instead of ||`},
		{`!vars.a`, 0, `write "not" instead of !`},
		{`vars.a = 1`, 7, `write == to compare`},
		{`vars.a == "x`, 10, `not closed`},
		{`vars.a matches "[0-9"`, 15, `bad regex "[0-9"`},
		{`vars.a matches vars.b`, 15, `matches needs a pattern in quotes`},
		{`lenght(vars.a)`, 0, `unknown function "lenght" (did you mean "len"?)`},
		{`vars.a | digts`, 9, `unknown function "digts" (did you mean "digits"?)`},
		{`last(vars.a)`, 0, `last takes 2 value(s), got 1`},
		{`1 < 2 < 3`, 6, `comparisons cannot be chained`},
		{`vars.a vars.b`, 7, `unexpected "vars" after a complete expression`},
		{`(1 + 2`, 6, `expected ")"`},
		{``, 0, `empty expression`},
		{`{{vars.a}}`, 0, `no {{ }} in an expression`},
		{`vars.a == 1.2.3`, 10, `is not a number`},
		{`now.hours`, 4, `a time has no field "hours"`},
		{`and 1`, 0, `"and" needs a value before it`},
		{`1 + `, 4, `expected a value, found end`},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			_, err := Parse(c.src)
			require.Error(t, err)
			var xe *Error
			require.ErrorAs(t, err, &xe)
			require.Contains(t, xe.Msg, c.msg)
			require.Equal(t, c.offset, xe.Offset, "offset of %q", xe.Msg)
		})
	}
}

func TestEvaluationErrorsAreErrorsNotPanics(t *testing.T) {
	t.Parallel()
	env := testEnv()
	for _, src := range []string{
		`now > 5`,
		`vars.segment - 1`,
		`1 / 0`,
		`5 % 0`,
		`vars.balance in 5`,
		`vars.segment | money`,
		`last(vars.account, "x")`,
		`vars.list < vars.list`,
		`vars.segment.x`,
	} {
		t.Run(src, func(t *testing.T) {
			x, err := Parse(src)
			require.NoError(t, err)
			_, err = x.Eval(env)
			require.Error(t, err)
		})
	}
}

func TestRefsListTheNamesAnExpressionReads(t *testing.T) {
	t.Parallel()
	x := MustParse(`vars.a + 1 > vars.b and caller.number startswith "+1" and now.hour < 9`)
	var got []string
	for _, r := range x.Refs() {
		got = append(got, r.NS+"."+r.Name)
	}
	require.Equal(t, []string{"vars.a", "vars.b", "caller.number", "now."}, got)
	require.Equal(t, 13, x.Refs()[1].Offset)
	require.True(t, MustParse(`1 + 2`).Constant())
}

func TestTemplatesRender(t *testing.T) {
	t.Parallel()
	env := testEnv()
	cases := []struct {
		src, want string
	}{
		{"plain text", "plain text"},
		{"", ""},
		{"Hello {{vars.name}}!", "Hello Ann!"},
		{"You entered {{vars.account | digits}}, press 1 if correct", "You entered 0 0 1 2 3 4 5 6, press 1 if correct"},
		{"Balance: {{vars.balance | money}} ({{ vars.missing }})", "Balance: 1234.50 ()"},
		{"{{caller.number}}{{call.called}}", "+4412345678905000"},
		{"{{if(vars.vip, 'Premier', 'Standard')}} customer", "Premier customer"},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			tp, err := ParseTemplate(c.src)
			require.NoError(t, err)
			got, err := tp.Render(env)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestTemplateValueKeepsTheTypeOfASingleExpression(t *testing.T) {
	t.Parallel()
	env := testEnv()
	v, err := MustParseTemplate("{{vars.tries + 1}}").Value(env)
	require.NoError(t, err)
	require.Equal(t, Number, v.Kind())
	v, err = MustParseTemplate("n={{vars.tries + 1}}").Value(env)
	require.NoError(t, err)
	require.Equal(t, String, v.Kind())
	require.Equal(t, "n=3", v.String())
	require.True(t, Literal("{{not parsed}}").Constant())
	s, err := Literal("{{not parsed}}").Render(env)
	require.NoError(t, err)
	require.Equal(t, "{{not parsed}}", s)
}

func TestTemplateErrorsGiveTheOffsetInTheWholeText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src    string
		offset int
		msg    string
	}{
		{"Hello {{vars.name", 6, "{{ is not closed"},
		{"Hello }} there", 6, "}} without {{"},
		{"Hello {{ }}", 6, "empty {{ }}"},
		{"Hi {{vars.a}} and {{vars.b &&}}", 27, `write "and" instead of &&`},
		{"Hi {{vars.a | nope}}", 14, `unknown function "nope"`},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			_, err := ParseTemplate(c.src)
			var xe *Error
			require.ErrorAs(t, err, &xe)
			require.Contains(t, xe.Msg, c.msg)
			require.Equal(t, c.offset, xe.Offset)
		})
	}
	tp := MustParseTemplate("a {{vars.x}} b {{caller.number}}")
	require.Equal(t, 2, len(tp.Refs()))
	require.Equal(t, 4, tp.Refs()[0].Offset)
	require.Equal(t, 17, tp.Refs()[1].Offset)
}

func TestFromAnyConvertsDecodedJSON(t *testing.T) {
	t.Parallel()
	require.Equal(t, "12.5", FromAny(12.5).String())
	require.True(t, FromAny(true).Truthy())
	require.True(t, FromAny(nil).IsNull())
	require.Equal(t, "a, 1", FromAny([]any{"a", 1.0}).String())
	require.Equal(t, `{"k":"v"}`, FromAny(map[string]any{"k": "v"}).String())
	require.Equal(t, []any{"a", 1.0}, FromAny([]any{"a", 1.0}).Any())
}

func TestClosestSuggestsLikelyTypos(t *testing.T) {
	t.Parallel()
	words := []string{"main", "balance", "agent", "goodbye"}
	require.Equal(t, "main", Closest("mian", words))
	require.Equal(t, "balance", Closest("balanse", words))
	require.Equal(t, "agent", Closest("Agent", words))
	require.Equal(t, "", Closest("xyzzy", words))
	require.Equal(t, "", Closest(strings.Repeat("a", 100), words))
}

func BenchmarkEvalCondition(b *testing.B) {
	x := MustParse(`vars.segment in ["gold", "platinum"] and caller.number startswith "+44" and now.hour >= 8`)
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := x.EvalBool(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderTemplate(b *testing.B) {
	tp := MustParseTemplate("Your balance is {{vars.balance | money}}. You entered {{vars.account | digits}}.")
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Render(env); err != nil {
			b.Fatal(err)
		}
	}
}
