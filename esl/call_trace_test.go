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
		b.results <- fn(ctx, c)
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
