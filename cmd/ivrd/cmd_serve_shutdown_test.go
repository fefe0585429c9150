package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/store/pgtest"
)

const (
	shortGreeting = "Thank you for calling, goodbye."
	longEnding    = "This is the end of the long message."
)

// shutdownFlows: 5000 is a short call, 5001 a call far longer than the grace period.
var shutdownFlows = map[string]string{
	"short.yaml": "flow: short\nsteps:\n  start:\n    play: \"" + shortGreeting + "\"\n    next: end\n  end:\n    hangup:\n",
	"long.yaml": "flow: long\nsteps:\n  start:\n    play: \"" + strings.Repeat("Please listen to this long message. ", 30) +
		"\"\n    next: last\n  last:\n    play: \"" + longEnding + "\"\n    next: end\n  end:\n    hangup:\n",
	"callback.yaml": "flow: callback\nsteps:\n  start:\n    play: \"Hello.\"\n    next: end\n  end:\n    hangup:\n",
}

// serveProcess is `ivrd serve` as a child process, as an init system runs it.
type serveProcess struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

func startServeProcess(t *testing.T, bin, cfg, httpAddr string) *serveProcess {
	t.Helper()
	p := &serveProcess{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--config", cfg, "--grace", "5s")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- ivrd serve output ---\n%s", p.out.String())
		}
	})
	for i := 0; readyz(httpAddr) != http.StatusOK; i++ {
		select {
		case <-p.done:
			t.Fatalf("ivrd serve exited (%v):\n%s", p.err, p.out.String())
		default:
		}
		require.Less(t, i, 1200, "never ready:\n%s", p.out.String())
		time.Sleep(50 * time.Millisecond)
	}
	return p
}

func readyz(addr string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeDrainsOnSIGTERM sends SIGTERM to a real `ivrd serve` process with two calls in
// progress and a callback being dialed: /readyz turns 503, a new call is not taken, the short
// call finishes, the long one is hung up at the grace deadline, the process exits 0, and the
// dial job goes back to the queue and runs again when ivrd is started again.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "ivrd")
	bctx, bcancel := context.WithTimeout(ctx, 5*time.Minute)
	defer bcancel()
	out, err := exec.CommandContext(bctx, "go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	fs, err := fstest.Start(ctx, fstest.Options{Password: "s3cret"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })
	// The customer's phone rings for 8 s and nobody answers.
	fs.SetEndpoint("sofia/gateway/carrier/*", fstest.Behavior{Outcome: fstest.OutcomeNoAnswer})

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "flows"), 0o755))
	for name, body := range shutdownFlows {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "flows", name), []byte(body), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "esl_password"), []byte("s3cret\n"), 0o600))
	outbound, httpAddr, dbURL := freeAddr(t), freeAddr(t), pgtest.NewDatabase(t)
	cfg := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: {outbound: %q, http: %q}
freeswitch:
  - {name: fs1, address: %q, password_file: %q}
database: {url: %q}
flows:
  dir: flows
  default: short
  routes:
    - {number: "5001", flow: long}
callbacks:
  dial: "sofia/gateway/carrier/{number}"
  ring_timeout: 8s
  default_region: US
