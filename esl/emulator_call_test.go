package esl_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
)

// emuBundle is ivrd's outbound server with the FreeSWITCH emulator pointed at it: extension
// 5000 runs `socket <server> async full`, and the emulator's clock runs 50x fast.
type emuBundle struct {
	fs      *fstest.Server
	srv     *esl.Server
	results chan error
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func setupEmu(t *testing.T, opts esl.ServerOptions, handler func(ctx context.Context, c *esl.Call) error) *emuBundle {
	t.Helper()
	b := &emuBundle{results: make(chan error, 16)}
	opts.Logger = quiet()
	srv, err := esl.Listen(context.Background(), "127.0.0.1:0", func(ctx context.Context, c *esl.Call) {
		runHandler(ctx, c, handler, b.results)
	}, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	fs, err := fstest.Start(context.Background(), fstest.Options{
		Dialplan: fstest.TraceDialplan(srv.Addr().String()),
		Clock:    fstest.ScaledClock(50),
		Logger:   quiet(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })
	b.fs, b.srv = fs, srv
	return b
}

// runHandler runs a test handler and reports how it ended on results, also when a require
// inside it stopped its goroutine (runtime.Goexit), so no test waits for a handler that is gone.
func runHandler(ctx context.Context, c *esl.Call, h func(context.Context, *esl.Call) error, results chan<- error) {
	err := errors.New("handler stopped early: an assertion in it failed (see above)")
	defer func() { results <- err }()
	err = h(ctx, c)
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// place starts a scripted caller and waits for the handler's verdict and the call's end.
func (b *emuBundle) place(t *testing.T, spec fstest.CallSpec) fstest.Result {
	t.Helper()
	ctx := ctxFor(t)
	call, err := b.fs.PlaceCall(ctx, spec)
	require.NoError(t, err)
	select {
	case err := <-b.results:
		require.NoError(t, err, "handler")
	case <-ctx.Done():
		t.Fatalf("handler did not finish; the caller saw %v", call.Events())
	}
	res, err := call.Wait(ctx)
	require.NoError(t, err)
	return res
}

func TestEveryCallMethodAgainstTheEmulator(t *testing.T) {
	t.Parallel()
	wav := filepath.Join(t.TempDir(), "call.wav")
	b := setupEmu(t, esl.ServerOptions{RecordEvents: true}, func(ctx context.Context, c *esl.Call) error {
		r := require.New(t)
		r.Equal("0301234567", c.CallerNumber())
		r.Equal("5000", c.CalledNumber())
		r.NotEmpty(c.UUID())
		r.NoError(c.Answer(ctx))

		r.NoError(c.Set(ctx, "ivrd_flow", "bank hotline"))
		r.Equal("bank hotline", c.Var("ivrd_flow"))
		r.NoError(c.Export(ctx, "ivrd_call", "c-1"))
		r.Equal("c-1", c.Var("ivrd_call"))
		r.NoError(c.Unset(ctx, "ivrd_flow"))
		_, set := c.LookupVar("ivrd_flow")
		r.False(set, "unset removes the variable")

		pr, err := c.Playback(ctx, "tone_stream://%(300,0,440)", esl.PlaybackOpts{})
		r.NoError(err)
		r.False(pr.Interrupted)
		r.NoError(c.Speak(ctx, "flite", "kal", "Welcome to the bank."))

		res, err := c.PlayAndGetDigits(ctx, esl.PAGD{Min: 1, Max: 4, Tries: 1, Timeout: 5 * time.Second,
			File: "tone_stream://%(3000,0,800)", Var: "menu"})
		r.NoError(err)
		r.Equal(esl.PAGDResult{Digits: "42", Terminator: "#", Result: "success"}, res)

		pr, err = c.Playback(ctx, "tone_stream://%(5000,0,440)", esl.PlaybackOpts{Terminators: "#"})
		r.NoError(err)
		r.Equal(esl.PlaybackResult{Terminator: "#", Interrupted: true}, pr)

		r.NoError(c.RecordSession(ctx, wav))
		r.NoError(c.Sleep(ctx, 2*time.Second))
		d, err := c.WaitDTMF(ctx)
		r.NoError(err)
		r.Equal("7", d, "pressed during sleep, buffered until asked for")
		d, err = c.WaitDTMF(ctx)
		r.NoError(err)
		r.Equal("8", d, "in order")
		rec, err := c.StopRecordSession(ctx, wav)
		r.NoError(err)
		r.Equal(wav, rec.Path)
		r.Positive(rec.Ms)
		r.Positive(rec.Samples)
		st, err := os.Stat(wav)
		r.NoError(err)
		r.Equal(st.Size(), rec.Size, "the size FreeSWITCH reports is the file's")

		ev, err := c.Execute(ctx, "log", "INFO ivrd was here")
		r.NoError(err)
		r.Equal("CHANNEL_EXECUTE_COMPLETE", ev.Name())
		r.Equal("log", ev.Get("Application"))

		r.NoError(c.Hangup(ctx, esl.CauseNormalClearing))
		r.Equal(esl.CauseNormalClearing, c.HangupCause())
		return nil
	})
	res := b.place(t, fstest.CallSpec{CallerNumber: "0301234567", Script: []fstest.Step{
		{On: fstest.OnApp("play_and_get_digits"), Wait: 500 * time.Millisecond, DTMF: "42#"},
		{On: fstest.OnPrompt("5000,0,440"), Wait: 500 * time.Millisecond, DTMF: "5#"},
		{On: fstest.OnApp("sleep"), Wait: 200 * time.Millisecond, DTMF: "78"},
	}})
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.Equal(t, "switch", res.HungUpBy)
	require.True(t, res.Answered)
}

func TestBridgeAndTransferAgainstTheEmulator(t *testing.T) {
	t.Parallel()
	b := setupEmu(t, esl.ServerOptions{}, func(ctx context.Context, c *esl.Call) error {
		r := require.New(t)
		r.NoError(c.Answer(ctx))
		res, err := c.Bridge(ctx, "user/2001", esl.BridgeOpts{Timeout: 3 * time.Second, ContinueOnFail: true})
		r.NoError(err)
		r.False(res.Answered)
		r.Equal(esl.CauseNoAnswer, res.Cause)
		res, err = c.Bridge(ctx, "user/2002", esl.BridgeOpts{ContinueOnFail: true})
		r.NoError(err)
		r.Equal(esl.CauseUserBusy, res.Cause)
		res, err = c.Bridge(ctx, "user/2003", esl.BridgeOpts{Timeout: 10 * time.Second, Vars: map[string]string{"ivrd_agent": "a 1"}})
		r.NoError(err)
		r.True(res.Answered)
		r.Equal("SUCCESS", res.Disposition)
		r.NotEmpty(res.OtherLeg)
		return c.Transfer(ctx, "5220", "XML", "default")
	})
	b.fs.SetEndpoint("user/2001", fstest.Behavior{Outcome: fstest.OutcomeNoAnswer})
	b.fs.SetEndpoint("user/2002", fstest.Behavior{Outcome: fstest.OutcomeBusy, After: time.Second})
	b.fs.SetEndpoint("user/2003", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 2 * time.Second})
	ctx := ctxFor(t)
	call, err := b.fs.PlaceCall(ctx, fstest.CallSpec{})
	require.NoError(t, err)
	select {
	case err := <-b.results:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatalf("handler did not finish; the caller saw %v", call.Events())
	}
	_, err = call.WaitFor(ctx, fstest.OnApp("endless_playback"))
	require.NoError(t, err, "the transfer reached extension 5220")
	call.Hangup("NORMAL_CLEARING")
	_, err = call.Wait(ctx)
	require.NoError(t, err)
}

func TestCallerHangupEndsTheCallForTheHandler(t *testing.T) {
	t.Parallel()
	b := setupEmu(t, esl.ServerOptions{}, func(ctx context.Context, c *esl.Call) error {
		r := require.New(t)
		r.NoError(c.Answer(ctx))
		_, err := c.Playback(ctx, "tone_stream://%(20000,0,440)", esl.PlaybackOpts{})
		r.ErrorIs(err, esl.ErrHangup)
		var he *esl.HangupError
		r.ErrorAs(err, &he)
		r.Equal(esl.CauseNormalClearing, he.Cause)
		select {
		case <-c.Done():
		case <-ctx.Done():
			r.Fail("Done not closed")
		}
		r.Equal(esl.CauseNormalClearing, c.HangupCause())
		r.ErrorIs(c.Answer(ctx), esl.ErrHangup, "later commands fail fast")
		return nil
	})
	res := b.place(t, fstest.CallSpec{Script: []fstest.Step{{On: fstest.OnPrompt("20000"), Wait: time.Second, Hangup: true}}})
	require.Equal(t, "caller", res.HungUpBy)
}

func TestShutdownLetsCallsInFlightFinish(t *testing.T) {
	t.Parallel()
	const calls = 3
	started := make(chan struct{}, calls)
	b := setupEmu(t, esl.ServerOptions{}, func(ctx context.Context, c *esl.Call) error {
		if err := c.Answer(ctx); err != nil {
			return err
		}
		started <- struct{}{}
		_, err := c.Playback(ctx, "tone_stream://%(600000,0,440)", esl.PlaybackOpts{})
		if !errors.Is(err, context.Canceled) {
			return fmt.Errorf("playback should end with the shutdown's cancel, got %v", err)
		}
		// Told to stop: say goodbye properly, then hang up.
		bye, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.Playback(bye, "tone_stream://%(200,0,600)", esl.PlaybackOpts{}); err != nil {
			return err
		}
		return c.Hangup(bye, esl.CauseNormalClearing)
	})
	ctx := ctxFor(t)
	var fsCalls []*fstest.Call
	for i := 0; i < calls; i++ {
		call, err := b.fs.PlaceCall(ctx, fstest.CallSpec{})
		require.NoError(t, err)
		fsCalls = append(fsCalls, call)
		<-started
	}
	require.Equal(t, calls, b.srv.ActiveCalls())
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, b.srv.Shutdown(sctx))
	for i := 0; i < calls; i++ {
		require.NoError(t, <-b.results)
	}
	for _, call := range fsCalls {
		res, err := call.Wait(ctx)
		require.NoError(t, err)
		require.Equal(t, "NORMAL_CLEARING", res.Cause)
		require.Contains(t, call.Heard(), "tone_stream://%(200,0,600)", "the goodbye was played")
	}
	require.Zero(t, b.srv.ActiveCalls())
	_, err := net.Dial("tcp", b.srv.Addr().String())
	require.Error(t, err, "no longer accepting")
}

func TestShutdownHangsUpCallsThatOutstayTheDeadline(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	b := setupEmu(t, esl.ServerOptions{}, func(ctx context.Context, c *esl.Call) error {
		if err := c.Answer(ctx); err != nil {
			return err
		}
		started <- struct{}{}
		<-c.Done() // ignores ctx: a stubborn handler
		if c.HangupCause() != esl.CauseSystemShutdown {
			return fmt.Errorf("hangup cause %s", c.HangupCause())
		}
		return nil
	})
	ctx := ctxFor(t)
	call, err := b.fs.PlaceCall(ctx, fstest.CallSpec{})
	require.NoError(t, err)
	<-started
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = b.srv.Shutdown(sctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, <-b.results)
	res, err := call.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, "SYSTEM_SHUTDOWN", res.Cause)
}

func TestFilterEventsKeepsOnlyWhatTheCallUses(t *testing.T) {
	t.Parallel()
	b := setupEmu(t, esl.ServerOptions{FilterEvents: true}, func(ctx context.Context, c *esl.Call) error {
		r := require.New(t)
		sub := c.Subscribe()
		defer sub.Close()
		r.NoError(c.Answer(ctx))
		res, err := c.PlayAndGetDigits(ctx, esl.PAGD{Min: 1, Max: 2, File: "tone_stream://%(1000,0,800)"})
		r.NoError(err)
		r.Equal("9", res.Digits)
		r.NoError(c.Hangup(ctx, ""))
		seen := map[string]bool{}
		for e := range sub.Events() {
			seen[e.Name()] = true
		}
		r.True(seen["CHANNEL_EXECUTE_COMPLETE"])
		r.True(seen["DTMF"])
		r.True(seen["CHANNEL_HANGUP_COMPLETE"])
		for _, unused := range []string{"CHANNEL_STATE", "CHANNEL_CALLSTATE", "CHANNEL_PARK", "CHANNEL_UNPARK", "CALL_UPDATE"} {
			r.False(seen[unused], "%s should have been filtered out by FreeSWITCH", unused)
		}
		return nil
	})
	b.place(t, fstest.CallSpec{Script: []fstest.Step{{On: fstest.OnApp("play_and_get_digits"), Wait: 200 * time.Millisecond, DTMF: "9#"}}})
}

func TestAPanickingHandlerHangsTheCallUp(t *testing.T) {
	t.Parallel()
	b := setupEmu(t, esl.ServerOptions{}, func(ctx context.Context, c *esl.Call) error {
		panic("flow bug")
	})
	ctx := ctxFor(t)
	call, err := b.fs.PlaceCall(ctx, fstest.CallSpec{})
	require.NoError(t, err)
	res, err := call.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, "NORMAL_TEMPORARY_FAILURE", res.Cause)
}
