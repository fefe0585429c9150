package ivr

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// parseTestFlow parses a flow written in a test.
func parseTestFlow(t *testing.T, src string) *Flow {
	t.Helper()
	f, ds := ParseFlow("test.yaml", []byte(src), &Catalog{SkipFileCheck: true})
	require.False(t, ds.HasErrors(), "flow errors:\n%v", ds)
	return f
}

// fakeRun runs flow on a FakeChannel whose caller acts out script.
type fakeRun struct {
	rec *CallRecord
	ch  *FakeChannel
}

func runOnFake(t *testing.T, cfg Config, flow *Flow, script ...CallerAction) fakeRun {
	t.Helper()
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ch := NewFakeChannel("call-1", "+15551230001", "5000", start, script)
	cfg.Flows = NewFlowSet(VersionedFlow{Flow: flow, Version: "v1"})
	rt, err := NewRuntime(cfg)
	require.NoError(t, err)
	rec := rt.Run(context.Background(), ch, CallOptions{Flow: flow.Name, Clock: ch})
	return fakeRun{rec: rec, ch: ch}
}

func press(d string) CallerAction        { return CallerAction{Press: d} }
func barge(d string) CallerAction        { return CallerAction{Press: d, Barge: true} }
func wait(d time.Duration) CallerAction  { return CallerAction{Wait: d} }
func hangupAction() CallerAction         { return CallerAction{Hangup: true} }
func varsOf(r fakeRun) map[string]string { return r.rec.Vars }
func heardOf(r fakeRun) string           { return strings.Join(r.ch.Heard(), " | ") }
func stepsOf(r fakeRun) string           { return strings.Join(r.rec.Steps(), " ") }
func eventsOf(r fakeRun, k EventKind) []string {
	var out []string
	for _, e := range r.rec.Events {
		if e.Kind == k {
			out = append(out, e.Detail)
		}
	}
	return out
}

const menuFlow = `
flow: menu
prompts:
  welcome: "Welcome."
  main: "Press 1 for balance, 2 for cards, 0 for a person."
  sorry: "Sorry, that key is not valid."
  nothing: "I did not hear anything."
steps:
  start:
    play: welcome
    next: main
  main:
    menu:
      prompt: main
      invalid_prompt: sorry
      timeout_prompt: nothing
      options:
        1: balance
        2: cards
        0: person
      on_fail: person
  balance:
    play: "Your balance is 10 dollars."
    next: bye
  cards:
    play: "Cards."
    next: bye
  person:
    transfer: user/1001
    next: bye
  bye:
    hangup:
`

func TestMenuWalksToTheOptionPressed(t *testing.T) {
	t.Parallel()
	r := runOnFake(t, Config{}, parseTestFlow(t, menuFlow), press("1"))
	require.Equal(t, "start main balance bye", stepsOf(r))
	require.Equal(t, "welcome | main | say: Your balance is 10 dollars.", heardOf(r))
	require.Equal(t, OutcomeSelfServed, r.rec.Outcome)
	require.Equal(t, "NORMAL_CLEARING", r.rec.HangupCause)
	require.Equal(t, "v1", r.rec.FlowVersion)
}

func TestMenuRetriesWithInvalidAndTimeoutPromptsThenOnFail(t *testing.T) {
	t.Parallel()
	r := runOnFake(t, Config{}, parseTestFlow(t, menuFlow), press("7"), wait(6*time.Second), press("9"))
	require.Equal(t, "start main person bye", stepsOf(r))
	require.Equal(t, "welcome | main | sorry | main | nothing | main | sorry", heardOf(r))
	require.Equal(t, []string{"7 invalid (try 1 of 3)", "timeout (try 2 of 3)", "9 invalid (try 3 of 3)"}, eventsOf(r, EventDigits))
	require.Equal(t, OutcomeTransferred, r.rec.Outcome)
}
