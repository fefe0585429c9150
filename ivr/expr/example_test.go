package expr_test

import (
	"fmt"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
)

func ExampleParse() {
	cond := expr.MustParse(`vars.segment in ["gold", "platinum"] and now.weekday not in ["sat", "sun"]`)
	env := expr.MapEnv{
		"vars": {"segment": expr.StringValue("gold")},
		"now":  {"": expr.TimeValue(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))},
	}
	ok, err := cond.EvalBool(env)
	fmt.Println(ok, err)
	// Output: true <nil>
}

func ExampleParseTemplate() {
	t := expr.MustParseTemplate("You entered {{vars.account | digits}}. Your balance is {{vars.balance | money}}.")
	text, err := t.Render(expr.MapEnv{"vars": {
		"account": expr.StringValue("1234"),
		"balance": expr.NumberValue(12.5),
	}})
	fmt.Println(text, err)
	// Output: You entered 1 2 3 4. Your balance is 12.50. <nil>
}

func ExampleParse_error() {
	_, err := expr.Parse(`vars.a == 1 && vars.b == 2`)
	fmt.Println(err, "at", err.(*expr.Error).Offset)
	// Output: write "and" instead of && at 12
}
