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
	rec := rt.Run(context.Background(), ch, CallOptions{Flow: flow.Name, Clock: ch, OnStep: func(_ *Flow, s *Step) { ch.SetStep(s.Name) }})
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

func TestALoopingFlowIsStoppedByTheLoopGuard(t *testing.T) {
	t.Parallel()
	flow := parseTestFlow(t, `
flow: loop
steps:
  a:
    set:
      n: "{{vars.n + 1}}"
    next: b
  b:
    goto: a
`)
	r := runOnFake(t, Config{MaxSteps: 50}, flow)
	require.Equal(t, OutcomeError, r.rec.Outcome)
	require.Contains(t, r.rec.Error, "loop guard: the call ran 50 steps")
	require.Equal(t, "NORMAL_TEMPORARY_FAILURE", r.rec.HangupCause, "the caller is not left in silence")
	require.Equal(t, "25", r.rec.Vars["n"])
}

func TestCallsInProgressKeepTheirFlowVersionWhenTheFlowIsReplaced(t *testing.T) {
	t.Parallel()
	v1 := parseTestFlow(t, `
flow: hot
steps:
  start:
    play: "Version one, first prompt."
    next: second
  second:
    play: "Version one, second prompt."
    next: bye
  bye:
    hangup:
`)
	v2 := parseTestFlow(t, `
flow: hot
steps:
  start:
    play: "Version two."
    next: bye
  bye:
    hangup:
`)
	flows := NewFlowSet(VersionedFlow{Flow: v1, Version: "v1"})
	rt, err := NewRuntime(Config{Flows: flows})
	require.NoError(t, err)
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ch := NewFakeChannel("old-call", "1", "2", start, nil)
	// The flow is replaced while the first call is in its first step.
	rec := rt.Run(context.Background(), ch, CallOptions{Flow: "hot", Clock: ch, OnStep: func(_ *Flow, s *Step) {
		if s.Name == "start" {
			flows.Replace(VersionedFlow{Flow: v2, Version: "v2"})
		}
	}})
	require.Equal(t, "v1", rec.FlowVersion)
	require.Equal(t, []string{"say: Version one, first prompt.", "say: Version one, second prompt."}, ch.Heard())

	ch2 := NewFakeChannel("new-call", "1", "2", start, nil)
	rec2 := rt.Run(context.Background(), ch2, CallOptions{Flow: "hot", Clock: ch2})
	require.Equal(t, "v2", rec2.FlowVersion)
	require.Equal(t, []string{"say: Version two."}, ch2.Heard())
}

func TestOnCallEndedHooksRunInOrderEvenAfterOneOfThemPanics(t *testing.T) {
	t.Parallel()
	var got []string
	sink := &memorySink{}
	cfg := Config{Records: sink, OnCallEnded: []func(context.Context, *CallRecord){
		func(_ context.Context, r *CallRecord) { got = append(got, "first "+string(r.Outcome)) },
		func(context.Context, *CallRecord) { panic("broken hook") },
		func(_ context.Context, r *CallRecord) { got = append(got, "third "+r.ID) },
	}}
	r := runOnFake(t, cfg, parseTestFlow(t, menuFlow), press("1"))
	require.Equal(t, []string{"first self-served", "third call-1"}, got)
	require.Len(t, sink.recs, 1)
	require.Same(t, r.rec, sink.recs[0])
}

type memorySink struct{ recs []*CallRecord }

func (m *memorySink) Save(r *CallRecord) { m.recs = append(m.recs, r) }

func TestCancellingTheRuntimeContextHangsTheCallUp(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	flow := parseTestFlow(t, menuFlow)
	rt, err := NewRuntime(Config{Flows: NewFlowSet(VersionedFlow{Flow: flow, Version: "v"})})
	require.NoError(t, err)
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ch := NewFakeChannel("c", "1", "2", start, []CallerAction{press("1")})
	rec := rt.Run(ctx, ch, CallOptions{Flow: "menu", Clock: ch, OnStep: func(_ *Flow, s *Step) {
		if s.Name == "main" {
			cancel() // ivrd is shutting down
		}
	}})
	require.Equal(t, OutcomeError, rec.Outcome)
	require.Contains(t, rec.Error, "context canceled")
	select {
	case <-ch.Done():
	default:
		t.Fatal("the call is still up")
	}
}

func TestAKeyThatInterruptsAPlayGoesToTheNextMenu(t *testing.T) {
	t.Parallel()
	flow := parseTestFlow(t, `
flow: barge
steps:
  start:
    play:
      audio: "A long message you may skip."
      barge_in: true
    next: main
  main:
    menu:
      prompt: "Press 2."
      options:
        2: two
  two:
    hangup:
`)
	r := runOnFake(t, Config{}, flow, barge("2"))
	require.Equal(t, "start main two", stepsOf(r))
	require.Equal(t, "say: A long message you may skip.", heardOf(r), "the menu prompt is not played: the key was already pressed")
	require.Equal(t, []string{"2 (barge-in)", "2"}, eventsOf(r, EventDigits))
}

func TestARecordingRunningWhenTheCallerHangsUpIsKept(t *testing.T) {
	t.Parallel()
	flow := parseTestFlow(t, `
flow: rec
steps:
  start:
    record: start
    next: menu
  menu:
    menu:
      prompt: "Press 1."
      options:
        1: bye
  bye:
    hangup:
`)
	r := runOnFake(t, Config{RecordingsDir: "/rec"}, flow, CallerAction{Hangup: true, At: "menu"})
	require.Equal(t, OutcomeAbandoned, r.rec.Outcome)
	require.Len(t, r.rec.Recordings, 1)
	require.Equal(t, "/rec/call-1-1.wav", r.rec.Recordings[0].Path)
}

func TestFlowSetNamesWhatIsLoadedWhenAFlowIsUnknown(t *testing.T) {
	t.Parallel()
	f := parseTestFlow(t, menuFlow)
	set := NewFlowSet(VersionedFlow{Flow: f, Version: ContentVersion([]byte(menuFlow))})
	got, v, err := set.Flow("menu")
	require.NoError(t, err)
	require.Same(t, f, got)
	require.Len(t, v, 12)
	require.Equal(t, v, ContentVersion([]byte(menuFlow)), "the same bytes give the same version")
	require.NotEqual(t, v, ContentVersion([]byte(menuFlow+"\n# edited\n")))

	_, _, err = set.Flow("hotlin")
	require.ErrorIs(t, err, ErrUnknownFlow)
	require.ErrorContains(t, err, "loaded: menu")

	rt, err := NewRuntime(Config{Flows: set})
	require.NoError(t, err)
	ch := NewFakeChannel("x", "1", "2", time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), nil)
	rec := rt.Run(context.Background(), ch, CallOptions{Flow: "nope", Clock: ch})
	require.Equal(t, OutcomeError, rec.Outcome)
	require.Contains(t, rec.Error, `flow "nope": unknown flow`)
	require.Equal(t, "NORMAL_TEMPORARY_FAILURE", rec.HangupCause, "a call with no flow is hung up, not left ringing")
}
