package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/sipcall"
)

// The SIP caller is `ivrd call --sip URI ...`: cmd_call.go (the emulator-based caller) hands
// its arguments to runSIPCall when --sip is given.

// sipgo logs a few lines (connection reference counts, unhandled requests) through its
// process-wide logger rather than the one each call passes in; it is set once here, before
// any call runs, because setting it per call races with the calls already running.
func init() {
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// runSIPCall places one SIP call. args are the flags of `ivrd call --sip URI ...`, --sip
// included. It prints how the call ended and exits 0 when the call was answered, 1 when not.
func runSIPCall(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd call --sip", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var o sipcall.Options
	fs.StringVar(&o.URI, "sip", "", "SIP URI to dial, e.g. sip:5000@127.0.0.1:5080 (;transport=tcp for TCP)")
	fs.StringVar(&o.Digits, "digits", "", `DTMF script sent after answer: digits and pauses, e.g. "1,wait 3s,2,5#"`)
	fs.StringVar(&o.RecordPath, "record", "", "write what the caller hears to this WAV file (8 kHz mono)")
	fs.StringVar(&o.From, "from", "ivrd", "caller ID (user part of From)")
	fs.StringVar(&o.Username, "user", "", "digest auth user (e.g. 1000 on FreeSWITCH's internal profile)")
	fs.StringVar(&o.Password, "password", "", "digest auth password (default $IVRD_SIP_PASSWORD)")
	fs.StringVar(&o.BindHost, "bind", "", "local IP for SIP and RTP (default: the one that routes to the URI's host)")
	fs.IntVar(&o.BindPort, "port", 0, "fixed local SIP port to listen on (default: ephemeral)")
	fs.DurationVar(&o.AnswerTimeout, "answer-timeout", 30*time.Second, "cancel the call if not answered by then (NO_ANSWER)")
	fs.DurationVar(&o.Linger, "linger", 5*time.Second, "after the script, wait this long for the far end to hang up, then hang up")
	fs.DurationVar(&o.DigitGap, "digit-gap", 100*time.Millisecond, "pause between the digits of one item such as 5#")
	verbose := fs.Bool("v", false, "log SIP and media events to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd call --sip URI [--digits SCRIPT] [--record FILE]", fs.Args())
	}
	if o.URI == "" {
		return errors.New("no number to call: give --sip URI, e.g. --sip sip:5000@127.0.0.1:5080")
	}
	if o.Password == "" {
		o.Password = env.getenv("IVRD_SIP_PASSWORD")
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))

	res, err := sipcall.Call(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %s\n", o.URI, res)
	if o.RecordPath != "" && res.Answered {
		fmt.Fprintf(env.stdout, "recorded %s of audio to %s\n",
			time.Duration(res.HeardBytes/2)*time.Second/8000, o.RecordPath)
	}
	if !res.Answered {
		return exitError{1}
	}
	return nil
}
