package ivr

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
)

// e2eBundle is ivrd's runtime serving FreeSWITCH's outbound socket, with the FreeSWITCH
// emulator (real ESL over TCP) dialling into it at 50x speed.
type e2eBundle struct {
	fs      *fstest.Server
	srv     *esl.Server
	rt      *Runtime
	records chan *CallRecord
}

// setupE2E starts the emulator and an outbound server running flows; the first flow answers
// extension 5000.
func setupE2E(t *testing.T, cfg Config, flows ...*Flow) *e2eBundle {
	t.Helper()
	ctx := context.Background()
	recDir := t.TempDir() // before the emulator: removed after it stopped writing recordings
	fs, err := fstest.Start(ctx, fstest.Options{Clock: fstest.ScaledClock(50)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })

	var vf []VersionedFlow
	for _, f := range flows {
		vf = append(vf, VersionedFlow{Flow: f, Version: "test"})
	}
	cfg.Flows = NewFlowSet(vf...)
	if cfg.Clock == nil {
		cfg.Clock = fs.Clock()
	}
	if cfg.RecordingsDir == "" {
		cfg.RecordingsDir = recDir
	}
	rt, err := NewRuntime(cfg)
	require.NoError(t, err)
	b := &e2eBundle{fs: fs, rt: rt, records: make(chan *CallRecord, 64)}
	route := flows[0].Name
	b.srv, err = esl.Listen(ctx, "127.0.0.1:0", func(ctx context.Context, call *esl.Call) {
		b.records <- rt.Run(ctx, NewESLChannel(call, nil), CallOptions{Flow: route})
	}, esl.ServerOptions{RecordEvents: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.srv.Shutdown(sctx)
	})
	fs.Dialplan().Add("default", "5000", fstest.Socket(b.srv.Addr().String()))
	return b
}

// call places a scripted call to 5000 and returns the emulator's view and ivrd's record.
func (b *e2eBundle) call(t *testing.T, spec fstest.CallSpec) (*fstest.Call, fstest.Result, *CallRecord) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if spec.CalledNumber == "" {
		spec.CalledNumber = "5000"
	}
	c, err := b.fs.PlaceCall(ctx, spec)
	require.NoError(t, err)
	res, err := c.Wait(ctx)
	require.NoError(t, err)
	select {
	case rec := <-b.records:
		return c, res, rec
	case <-ctx.Done():
		t.Fatalf("the runtime did not finish the call: %v", c.Events())
	}
	return nil, fstest.Result{}, nil
}

func onPrompt(s string) func(fstest.CallEvent) bool { return fstest.OnPrompt(s) }

const e2eBasicFlow = `
flow: basic
steps:
  start:
    play: tone_stream://%(500,0,440)
    next: main
  main:
    menu:
      prompt: "Press 1 to enter your account, 2 for cards."
      invalid_prompt: "That key isn't valid, I'm afraid."
      options:
        1: account
        2: cards
      on_fail: bye
  account:
    input:
      prompt: "Enter your account number, then the hash key."
      into: account
      min: 4
      max: 8
      confirm: true
    next: check
  check:
    switch:
      - when: vars.account startswith "12"
        goto: gold
    else: regular
  gold:
    set:
      level: gold
    next: bye
  regular:
    set:
      level: standard
    next: bye
  cards:
    goto: bye
  bye:
    play: "Goodbye."
    next: end
  end:
    hangup: NORMAL_CLEARING
`

func TestE2EMenuInputConfirmSwitchSetGotoHangup(t *testing.T) {
	t.Parallel()
	b := setupE2E(t, Config{}, parseTestFlow(t, e2eBasicFlow))
	c, res, rec := b.call(t, fstest.CallSpec{CallerNumber: "+15551230001", Script: []fstest.Step{
		{On: onPrompt("Press 1"), DTMF: "9"}, // invalid, barging in
		{On: onPrompt("Press 1"), DTMF: "1"}, // the retry
		{On: onPrompt("Enter your account"), DTMF: "1234#"},
		{On: onPrompt("You entered 1 2 3 4"), DTMF: "1"},
	}})
	require.Equal(t, "switch", res.HungUpBy, "events: %v", c.Events())
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.Equal(t, "start main account check gold bye end", strings.Join(rec.Steps(), " "), "events: %v", c.Events())
	require.Equal(t, "1234", rec.Vars["account"])
	require.Equal(t, "gold", rec.Vars["level"])
	require.Equal(t, OutcomeSelfServed, rec.Outcome)
	require.Equal(t, "+15551230001", rec.Caller)
	heard := strings.Join(c.Heard(), " | ")
	require.Contains(t, heard, "That key isn't valid, I'm afraid.", "quotes in TTS text survive FreeSWITCH's argument split")
	require.Contains(t, heard, "Goodbye.")
}
