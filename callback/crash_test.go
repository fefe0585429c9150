package callback

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/sms"
	"github.com/ivrd/ivrd/store/pgtest"
)

// The crash test runs the callback worker in a child process (this test binary again, with
// these variables set) and kills it with SIGKILL at random moments.
const (
	crashChildEnv = "CALLBACK_CRASH_CHILD"
	crashDBEnv    = "CALLBACK_CRASH_DB"
	crashESLEnv   = "CALLBACK_CRASH_ESL"
	crashReady    = "callback worker ready"
)

func crashConfig() Config {
	cfg := testConfig()
	cfg.CallsPerSecond = 100
	cfg.Workers = 20
	cfg.JobTimeout = 1500 * time.Millisecond
	return cfg
}

// fastRetry retries a failed or rescued job at once (River's default waits attempt^4 s).
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// crashChild is the child process: an ivrd's callback worker and nothing else, until killed.
func crashChild() int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "crash child:", err); return 2 }
	pool, err := pgxpool.New(ctx, os.Getenv(crashDBEnv))
	if err != nil {
		return fail(err)
	}
	nodes, err := esl.NewPool([]esl.Node{{Name: "fs1", Address: os.Getenv(crashESLEnv), Password: "ClueCon"}}, esl.ClientOptions{Logger: quiet})
	if err != nil {
		return fail(err)
	}
	texts, err := sms.New(smsConfig(), pool, sms.Options{Gateway: sms.NewConsole(nil, 10), Logger: quiet})
	if err != nil {
		return fail(err)
	}
	svc, err := New(crashConfig(), pool, Options{Nodes: nodes, Texts: texts.Sender, OptOuts: texts.OptOuts, Logger: quiet})
	if err != nil {
		return fail(err)
	}
	workers := river.NewWorkers()
	texts.AddWorkers(workers)
	svc.AddWorkers(workers)
	queues := svc.RiverQueues()
	queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: 5}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: queues, Workers: workers, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond,
		// Jobs of a killed worker are taken up again after JobTimeout and retried at once.
		JobTimeout: 1500 * time.Millisecond, RescueStuckJobsAfter: 1500 * time.Millisecond, RetryPolicy: fastRetry{},
		Logger: quiet, TestOnly: true,
	})
	if err != nil {
		return fail(err)
	}
	texts.SetJobClient(client)
	svc.SetJobClient(client)
	if err := client.Start(ctx); err != nil {
		return fail(err)
	}
	fmt.Println(crashReady)
	select {}
}

// startChild runs a worker process and waits until River runs in it.
func startChild(t *testing.T, dbURL, eslAddr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDBEnv+"="+dbURL, crashESLEnv+"="+eslAddr)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == crashReady {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd
		}
	}
	t.Fatalf("the worker process ended before it was ready: %v", sc.Err())
	return nil
}

