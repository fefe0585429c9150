package ivr

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lint parses src and analyses it, returning warnings and notes as "line:col: sev: msg".
func (b *lintBundle) lint(t *testing.T, src string, opts AnalyzeOptions) []string {
	t.Helper()
	f, ds := b.parse(src)
	require.False(t, ds.HasErrors(), "errors:\n%v", ds.Err())
	ds = append(ds, Analyze(f, opts)...)
	ds.Sort()
	var out []string
	for _, d := range ds {
		out = append(out, strings.TrimPrefix(d.String(), "t.yaml:"))
	}
	return out
}

func TestAnalyzeWarnings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		src  string
		want []string // warnings expected (substring match per line, in order)
	}{
		{"unreachable step", `
steps:
  start:
    goto: bye
  lost:
    play: "Nobody hears this"
    next: bye
  bye:
    hangup:
`, []string{`5:3: warning: step "lost" is never reached: no step leads to it`}},
		{"dead end after play", `
steps:
  start:
    play: "Hello there"
`, []string{`3:3: warning: dead end: after step "start" the call just hangs up; add next:`}},
		{"dead end after the last failed menu try", `
steps:
  start:
    menu: {prompt: "Press 1", options: {1: bye}}
  bye:
    hangup:
`, []string{`3:3: warning: dead end: after the last failed try in menu "start" the call just hangs up; add on_fail:`}},
		{"dead end when a condition is false", `
steps:
  start:
    if: caller.number startswith "+1"
    then: bye
  bye:
    hangup:
`, []string{`3:3: warning: dead end: when the condition of step "start" is false the call just hangs up`}},
		{"dead end after an input", `
steps:
  start:
    input: {prompt: "Enter your PIN", into: pin}
    next: bye
  bye:
    hangup:
`, []string{`3:3: warning: dead end: after the last failed try in input "start" the call just hangs up`}},
		{"a loop nobody can leave", `
steps:
  start:
    play: "Hello there"
    next: again
  again:
    play: "Still here"
    next: more
  more:
    goto: again
`, []string{`6:3: warning: steps again → more form a loop nothing leads out of`}},
		{"a menu looping back to itself with a way out is fine", `
steps:
  start:
    menu: {prompt: "Press 1 to repeat", options: {1: start, 0: agent}, on_fail: agent}
  agent:
    transfer: user/1001
`, nil},
		{"a loop whose only way out is a key the caller must press", `
steps:
  start:
    play: "Hello there"
    next: ask
  ask:
    menu: {prompt: "Press 1", options: {1: start, 2: bye}, on_fail: start}
  bye:
    hangup:
`, []string{`3:3: warning: a caller who presses nothing goes round start → ask → start for ever`}},
		{"a menu that starts again after its last try", `
steps:
  start:
    menu: {prompt: "Press 1 for an agent", options: {1: agent}, on_fail: sorry}
  sorry:
    play: "Let us try again."
    next: start
  agent:
    queue: general
`, []string{`3:3: warning: a caller who presses nothing goes round start → sorry → start for ever`}},
		{"a menu that gives up after counting is fine", `
vars:
  rounds: 0
steps:
  start:
    menu: {prompt: "Press 1 for an agent", options: {1: agent}, on_fail: count}
  count:
    set: {rounds: "{{vars.rounds + 1}}"}
    next: again
  again:
    if: vars.rounds < 3
    then: start
    else: bye
  agent:
    queue: general
  bye:
    hangup:
`, nil},
		{"a menu without a way to a person", `
steps:
  start:
    menu: {prompt: "Press 1 for news", options: {1: news, 0: start}, on_fail: bye}
  news:
    play: "No news today."
    next: bye
  bye:
    hangup:
  agent:
    queue: general
`, []string{
			`3:3: warning: menu "start" offers no way to a person: add an option (0 by convention)`,
			`10:3: warning: step "agent" is never reached`,
		}},
		{"a menu whose key leads to a person through other steps is fine", `
steps:
  start:
    menu: {prompt: "Press 0 for an agent", options: {0: rec}, on_fail: bye}
  rec:
    record: start
    next: check
  check:
    if: now.hour < 20
    then: agent
    else: book
  agent:
    queue: general
  book:
    callback:
    next: bye
  bye:
    hangup:
`, nil},
		{"prompt missing a language", `
languages: [en, zh]
prompts:
  hi:
    en: "Hello"
steps:
  start:
    play: hi
    next: bye
  bye:
    hangup:
`, []string{`4:3: warning: prompt "hi" has no zh version: callers who chose zh hear the en one; add zh: under it`}},
		{"text spoken the same in every language", `
languages: [en, zh]
steps:
  start:
    play: "Hello there"
    next: bye
  bye:
    hangup:
`, []string{`5:11: warning: this text is spoken the same in every language (en, zh); move it to prompts:`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := newLintBundle(t)
			var warnings []string
			for _, l := range b.lint(t, c.src, AnalyzeOptions{}) {
				if strings.Contains(l, ": warning: ") {
					warnings = append(warnings, l)
				}
			}
			require.Len(t, warnings, len(c.want), "got:\n%s", strings.Join(warnings, "\n"))
			for i, w := range c.want {
				require.Contains(t, warnings[i], w)
			}
		})
	}
}

