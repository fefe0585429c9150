package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ivrd/ivrd/esl/fstest"
)

func init() {
	register(command{
		name:    "emulator",
		args:    "[--listen ADDR] [--password PW] [--outbound ADDR]",
		summary: "run the FreeSWITCH emulator (ESL on --listen, calls to ivrd's outbound socket)",
		run:     runEmulator,
	})
}

func runEmulator(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd emulator", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	listen := fs.String("listen", "127.0.0.1:8021", "inbound event socket address (FreeSWITCH's 8021)")
	password := fs.String("password", "", "event socket password (default $IVRD_ESL_PASSWORD, else ClueCon)")
	passwordFile := fs.String("password-file", "", "read the event socket password from this file")
	outbound := fs.String("outbound", "127.0.0.1:8084", "ivrd's outbound socket: where calls to 5000 and any other number go")
	speed := fs.Float64("speed", 1, "run emulated time this many times faster (prompts, ring times, timeouts)")
	agents := fs.String("agents", "1001,1002,1003", "user/NNNN endpoints that answer after --agent-ring (comma separated)")
	agentRing := fs.Duration("agent-ring", 2*time.Second, "how long agents ring before answering")
	verbose := fs.Bool("v", false, "log emulator activity")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd emulator [--listen ADDR] [--password PW] [--outbound ADDR]", fs.Args())
	}
	pw := *password
	if pw == "" && *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("read --password-file: %w", err)
		}
		pw = strings.TrimSpace(string(b))
	}
	if pw == "" {
		pw = env.getenv("IVRD_ESL_PASSWORD")
	}
	if pw == "" {
		pw = "ClueCon"
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))

	dp := fstest.TraceDialplan(*outbound)
	for _, ctxName := range []string{"default", "public"} {
		dp.SetFallback(ctxName, fstest.Socket(*outbound))
	}
	srv, err := fstest.Start(ctx, fstest.Options{
		Password: pw, InboundAddr: *listen, Dialplan: dp, Clock: fstest.ScaledClock(*speed), Logger: log,
	})
	if err != nil {
		return err
	}
	for _, a := range strings.Split(*agents, ",") {
		if a = strings.TrimSpace(a); a != "" {
			srv.SetEndpoint("user/"+a, fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: *agentRing})
		}
	}
	srv.SetEndpoint("user/busy*", fstest.Behavior{Outcome: fstest.OutcomeBusy, After: 500 * time.Millisecond})
	srv.SetEndpoint("user/noanswer*", fstest.Behavior{Outcome: fstest.OutcomeNoAnswer})

	fmt.Fprintf(env.stdout, `FreeSWITCH emulator (ESL) listening on %s
  calls to 5000 (and any unknown number) -> socket %s async full
  agents answering after %s: user/%s; user/busy* is busy; user/noanswer* never answers
  5201 answers+parks, 5206 busy, 5207 unallocated, 5208 rejected, 5210 agent answers after 2 s

Try it:
  fs_cli -H %s -P %s -p PASSWORD -x status
  # place a call into ivrd (needs ivrd's outbound socket on %s):
  bgapi originate {origination_caller_id_number=0612345678}loopback/5000/default &park
  api uuid_send_dtmf <uuid printed by originate> 1
  api fstest_call 5000 0612345678 1      (a scripted caller that presses 1 after answer)

Ctrl-C stops it (calls hang up with SYSTEM_SHUTDOWN, clients get a disconnect notice).
`, srv.InboundAddr(), *outbound, *agentRing, strings.ReplaceAll(*agents, ",", ", user/"),
		hostOf(srv.InboundAddr()), portOf(srv.InboundAddr()), *outbound)
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Stop(stopCtx)
}

func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[:i]
	}
	return addr
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}
