package esl

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// outboundBundle is an outbound server whose handler runs fn and reports the result.
type outboundBundle struct {
	srv     *Server
	results chan error
}

func setupOutbound(t *testing.T, opts ServerOptions, fn func(ctx context.Context, c *Call) error) *outboundBundle {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &outboundBundle{results: make(chan error, 16)}
	srv, err := Listen(context.Background(), "127.0.0.1:0", func(ctx context.Context, c *Call) {
		err := errors.New("handler stopped early: an assertion in it failed (see above)")
		defer func() { b.results <- err }()
		err = fn(ctx, c)
	}, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	b.srv = srv
	return b
}

func (b *outboundBundle) wait(t *testing.T, peer <-chan error) {
	t.Helper()
	select {
	case err := <-b.results:
		require.NoError(t, err, "handler")
	case <-time.After(30 * time.Second):
		t.Fatal("handler did not finish")
	}
	select {
	case err := <-peer:
		require.NoError(t, err, "FreeSWITCH side of the trace")
	case <-time.After(30 * time.Second):
		t.Fatal("trace peer did not finish")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCallReplaysAWholeIVRSessionOfARealFreeSWITCH(t *testing.T) {
	t.Parallel()
	// 05b: connect, myevents, linger, answer, playback, speak, play_and_get_digits (42#),
	// api uuid_getvar, hangup; FreeSWITCH's bytes verbatim.
	b := setupOutbound(t, ServerOptions{}, func(ctx context.Context, c *Call) error {
		if c.UUID() != "383548ea-a1d5-4264-b6ee-dbcb44826582" || c.CallerNumber() != "1001" || c.CalledNumber() != "5000" {
			return errors.New("channel data not parsed: " + c.UUID() + " " + c.CallerNumber() + " " + c.CalledNumber())
		}
		if got := c.Var("origination_caller_id_name"); got != "OutboundTest" {
			return errors.New("Var: " + got)
		}
		if err := c.Answer(ctx); err != nil {
			return err
		}
		pr, err := c.Playback(ctx, "tone_stream://%(500,0,440)", PlaybackOpts{Terminators: "*"})
		if err != nil {
			return err
		}
		if pr.Interrupted {
			return errors.New("playback reported interrupted")
		}
		if err := c.Speak(ctx, "flite", "kal", "Enter your code."); err != nil {
			return err
		}
		res, err := c.PlayAndGetDigits(ctx, PAGD{Min: 1, Max: 4, Tries: 2, Timeout: 8 * time.Second, Terminators: "#",
			File: "tone_stream://%(300,0,800)", InvalidFile: "silence_stream://250", Var: "ivr_digits", Regexp: `\d+`,
			DigitTimeout: 3 * time.Second})
		if err != nil {
			return err
		}
		if res != (PAGDResult{Digits: "42", Terminator: "#", Result: "success"}) {
			return errors.New("pagd result wrong: " + res.Digits + "/" + res.Terminator + "/" + res.Result)
		}
		out, err := c.API(ctx, "uuid_getvar "+c.UUID()+" ivr_digits")
		if err != nil || out != "42" {
			return errors.New("api: " + out)
		}
		if err := c.Hangup(ctx, CauseNormalClearing); err != nil {
			return err
		}
		if c.HangupCause() != CauseNormalClearing {
			return errors.New("hangup cause " + string(c.HangupCause()))
		}
		_, err = c.Playback(ctx, "x.wav", PlaybackOpts{})
		if !errors.Is(err, ErrHangup) {
			return errors.New("command after hangup did not fail with ErrHangup")
		}
		return nil
	})
	_, peer := dialOutbound(t, b.srv.Addr().String(), loadTrace(t, "05b_outbound_full_session.txt"))
	b.wait(t, peer)
}

func TestCallRecordsAndReportsTerminatorsLikeARealFreeSWITCH(t *testing.T) {
	t.Parallel()
	// 20: record_session, playback, play_and_get_digits barge-in with 12#, playback stopped by
	// the terminator #, stop_record_session with the recording's size and length.
	const wav = "/tmp/traces2_20_record.wav"
	b := setupOutbound(t, ServerOptions{}, func(ctx context.Context, c *Call) error {
		r := require.New(t)
		r.NoError(c.Answer(ctx))
		r.NoError(c.RecordSession(ctx, wav))
		pr, err := c.Playback(ctx, "tone_stream://%(1000,0,440)", PlaybackOpts{})
		r.NoError(err)
		r.Equal(PlaybackResult{}, pr)
		res, err := c.PlayAndGetDigits(ctx, PAGD{Min: 1, Max: 4, Tries: 1, Timeout: 5 * time.Second, Terminators: "#",
			File: "tone_stream://%(3000,0,800)", Var: "t2_digits", DigitTimeout: 2 * time.Second})
		r.NoError(err)
		r.Equal(PAGDResult{Digits: "12", Terminator: "#", Result: "success"}, res)
		pr, err = c.Playback(ctx, "tone_stream://%(5000,0,440)", PlaybackOpts{Terminators: "#"})
		r.NoError(err)
		r.Equal(PlaybackResult{Terminator: "#", Interrupted: true}, pr, "FILE PLAYED, but playback_terminator_used says #")
		rec, err := c.StopRecordSession(ctx, wav)
		r.NoError(err)
		r.Equal(RecordResult{Path: wav, Ms: 2640, Samples: 21120, Size: 42284, CompletionCause: "success-maxtime"}, rec)
		r.Empty(c.FlushDTMF(), "digits consumed by play_and_get_digits and playback are not buffered again")
		return c.Hangup(ctx, "")
	})
	_, peer := dialOutbound(t, b.srv.Addr().String(), loadTrace(t, "20_outbound_record_pagd_terminators.txt"))
	b.wait(t, peer)
}

func TestCallGetsRecordEventsOnItsOwnSocket(t *testing.T) {
	t.Parallel()
	// 21: myevents + `event plain RECORD_START RECORD_STOP`; no linger, FreeSWITCH closes.
	const wav = "/tmp/traces2_21_record.wav"
	b := setupOutbound(t, ServerOptions{RecordEvents: true}, func(ctx context.Context, c *Call) error {
		r := require.New(t)
		sub := c.Subscribe()
		defer sub.Close()
		r.NoError(c.Answer(ctx))
		r.NoError(c.RecordSession(ctx, wav))
		_, err := c.Playback(ctx, "tone_stream://%(1000,0,440)", PlaybackOpts{Terminators: "*"})
		r.NoError(err)
		rec, err := c.StopRecordSession(ctx, wav)
		r.NoError(err)
		r.Equal(RecordResult{Path: wav, Ms: 1020, Samples: 8160, Size: 16364, CompletionCause: "success-maxtime"}, rec)
		r.NoError(c.Hangup(ctx, CauseNormalClearing))
		var names []string
		for e := range sub.Events() {
			names = append(names, e.Name())
			if e.Name() == "RECORD_STOP" {
				r.Equal(wav, e.Get("Record-File-Path"))
			}
		}
		r.Contains(names, "RECORD_START")
		r.Contains(names, "RECORD_STOP")
		r.Equal("CHANNEL_HANGUP_COMPLETE", names[len(names)-1], "events in order up to the end of the socket")
		return nil
	})
	_, peer := dialOutbound(t, b.srv.Addr().String(), loadTrace(t, "21_outbound_myevents_plus_record_events.txt"))
	b.wait(t, peer)
}

func TestCallerHangupMidPlaybackFailsTheCommandWithTheCause(t *testing.T) {
	t.Parallel()
	// 05c: the caller hangs up during a 10 s playback; FreeSWITCH sends CHANNEL_HANGUP, then
	// PLAYBACK ERROR, then a disconnect notice and closes.
	b := setupOutbound(t, ServerOptions{}, func(ctx context.Context, c *Call) error {
		r := require.New(t)
		r.NoError(c.Answer(ctx))
		_, err := c.Playback(ctx, "tone_stream://%(10000,0,440)", PlaybackOpts{Terminators: "*"})
		r.ErrorIs(err, ErrHangup)
		var he *HangupError
		r.ErrorAs(err, &he)
		r.Equal(CauseNormalClearing, he.Cause)
		<-c.Done()
		r.Equal(CauseNormalClearing, c.HangupCause())
		_, err = c.WaitDTMF(ctx)
		r.ErrorIs(err, ErrHangup, "later commands fail fast")
		r.NoError(c.Hangup(ctx, ""), "hanging up a call that is over is not an error")
		return nil
	})
	_, peer := dialOutbound(t, b.srv.Addr().String(), loadTrace(t, "05c_outbound_caller_hangup.txt"))
	b.wait(t, peer)
}

func TestBridgeOutcomesFromRealFreeSWITCHSessions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		trace string
		run   func(ctx context.Context, c *Call) error
	}{
		{"30_outbound_bridge_agent_answers.txt", func(ctx context.Context, c *Call) error {
			r := require.New(t)
			r.NoError(c.Answer(ctx))
			res, err := c.Bridge(ctx, "loopback/5210/default/XML", BridgeOpts{Vars: map[string]string{"origination_caller_id_number": "1001"}})
			r.NoError(err)
			r.True(res.Answered)
			r.Equal(CauseNormalClearing, res.Cause, "the agent hung up normally")
			r.Equal("SUCCESS", res.Disposition)
			r.NotEmpty(res.OtherLeg)
			_, err = c.Playback(ctx, "tone_stream://%(500,0,600)", PlaybackOpts{Terminators: "*"})
			r.NoError(err, "the caller survives the agent's hangup")
			return c.Hangup(ctx, "")
		}},
		{"31_outbound_bridge_agent_no_answer.txt", func(ctx context.Context, c *Call) error {
			r := require.New(t)
			r.NoError(c.Answer(ctx))
			res, err := c.Bridge(ctx, "loopback/5211/default/XML", BridgeOpts{Timeout: 3 * time.Second})
			r.NoError(err)
			r.Equal(BridgeResult{Cause: CauseNoAnswer, Disposition: "NO_ANSWER"}, res)
			_, err = c.Playback(ctx, "tone_stream://%(500,0,600)", PlaybackOpts{Terminators: "*"})
			r.NoError(err)
			return c.Hangup(ctx, "")
		}},
		{"32_outbound_bridge_agent_busy.txt", func(ctx context.Context, c *Call) error {
			r := require.New(t)
			r.NoError(c.Answer(ctx))
			res, err := c.Bridge(ctx, "loopback/5206/default/XML", BridgeOpts{})
			r.ErrorIs(err, ErrHangup, "busy without continue_on_fail hangs the caller up")
			r.Equal(BridgeResult{Cause: CauseUserBusy, Disposition: "USER_BUSY"}, res)
			r.Equal(CauseUserBusy, c.HangupCause())
			return nil
		}},
		{"33_outbound_bridge_agent_busy_continue_on_fail.txt", func(ctx context.Context, c *Call) error {
			r := require.New(t)
			r.NoError(c.Answer(ctx))
			res, err := c.Bridge(ctx, "loopback/5206/default/XML", BridgeOpts{ContinueOnFail: true})
			r.NoError(err)
			r.Equal(BridgeResult{Cause: CauseUserBusy, Disposition: "USER_BUSY"}, res)
			_, err = c.Playback(ctx, "tone_stream://%(500,0,600)", PlaybackOpts{Terminators: "*"})
			r.NoError(err)
			return c.Hangup(ctx, "")
		}},
		{"34_outbound_bridge_sip_caller_sip_agents.txt", func(ctx context.Context, c *Call) error {
			r := require.New(t)
			r.NoError(c.Answer(ctx))
			res, err := c.Bridge(ctx, "sofia/internal/5211@127.0.0.1:5060", BridgeOpts{Timeout: 3 * time.Second})
			r.NoError(err)
			r.Equal(BridgeResult{Cause: CauseNoAnswer, Disposition: "NO_ANSWER"}, res)
			res, err = c.Bridge(ctx, "sofia/internal/5210@127.0.0.1:5060", BridgeOpts{Timeout: 10 * time.Second})
			r.NoError(err)
			r.True(res.Answered, "originate_disposition SUCCESS wins over the stale originate_failed_cause NO_ANSWER")
			r.Equal("SUCCESS", res.Disposition)
			r.Equal(CauseNormalClearing, res.Cause)
			r.NotEmpty(res.OtherLeg)
			return c.Hangup(ctx, "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.trace, func(t *testing.T) {
			b := setupOutbound(t, ServerOptions{}, tt.run)
			_, peer := dialOutbound(t, b.srv.Addr().String(), loadTrace(t, tt.trace))
			b.wait(t, peer)
		})
	}
}