func TestWorstCaseTimeToAPerson(t *testing.T) {
	t.Parallel()
	b := newLintBundle(t)
	src := `
steps:
  start:
    play: [{silence: 2s}, sounds/welcome.wav]
    next: main
  main:
    menu:
      prompt: {silence: 3s}
      invalid_prompt: {silence: 1s}
      timeout: 5s
      tries: 2
      options: {1: web, 0: agent}
      on_fail: agent
  web:
    lookup: {url: "http://crm/x", timeout: 4s, on_error: agent}
    next: agent
  agent:
    queue: {name: general, max_wait: 1m, on_timeout: ring}
  ring:
    transfer: {to: user/1001, timeout: 20s, on_fail: bye}
  bye:
    hangup:
`
	f := b.mustParse(t, src)
	paths := PersonPaths(f)
	require.Len(t, paths, 2)
	// start: 2s silence + 2s welcome.wav; main: 2 x (3s prompt + 5s) + 1 x 1s invalid prompt;
	// web: 4s lookup timeout.
	require.Equal(t, "agent", paths[0].Step.Name)
	require.Equal(t, 4*time.Second+17*time.Second+4*time.Second, paths[0].Worst)
	require.Equal(t, "start → main → web → agent", pathNames(paths[0].Path))
	// ring is reached only after the queue gives up: + 1m max_wait.
	require.Equal(t, "ring", paths[1].Step.Name)
	require.Equal(t, 25*time.Second+time.Minute, paths[1].Worst)

	lines := b.lint(t, src, AnalyzeOptions{})
	require.Contains(t, lines, `17:3: note: callers reach queue "general" at step "agent" after at most 25s: start → main → web → agent`)
	require.Contains(t, lines, `19:3: note: callers reach a transfer at step "ring" after at most 1m25s: start → main → web → agent → ring`)

	lines = b.lint(t, src, AnalyzeOptions{MaxTimeToPerson: time.Minute})
	require.Contains(t, lines, `19:3: warning: callers may need up to 1m25s to reach a transfer at step "ring" (more than 1m): start → main → web → agent → ring; shorten prompts, lower tries or offer 0 for an agent earlier`)
}

func TestSpeechAndToneEstimates(t *testing.T) {
	t.Parallel()
	require.Equal(t, 2*time.Second, speechDuration("one two three four five"))
	require.Equal(t, time.Second, speechDuration("欢迎致电"))
	require.Equal(t, 2400*time.Millisecond, speechDuration("You entered {{vars.pin | digits}}"), "2 words + 4 for the value, at 2.5 words a second")
	require.Equal(t, 1500*time.Millisecond, streamDuration("silence_stream://1500"))
	require.Equal(t, 900*time.Millisecond, streamDuration("tone_stream://%(100,200,440);%(300,300,480)"))
	require.Equal(t, time.Duration(0), streamDuration("local_stream://moh"))
	require.Equal(t, 2*time.Second, wavDuration(testWAV(8000, 2*time.Second)))
	require.Equal(t, time.Duration(0), wavDuration([]byte("not a wav file at all")))
}