// TestCrashLosesNothingAndDialsNoOneTwice kills the worker with SIGKILL at random moments
// while 200 callbacks are in progress, restarts it, and counts: every request ends, dialed
// once (counted at the switch) or finished with a recorded reason; nobody is dialed twice.
func TestCrashLosesNothingAndDialsNoOneTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewMigratedDatabase(t, sms.Migrations, Migrations)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	// The switch: every customer answers quickly and stays on the line (parked), so a call
	// that went through is still up when a restarted worker reconciles it.
	fs, err := fstest.Start(ctx, fstest.Options{Clock: fstest.ScaledClock(50)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })
	fs.SetEndpoint(gw+"*", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: 2 * time.Second})
	counter, err := esl.Dial(ctx, esl.Node{Name: "count", Address: fs.InboundAddr(), Password: fs.Password()}, esl.ClientOptions{Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = counter.Close() })
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	// The barrier event, fired once every request has ended, comes after every CHANNEL_CREATE
	// on this subscription: when it arrives, every dial has been counted.
	const barrier = "ivrd::crash_test_barrier"
	sub, err := counter.Subscribe(sctx, esl.SubscribeOptions{Events: []string{"CHANNEL_CREATE", "CUSTOM " + barrier}})
	require.NoError(t, err)
	var mu sync.Mutex
	dials := map[string]int{}
	counted := make(chan struct{})
	go func() {
		for e := range sub.Events() {
			if e.Get("Event-Subclass") == barrier {
				close(counted)
				continue
			}
			if e.Var(VarID) != "" {
				mu.Lock()
				dials[e.Get("Caller-Destination-Number")]++
				mu.Unlock()
			}
		}
	}()

	// 200 requests, stored before any worker runs.
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: quiet})
	require.NoError(t, err)
	svc, err := New(crashConfig(), pool, Options{Logger: quiet})
	require.NoError(t, err)
	svc.SetJobClient(inserter)
	const n = 200
	for i := range n {
		_, err := svc.Request(ctx, Request{Source: SourceAPI, Key: fmt.Sprint("crash-", i), Number: fmt.Sprintf("+1415555%04d", 2000+i)})
		require.NoError(t, err)
	}

	live := func() int {
		var k int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM callback_request WHERE state IN ('waiting', 'dialing')`).Scan(&k))
		return k
	}
	kills := 0
	for cycle := 0; cycle < 8 && live() > 0; cycle++ {
		child := startChild(t, url, fs.InboundAddr())
		time.Sleep(time.Duration(50+rand.IntN(700)) * time.Millisecond)
		var dialing int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM callback_attempt WHERE state = 'dialing'`).Scan(&dialing))
		require.NoError(t, child.Process.Kill())
		_ = child.Wait()
		kills++
		t.Logf("kill %d: %d attempts were dialing, %d requests still live", kills, dialing, live())
		// The killed process held River's leadership; its lease would expire after River's
		// TTL. End it now so the next worker leads (schedules and rescues) at once.
		_, err := pool.Exec(ctx, `DELETE FROM river_leader`)
		require.NoError(t, err)
		time.Sleep(1600 * time.Millisecond) // past RescueStuckJobsAfter: the next worker rescues
	}
	final := startChild(t, url, fs.InboundAddr())
	if !assertEventually(t, func() bool { return live() == 0 }, 60*time.Second) {
		rows, err := pool.Query(ctx, `SELECT state, count(*)::int, coalesce(max(errors::text), '') FROM river_job GROUP BY state`)
		require.NoError(t, err)
		for rows.Next() {
			var st, errs string
			var k int
			require.NoError(t, rows.Scan(&st, &k, &errs))
			t.Logf("river jobs %s: %d %s", st, k, errs)
		}
		t.Fatalf("%d requests never ended", live())
	}
	_ = final.Process.Kill()

	rows, err := pool.Query(ctx, `SELECT number, state, reason, detail FROM callback_request ORDER BY id`)
	require.NoError(t, err)
	type result struct{ number, state, reason, detail string }
	results, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (result, error) {
		var x result
		err := r.Scan(&x.number, &x.state, &x.reason, &x.detail)
		return x, err
	})
	require.NoError(t, err)
	require.Len(t, results, n, "no request lost")
	fs.FireCustom(barrier)
	select {
	case <-counted:
	case <-time.After(time.Minute):
		t.Fatal("the barrier event never came: dials cannot be counted")
	}
	mu.Lock()
	defer mu.Unlock()
	once, unknown := 0, 0
	for _, r := range results {
		d := dials[r.number]
		require.LessOrEqual(t, d, 1, "%s was dialed %d times", r.number, d)
		switch r.state {
		case "done":
			require.Equal(t, 1, d, "%s answered, so it was dialed once", r.number)
			once++
		case "failed":
			require.Equal(t, string(ReasonUnknown), r.reason, "%s: %s", r.number, r.detail)
			require.NotEmpty(t, r.detail)
			unknown++
		default:
			t.Fatalf("%s ended in state %s", r.number, r.state)
		}
	}
	t.Logf("%d kills; %d callbacks dialed once, %d ended with outcome_unknown (killed around the originate), none twice",
		kills, once, unknown)
	require.Positive(t, once)
}

// assertEventually polls cond until it holds or wait passes.
func assertEventually(t *testing.T, cond func() bool, wait time.Duration) bool {
	t.Helper()
	end := time.Now().Add(wait)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}
