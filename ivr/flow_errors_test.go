package ivr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each case is a small flow with one mistake; the error must name the right place and say
// what to do. want is "line:col: text" where text is part of the message.
func TestErrorsNameFileLineColAndWhatToDo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		src  string
		want string
	}{
		{"unknown key in a step, with did you mean", `
steps:
  start:
    play: "Hello there"
    nxt: bye
  bye:
    hangup:
`, `5:5: unknown key "nxt" in step "start" (did you mean "next"?)`},
		{"unknown key inside a kind", `
steps:
  start:
    menu:
      prompt: "Press 1"
      options: {1: bye}
      timout: 5s
      on_fail: bye
  bye:
    hangup:
`, `7:7: unknown key "timout" in menu in step "start" (did you mean "timeout"?)`},
		{"unknown top-level key", `
lanugages: [en]
steps:
  start:
    hangup:
`, `2:1: unknown key "lanugages" in the flow file (did you mean "languages"?)`},
		{"next written inside the kind", `
steps:
  start:
    play:
      audio: "Hello there"
      next: bye
  bye:
    hangup:
`, `6:7: next: belongs to the step, not inside play:; move it left to line up with play:`},
		{"a kind's key written on the step", `
steps:
  start:
    menu: {prompt: "Press 1", options: {1: bye}, on_fail: bye}
    timeout: 3s
  bye:
    hangup:
`, `5:5: timeout: belongs inside menu: in step "start"; indent it under menu:`},
		{"wrong type: text for a number", `
steps:
  start:
    menu: {prompt: "Press 1", options: {1: bye}, tries: many, on_fail: bye}
  bye:
    hangup:
`, `4:57: tries in menu in step "start" must be a whole number, not "many"`},
		{"wrong type: a list for a mapping", `
steps:
  start:
    menu: [a, b]
`, `4:11: menu in step "start" must be a mapping with prompt: and options:, not a list`},
		{"wrong type: bad duration", `
steps:
  start:
    menu: {prompt: "Press 1", options: {1: bye}, timeout: soon, on_fail: bye}
  bye:
    hangup:
`, `4:59: timeout in menu in step "start": "soon" is not a duration: write it like 5s, 1m30s or 500ms`},
		{"wrong type: boolean", `
steps:
  start:
    play: {audio: "Hi there", barge_in: maybe}
    next: bye
  bye:
    hangup:
`, `4:41: barge_in in play in step "start" must be true or false`},
		{"unknown step in a menu option", `
steps:
  main:
    menu:
      prompt: "Press 1"
      options:
        1: mian
      on_fail: main
`, `7:12: unknown step "mian" in menu option 1 of step "main" (did you mean "main"?)`},
		{"unknown step in next", `
steps:
  start:
    play: "Hello there"
    next: goodbye
  bye:
    hangup:
`, `5:11: unknown step "goodbye" in next of step "start"; add a step with that name under steps:`},
		{"duplicate step", `
steps:
  start:
    goto: bye
  bye:
    hangup:
  bye:
    hangup: USER_BUSY
`, `7:3: duplicate step "bye": it is already defined at line 5, column 3`},
		{"duplicate menu key", `
steps:
  start:
    menu:
      prompt: "Press 1"
      options:
        1: bye
        "1": start
      on_fail: bye
  bye:
    hangup:
`, `8:9: duplicate menu key "1": it is already defined at line 7, column 9`},
		{"menu key that can never be chosen", `
steps:
  start:
    menu: {prompt: "Press", options: {1: bye, 12: bye}, on_fail: bye}
  bye:
    hangup:
`, `4:47: menu key "12" in step "start" starts with key "1", so it can never be chosen`},
		{"bad input regex", `
steps:
  start:
    input: {prompt: "Enter", into: pin, regex: "[0-9", on_fail: bye}
    next: bye
  bye:
    hangup:
`, `4:48: bad regex "[0-9" in step "start": missing closing ]`},
		{"bad regex in an expression", `
steps:
  start:
    if: caller.number matches "[0-9"
    then: bye
    else: bye
  bye:
    hangup:
`, `4:31: bad expression in if of step "start": bad regex "[0-9"`},
		{"bad expression", `
steps:
  start:
    if: caller.number == "1" && caller.name == "x"
    then: bye
    else: bye
  bye:
    hangup:
`, `4:30: bad expression in if of step "start": write "and" instead of &&`},
		{"bad expression in a template", `
prompts:
  hi: "Hello {{caller.name | uper}}"
steps:
  start:
    play: hi
    next: bye
  bye:
    hangup:
`, `3:30: bad expression in prompt "hi": unknown function "uper" (did you mean "upper"?)`},
		{"unknown variable", `
vars:
  balance: 0
steps:
  start:
    play: "Your balance is {{vars.balanse}}"
    next: bye
  bye:
    hangup:
`, `6:30: unknown variable vars.balanse (did you mean vars.balance?)`},
		{"unknown name", `
steps:
  start:
    if: calller.number == "1"
    then: bye
    else: bye
  bye:
    hangup:
`, `4:9: unknown name "calller" (did you mean "caller"?)`},
		{"unknown field of a known name", `
steps:
  start:
    if: call.caled == "5000"
    then: bye
    else: bye
  bye:
    hangup:
`, `4:9: unknown name call.caled (did you mean "called"?)`},
		{"unknown calendar", `
steps:
  start:
    hours: bnak
    open: bye
    closed: bye
  bye:
    hangup:
`, `4:12: unknown calendar "bnak" (did you mean "bank"?)`},
		{"unknown queue", `
steps:
  start:
    queue: generl
`, `4:12: unknown queue "generl" (did you mean "general"?)`},
		{"unknown SMS template", `
steps:
  start:
    sms: {template: card_service}
    next: bye
  bye:
    hangup:
`, `4:21: unknown SMS template "card_service" (did you mean "card_services"?)`},
		{"missing audio file", `
steps:
  start:
    play: sounds/welcom.wav
    next: bye
  bye:
    hangup:
`, `4:11: sound file "sounds/welcom.wav" not found next to the flow file; check the name, or use say:`},
		{"unknown prompt", `
prompts:
  welcome: "Welcome"
steps:
  start:
    play: welcom
    next: bye
  bye:
    hangup:
`, `6:11: unknown prompt "welcom" in step "start" (did you mean "welcome"?)`},
		{"bad time in a calendar-free flow: bad date is in calendars, bad duration here", `
steps:
  start:
    play: {silence: 2x}
    next: bye
  bye:
    hangup:
`, `4:21: silence in step "start": "2x" is not a duration`},
		{"two kinds in a step", `
steps:
  start:
    play: "Hello there"
    hangup:
`, `5:5: step "start" has both play: and hangup: but a step does one thing; split it into two steps joined by next:`},
		{"a step without a kind", `
steps:
  start:
    paly: "Hello there"
`, `4:5: unknown key "paly" in step "start" (did you mean "play"?)`},
		{"next on a menu", `
steps:
  start:
    menu: {prompt: "Press 1", options: {1: bye}}
    next: bye
  bye:
    hangup:
`, `5:5: a menu goes on through its options: next: is not used; use on_fail:`},
		{"terminator # unquoted", `
steps:
  start:
    input:
      prompt: "Enter your PIN"
      into: pin
      terminator: #
    next: bye
  bye:
    hangup:
`, `7:7: terminator is empty: a bare # starts a YAML comment, so write terminator: "#" in quotes`},
		{"unknown language in prompts", `
languages: [en, zh]
prompts:
  hi:
    en: "Hello"
    zn: "你好"
steps:
  start:
    hangup:
`, `6:5: prompt "hi": language "zn" is not in languages (en, zh) (did you mean "zh"?)`},
		{"bad time zone", `
timezone: Europe/Londn
steps:
  start:
    hangup:
`, `2:11: unknown time zone "Europe/Londn"`},
		{"on_timeout without max_wait", `
steps:
  start:
    queue: {name: general, on_timeout: bye}
  bye:
    hangup:
`, `4:28: on_timeout needs max_wait:`},
		{"lowercase hangup cause", `
steps:
  start:
    hangup: user_busy
`, `4:13: hangup cause "user_busy": write a FreeSWITCH cause in capitals`},
		{"YAML syntax error", `
steps:
  start:
    play: "Hello
    next: bye
`, `4:11: YAML syntax error: could not find end character of double-quoted text (add the closing quote)`},
		{"tabs", "steps:\n\tstart:\n\t\thangup:\n", `2:1: YAML syntax error: found character '	' that cannot start any token (YAML indentation must use spaces, not tabs)`},
		{"empty file", ``, `1:1: the file is empty`},
		{"no steps", `flow: x`, `1:1: the flow file needs steps:`},
		{"body with GET", `
steps:
  start:
    lookup: {url: "http://x/y", body: {a: 1}}
    next: bye
  bye:
    hangup:
`, `4:33: body is only sent with method: POST`},
		{"bad JSON path", `
steps:
  start:
    lookup: {url: "http://x/y", save: {a: "x..y"}}
    next: bye
  bye:
    hangup:
`, `4:43: JSON path "x..y" has an empty part`},
		{"bad step name", `
steps:
  start here:
    hangup:
`, `3:3: step name "start here": use letters, digits, _ and -`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := newLintBundle(t)
			f, ds := b.parse(c.src) // src starts with a newline: line 2 is its first line
			_ = f
			var lines []string
			for _, d := range ds {
				if d.Severity == SevError {
					lines = append(lines, d.String())
				}
			}
			want := "t.yaml:" + c.want
			found := false
			for _, l := range lines {
				if strings.HasPrefix(l, strings.SplitN(want, ": ", 2)[0]+": error: ") && strings.Contains(l, strings.SplitN(want, ": ", 2)[1]) {
					found = true
				}
			}
			require.True(t, found, "want %s\ngot:\n%s", want, strings.Join(lines, "\n"))
			require.Nil(t, f, "a flow with errors is not returned")
		})
	}
}

// Inputs the fuzzer found crashing the parser (kept in testdata/fuzz/FuzzParseFlow too).
func TestFuzzFindingsGiveErrorsNotPanics(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, src, want string }{
		{"confirm without into", "steps:\n A:\n  input:\n      confirm: true", `t.yaml:3:3: error: input in step "A" needs into:`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newLintBundle(t)
			f, ds := b.parse(c.src)
			require.Nil(t, f)
			require.Contains(t, strings.Join(errorLines(ds), "\n"), c.want)
		})
	}
}