`, outbound, httpAddr, fs.InboundAddr(), filepath.Join(dir, "esl_password"), dbURL)), 0o644))
	fs.Dialplan().SetFallback("default", fstest.Socket(outbound))

	srv := startServeProcess(t, bin, cfg, httpAddr)
	db, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(db.Close)

	// A callback whose dial job is running (the phone rings) when SIGTERM comes.
	body, err := json.Marshal(callback.APIRequest{Key: "drain-1", Number: "+14155552671"})
	require.NoError(t, err)
	resp, err := http.Post("http://"+httpAddr+"/api/callbacks", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var legUUID string
	require.Eventually(t, func() bool {
		return db.QueryRow(ctx, `SELECT uuid FROM callback_attempt WHERE state = 'dialing'`).Scan(&legUUID) == nil
	}, 30*time.Second, 20*time.Millisecond, "the callback is never dialed")

	// Two calls in progress: a short one and one longer than the grace period.
	cctx, ccancel := context.WithTimeout(ctx, 60*time.Second)
	defer ccancel()
	long, err := fs.PlaceCall(cctx, fstest.CallSpec{CalledNumber: "5001", CallerNumber: "0611111111"})
	require.NoError(t, err)
	_, err = long.WaitFor(cctx, fstest.OnPrompt("Please listen"))
	require.NoError(t, err)
	short, err := fs.PlaceCall(cctx, fstest.CallSpec{CalledNumber: "5000", CallerNumber: "0622222222"})
	require.NoError(t, err)
	_, err = short.WaitFor(cctx, fstest.OnPrompt(shortGreeting))
	require.NoError(t, err)

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	// Draining: not ready, so a load balancer sends new work elsewhere.
	for readyz(httpAddr) != http.StatusServiceUnavailable {
		select {
		case <-srv.done:
			t.Fatalf("ivrd exited before /readyz said draining:\n%s", srv.out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	// A new call is not taken.
	late, err := fs.PlaceCall(cctx, fstest.CallSpec{CalledNumber: "5000", CallerNumber: "0633333333"})
	require.NoError(t, err)
	lateRes, err := late.Wait(cctx)
	require.NoError(t, err)
	require.False(t, lateRes.Answered, "a call after SIGTERM was answered: %+v", lateRes)
	require.Empty(t, late.Heard())

	// The short call finishes normally; the long one is hung up at the grace deadline.
	shortRes, err := short.Wait(cctx)
	require.NoError(t, err)
	require.Equal(t, "NORMAL_CLEARING", shortRes.Cause)
	require.Equal(t, "switch", shortRes.HungUpBy)
	require.Contains(t, strings.Join(short.Heard(), " "), shortGreeting)
	_, err = long.Wait(cctx)
	require.NoError(t, err)
	require.NotContains(t, strings.Join(long.Heard(), " "), longEnding, "the long call was hung up before its end")

	select {
	case <-srv.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("ivrd did not exit after SIGTERM:\n%s", srv.out.String())
	}
	require.Contains(t, srv.out.String(), "ivrd stopped")
	// A requested stop that hung up a call at the grace deadline is a normal drain: exit status 0
	// (systemd and docker see no failure), with a warning saying how many calls were cut.
	require.NoError(t, srv.err, "ivrd serve exited with a failure after a normal drain:\n%s", srv.out.String())
	require.Equal(t, 0, srv.cmd.ProcessState.ExitCode())
	require.Contains(t, srv.out.String(), "level=WARN msg=\"ivrd stopped; calls still running when the grace period ended were hung up\" calls_cut=1")
	var shortOutcome string
	require.NoError(t, db.QueryRow(ctx, `SELECT outcome FROM ivr_call WHERE caller = '0622222222'`).Scan(&shortOutcome),
		"the short call's record was flushed at shutdown")
	require.Equal(t, "self-served", shortOutcome)

	// The dial job was handed back, not completed or dropped.
	var jobState string
	var jobAttempt int
	require.NoError(t, db.QueryRow(ctx, `SELECT state, attempt FROM river_job WHERE kind = 'callback_dial'`).Scan(&jobState, &jobAttempt))
	require.Contains(t, []string{"available", "retryable", "scheduled"}, jobState, "the running dial job goes back to the queue")
	require.Equal(t, 0, jobAttempt, "handed back at shutdown without spending one of its tries")
	var attemptState string
	require.NoError(t, db.QueryRow(ctx, `SELECT state FROM callback_attempt WHERE uuid = $1`, legUUID).Scan(&attemptState))
	require.Equal(t, "dialing", attemptState, "the phone was still ringing: the attempt is left for the next run to reconcile")

	// Once the phone stops ringing, ivrd starts again and the job runs again: the attempt is
	// reconciled with FreeSWITCH (not dialed a second time) and the request ends with a reason.
	watch, err := esl.Dial(ctx, esl.Node{Name: "watch", Address: fs.InboundAddr(), Password: "s3cret"}, esl.ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = watch.Close() })
	require.Eventually(t, func() bool {
		up, err := watch.Exists(ctx, legUUID)
		return err == nil && !up
	}, 60*time.Second, 50*time.Millisecond)
	startServeProcess(t, bin, cfg, httpAddr)
	var state, reason string
	require.Eventually(t, func() bool {
		err := db.QueryRow(ctx, `SELECT state, reason FROM callback_request WHERE source_key = 'api:drain-1'`).Scan(&state, &reason)
		return err == nil && (state == "done" || state == "failed")
	}, 60*time.Second, 50*time.Millisecond, "the callback never ended after the restart")
	require.Equal(t, "failed", state)
	require.Equal(t, string(callback.ReasonUnknown), reason)
	require.NoError(t, db.QueryRow(ctx, `SELECT attempt FROM river_job WHERE kind = 'callback_dial'`).Scan(&jobAttempt))
	require.Equal(t, 1, jobAttempt, "the job ran again after the restart")
	var attempts int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM callback_attempt`).Scan(&attempts))
	require.Equal(t, 1, attempts, "not dialed a second time")
}
