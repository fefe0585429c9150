package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/daemon"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/recordings"
	"github.com/ivrd/ivrd/store/pgtest"
	"github.com/ivrd/ivrd/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// helloFlow answers, says which version it is, asks for a key and hangs up.
func helloFlow(name, version string) string {
	return `flow: ` + name + `
steps:
  start:
    menu:
      prompt: "Hello from ` + name + ` ` + version + `. Press 1."
      options:
        1: bye
      on_fail: bye
  bye:
    play: "Goodbye."
    next: end
  end:
    hangup:
`
}

// slowFlow plays a long prompt, then hangs up: a call that is in progress for a while.
const slowFlow = `flow: slow
steps:
  start:
    play: tone_stream://%(20000,0,440)
    next: end
  end:
    hangup:
`

type bundle struct {
	fs   *fstest.Server
	d    *daemon.Daemon
	cfg  *config.Config
	dir  string
	logs *syncLog
}

type setupOpts struct {
	dbURL   string
	grace   time.Duration
	nodes   []esl.Node // default: the emulator
	noNodes bool
	clock   fstest.Clock // the emulator's clock (default 50x speed)
	yaml    string       // more ivrd.yaml sections
}

// setup starts the emulator (50x speed) and a daemon on free ports whose flows folder holds
// hello (routed from 5000 and 7*), other, and slow (routed from 9000).
func setup(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	ctx := context.Background()
	if o.clock == nil {
		o.clock = fstest.ScaledClock(50)
	}
	fs, err := fstest.Start(ctx, fstest.Options{Clock: o.clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })

	dir := t.TempDir()
	for name, body := range map[string]string{"hello.yaml": helloFlow("hello", "v1"), "other.yaml": helloFlow("other", "v1"), "slow.yaml": slowFlow} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`
listen: {outbound: "127.0.0.1:0", http: "127.0.0.1:0"}
database: {url: %q}
flows:
  dir: %s
  default: hello
  routes:
    - {number: "9000", flow: slow}
    - {number: "7*", flow: other}
    - {number: "77*", flow: hello}
`, o.dbURL, dir)+o.yaml))
	require.NoError(t, err)
	switch {
	case o.nodes != nil:
		cfg.FreeSWITCH = o.nodes
	case !o.noNodes:
		cfg.FreeSWITCH = []esl.Node{{Name: "fs1", Address: fs.InboundAddr(), Password: fs.Password()}}
	}
	logs := &syncLog{}
	d, err := daemon.New(daemon.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Grace: o.grace, Clock: fs.Clock()})
	require.NoError(t, err)
	require.NoError(t, d.Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	})
	fs.Dialplan().SetFallback("default", fstest.Socket(d.OutboundAddr()))
	return &bundle{fs: fs, d: d, cfg: cfg, dir: dir, logs: logs}
}

// call places a call to number that presses 1 at the first menu and waits for its end.
func (b *bundle) call(t *testing.T, number string, vars map[string]string) (*fstest.Call, fstest.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := b.fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: number, CallerNumber: "+12125550101", Vars: vars,
		Script: []fstest.Step{{On: fstest.OnPrompt("Press 1"), DTMF: "1"}}})
	require.NoError(t, err)
	res, err := c.Wait(ctx)
	require.NoError(t, err)
	return c, res
}

func (b *bundle) ready(t *testing.T) (int, web.ReadyReport) {
	t.Helper()
	resp, err := http.Get("http://" + b.d.HTTPAddr() + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var rep web.ReadyReport
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	return resp.StatusCode, rep
}

// eventually polls cond every 20 ms (the test's deadline bounds it).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 3000 {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func loadRecord(t *testing.T, url, id string) *ivr.CallRecord {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()
	var rec *ivr.CallRecord
	eventually(t, "call record "+id+" stored", func() bool {
		rec, err = ivr.LoadCallRecord(context.Background(), pool, id)
		return err == nil
	})
	return rec
}

func TestServeRoutesCallsRunsFlowsAndStoresTheirRecords(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	b := setup(t, setupOpts{dbURL: url})
	eventually(t, "ready", func() bool { code, _ := b.ready(t); return code == http.StatusOK })

	for _, tc := range []struct{ number, flow string }{
		{"5000", "hello"}, // default
		{"7123", "other"}, // prefix
		{"7712", "hello"}, // the longer prefix wins
	} {
		c, res := b.call(t, tc.number, nil)
		require.Equal(t, "NORMAL_CLEARING", res.Cause, "%s: %v", tc.number, c.Events())
		require.Contains(t, strings.Join(c.Heard(), " | "), "Hello from "+tc.flow+" v1", tc.number)
		rec := loadRecord(t, url, c.UUID())
		require.Equal(t, tc.flow, rec.Flow)
		require.Equal(t, "+12125550101", rec.Caller)
		require.Equal(t, tc.number, rec.Called)
		require.Equal(t, "start bye end", strings.Join(rec.Steps(), " "))
		require.Equal(t, ivr.OutcomeSelfServed, rec.Outcome)
	}
	// A channel variable set by the dialplan (or an originate) picks the flow.
	c, _ := b.call(t, "5000", map[string]string{daemon.FlowVar: "other"})
	require.Contains(t, strings.Join(c.Heard(), " | "), "Hello from other v1")

	code, rep := b.ready(t)
	require.Equal(t, http.StatusOK, code, "%+v", rep)
	metrics := func() string {
		resp, err := http.Get("http://" + b.d.HTTPAddr() + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	// The caller's side can see the hangup before ivrd's call goroutine has counted the call.
	eventually(t, "every call counted by flow and outcome", func() bool {
		m := metrics()
		return strings.Contains(m, `ivrd_calls_total{flow="hello",outcome="completed"} 2`) &&
			strings.Contains(m, `ivrd_calls_total{flow="other",outcome="completed"} 2`) &&
			strings.Contains(m, `ivrd_calls_in_progress{node="fstest"} 0`)
	})
	eventually(t, "the FreeSWITCH gauge says up", func() bool { return strings.Contains(metrics(), `ivrd_freeswitch_up{node="fs1"} 1`) })

	// The status page shows the node and the flows with their versions.
	resp, err := http.Get("http://" + b.d.HTTPAddr() + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), "fs1")
	require.Contains(t, string(page), "hello (version "+b.d.Flows().Version("hello")+")")
}

func TestServeWaitsForADatabaseThatIsDownAndKeepsTheRecords(t *testing.T) {
	t.Parallel()
	pg := pgtest.NewServer(t)
	url := pg.NewDatabase(t)
	pg.Stop(t)
	b := setup(t, setupOpts{dbURL: url})

	eventually(t, "readyz names the database, and only it (FreeSWITCH is up)", func() bool {
		code, rep := b.ready(t)
		return code == http.StatusServiceUnavailable && strings.Contains(rep.Errors[web.CheckDatabase], "connect to PostgreSQL") &&
			len(rep.Failing) == 1
	})
	require.Contains(t, b.logs.String(), "database not available")
	require.Contains(t, b.logs.String(), "check=\"that PostgreSQL runs")

	// Calls go on meanwhile.
	c, res := b.call(t, "5000", nil)
	require.Equal(t, "NORMAL_CLEARING", res.Cause)

	pg.Start(t)
	eventually(t, "ready once the database is back", func() bool { code, _ := b.ready(t); return code == http.StatusOK })
	rec := loadRecord(t, url, c.UUID())
	require.Equal(t, "hello", rec.Flow)
}

func TestServeWithFreeSWITCHUnreachableStartsAndSaysWhatToCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{nodes: []esl.Node{{Name: "fs-down", Address: "127.0.0.1:1", Password: "x"}}})
	eventually(t, "readyz names FreeSWITCH", func() bool {
		code, rep := b.ready(t)
		return code == http.StatusServiceUnavailable && strings.Contains(rep.Errors[web.CheckFreeSWITCH], "fs-down (127.0.0.1:1)")
	})
	eventually(t, "the log says what to check", func() bool {
		return strings.Contains(b.logs.String(), "FreeSWITCH not connected; retrying with backoff") &&
			strings.Contains(b.logs.String(), "event_socket.conf.xml")
	})
	require.NotContains(t, b.logs.String(), "password=x")
	// Calls sent to the outbound socket are still answered.
	_, res := b.call(t, "5000", nil)
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
}

func TestStopLetsACallInProgressFinishAndRefusesNewCalls(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noNodes: true, grace: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := b.fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: "9000"})
	require.NoError(t, err)
	_, err = c.WaitFor(ctx, fstest.OnPrompt("tone_stream://%(20000"))
	require.NoError(t, err)

	stopped := make(chan error, 1)
	go func() { stopped <- b.d.Stop(ctx) }()
	eventually(t, "draining", func() bool {
		resp, err := http.Get("http://" + b.d.HTTPAddr() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	res, err := c.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, "NORMAL_CLEARING", res.Cause, "the call finished its flow: %v", c.Events())
	require.Equal(t, "switch", res.HungUpBy)
	require.NoError(t, <-stopped)

	// The outbound socket is closed: FreeSWITCH's socket app fails a new call.
	c2, err := b.fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: "5000"})
	if err == nil {
		res2, err := c2.Wait(ctx)
		require.NoError(t, err)
		require.False(t, res2.Answered)
	}
}

func TestStopHangsUpCallsStillRunningWhenTheGraceEnds(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noNodes: true, grace: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := b.fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: "9000"})
	require.NoError(t, err)
	_, err = c.WaitFor(ctx, fstest.OnPrompt("tone_stream://%(20000"))
	require.NoError(t, err)
	require.NoError(t, b.d.Stop(ctx), "hanging up calls at the grace deadline is a normal stop, not a failure")
	res, err := c.Wait(ctx)
	require.NoError(t, err)
	require.NotEqual(t, "NORMAL_CLEARING", res.Cause, "the call was cut at the end of the grace period")
	require.Equal(t, 1, b.d.CallsCut())
	require.Contains(t, b.logs.String(), "calls_cut=1", "the stop says how many calls it cut")
}

// TestStopLetsARunningDialJobFinishWithItsOutcome stops the daemon while a callback's phone
// rings: the job queue waits for the job within the grace, and the FreeSWITCH connection stays
// open until it is done, so the attempt ends with what the phone did (busy), not
// outcome_unknown.
func TestStopLetsARunningDialJobFinishWithItsOutcome(t *testing.T) {
	t.Parallel()
	clock := &gatedClock{Clock: fstest.ScaledClock(50), hold: ringHold, release: make(chan struct{})}
	dbURL := pgtest.NewDatabase(t)
	b := setup(t, setupOpts{dbURL: dbURL, grace: time.Minute, clock: clock, yaml: `
callbacks:
  dial: "sofia/gateway/carrier/{number}"
  ring_timeout: 30s
  default_region: US
  max_attempts: 1
`})
	// The phone rings until the test lets it go on, then it is busy.
	b.fs.SetEndpoint("sofia/gateway/carrier/*", fstest.Behavior{Outcome: fstest.OutcomeBusy, After: ringHold})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	eventually(t, "database ready", b.d.DatabaseReady)

	resp, err := http.Post("http://"+b.d.HTTPAddr()+"/api/callbacks", "application/json",
		strings.NewReader(`{"key": "stop-1", "number": "+14155552671"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	eventually(t, "the callback is dialed", func() bool {
		var n int
		return pool.QueryRow(ctx, `SELECT count(*) FROM callback_attempt WHERE state = 'dialing'`).Scan(&n) == nil && n == 1
	})

	stopped := make(chan error, 1)
	go func() { stopped <- b.d.Stop(ctx) }()
	// Stop waits for the running job: the phone is still ringing.
	eventually(t, "stop reaches the job queue", func() bool {
		return strings.Contains(b.logs.String(), "stopping the job queue")
	})
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a dial job was running within the grace", err)
	default:
	}
	close(clock.release) // the phone stops ringing: busy
	require.NoError(t, <-stopped)

	var state, cause, reqState, reason string
	require.NoError(t, pool.QueryRow(ctx, `SELECT a.state, a.cause, r.state, r.reason FROM callback_attempt a
		JOIN callback_request r ON r.id = a.request_id`).Scan(&state, &cause, &reqState, &reason))
	require.Equal(t, "failed", state, "the attempt has its real result")
	require.Equal(t, "USER_BUSY", cause)
	require.Equal(t, "failed", reqState)
	require.NotEqual(t, "outcome_unknown", reason)
	require.Equal(t, 0, b.d.CallsCut())
}

// ringHold is how long the test's phone rings: gatedClock holds it until release.
const ringHold = 4321 * time.Millisecond

// gatedClock is an emulator clock whose timers of exactly hold fire only once release is
// closed: the test decides when a ringing phone gives its outcome.
type gatedClock struct {
	fstest.Clock
	hold    time.Duration
	release chan struct{}
}

func (c *gatedClock) NewTimer(d time.Duration) fstest.Timer {
	if d != c.hold {
		return c.Clock.NewTimer(d)
	}
	return newGatedTimer(c.release)
}

func (c *gatedClock) After(d time.Duration) <-chan time.Time {
	if d != c.hold {
		return c.Clock.After(d)
	}
	return newGatedTimer(c.release).C()
}

type gatedTimer struct {
	c    chan time.Time
	stop chan struct{}
	once sync.Once
}

func newGatedTimer(release <-chan struct{}) *gatedTimer {
	t := &gatedTimer{c: make(chan time.Time, 1), stop: make(chan struct{})}
	go func() {
		select {
		case <-release:
			t.c <- time.Now()
		case <-t.stop:
		}
	}()
	return t
}

func (t *gatedTimer) C() <-chan time.Time { return t.c }

func (t *gatedTimer) Stop() bool {
	stopped := false
	t.once.Do(func() { close(t.stop); stopped = true })
	return stopped
}

func TestReloadServesAnEditedFlowToNewCallsAndRefusesABrokenOne(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noNodes: true})
	file := filepath.Join(b.dir, "hello.yaml")
	require.NoError(t, os.WriteFile(file, []byte(helloFlow("hello", "v2")), 0o644))
	require.NoError(t, b.d.Reload()) // what SIGHUP does
	c, _ := b.call(t, "5000", nil)
	require.Contains(t, strings.Join(c.Heard(), " | "), "Hello from hello v2")

	require.NoError(t, os.WriteFile(file, []byte("flow: hello\nsteps:\n  start:\n    menu: {}\n"), 0o644))
	err := b.d.Reload()
	require.Error(t, err)
	require.Contains(t, err.Error(), file+":4:")
	c, _ = b.call(t, "5000", nil)
	require.Contains(t, strings.Join(c.Heard(), " | "), "Hello from hello v2")
}

func TestNewRefusesBrokenConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte(helloFlow("hello", "v1")), 0o644))
	for _, tc := range []struct {
		name string
		edit func(c *config.Config)
		want string
	}{
		{"unknown flow in a route", func(c *config.Config) { c.Flows.Routes = []config.Route{{Number: "1", Flow: "nope"}} }, `flow "nope"`},
		{"route twice", func(c *config.Config) {
			c.Flows.Routes = []config.Route{{Number: "1", Flow: "hello"}, {Number: "1", Flow: "hello"}}
		}, "routed twice"},
		{"missing flows folder", func(c *config.Config) { c.Flows.Dir = filepath.Join(dir, "missing") }, "does not exist"},
		{"bad database URL", func(c *config.Config) { c.Database.URL = "postgres://a:b@host:notaport/db" }, "database URL is not valid"},
		{"node without password", func(c *config.Config) {
			c.FreeSWITCH = []esl.Node{{Name: "fs1", Address: "127.0.0.1:8021", PasswordEnv: "IVRD_TEST_UNSET_PASSWORD"}}
		}, "IVRD_TEST_UNSET_PASSWORD"},
		{"recording name that could overwrite recordings", func(c *config.Config) { c.Recordings.Name = "{{caller.number}}.wav" }, "recordings.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Flows: config.Flows{Dir: dir, Default: "hello"}}
			tc.edit(cfg)
			_, err := daemon.New(daemon.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
			require.ErrorContains(t, err, tc.want)
		})
	}
	// A flow with an error is refused with its place.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte("flow: hello\nsteps:\n  start:\n    goto: nowhere\n"), 0o644))
	_, err := daemon.New(daemon.Options{Config: &config.Config{Flows: config.Flows{Dir: dir, Default: "hello"}}, Logger: slog.New(slog.DiscardHandler)})
	require.ErrorContains(t, err, filepath.Join(dir, "hello.yaml")+":4:")
	var ferr *ivr.FlowError
	require.True(t, errors.As(err, &ferr))
}

// syncLog is a log buffer safe for the daemon's goroutines and the test.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// recordFlow records the whole call, plays a tone and hangs up.
const recordFlow = `flow: hello
steps:
  start:
    record: {}
    next: tone
  tone:
    play: tone_stream://%(3000,0,440)
    next: end
  end:
    hangup:
`

func TestRecordingsGoToTheQADestinationThroughTheJobQueue(t *testing.T) {
	t.Parallel()
	got := make(chan string, 4)
	qa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("Idempotency-Key") + " " + strconv.Itoa(len(body)) + " " + r.Header.Get("Content-Type")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(qa.Close)

	ctx := context.Background()
	fs, err := fstest.Start(ctx, fstest.Options{Clock: fstest.ScaledClock(50)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })
	dir, recDir := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte(recordFlow), 0o644))
	url := pgtest.NewDatabase(t)
	cfg := &config.Config{
		Listen:   config.Listen{Outbound: "127.0.0.1:0", HTTP: "127.0.0.1:0"},
		Database: config.Database{URL: url},
		Flows:    config.Flows{Dir: dir, Default: "hello"},
		Recordings: recordings.Config{Dir: recDir, Name: "{{date}}/{{caller.number}}-{{call.id}}-{{n}}.wav", Offline: recordings.OfflineConfig{Disabled: true},
			Destinations: []recordings.Destination{{Name: "qa", Type: recordings.DestHTTP, Endpoint: recordings.Endpoint{URL: qa.URL}}}},
	}
	d, err := daemon.New(daemon.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler), Clock: fs.Clock()})
	require.NoError(t, err)
	require.NoError(t, d.Start(ctx))
	t.Cleanup(func() { _ = d.Stop(context.Background()) })
	fs.Dialplan().SetFallback("default", fstest.Socket(d.OutboundAddr()))
	eventually(t, "database ready", d.DatabaseReady)

	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := fs.PlaceCall(cctx, fstest.CallSpec{CalledNumber: "5000", CallerNumber: "+44/../20"})
	require.NoError(t, err)
	_, err = c.Wait(cctx)
	require.NoError(t, err)
	named := filepath.Join(recDir, fs.Clock().Now().Format("2006-01-02"), "+44____20-"+c.UUID()+"-1.wav")
	eventually(t, "the recording named by recordings.name", func() bool { _, err := os.Stat(named); return err == nil })
	select {
	case req := <-got:
		require.Regexp(t, `^\S+ \d{4,} multipart/form-data`, req, "the WAV went to the QA endpoint")
	case <-cctx.Done():
		t.Fatal("the recording never reached the QA destination")
	}
	resp, err := http.Get("http://" + d.HTTPAddr() + "/api/qa/" + c.UUID())
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "the QA API is mounted (no score yet: the destination only stores)")
}

func TestStopWithoutStartReturnsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte(helloFlow("hello", "v1")), 0o644))
	d, err := daemon.New(daemon.Options{Config: &config.Config{Flows: config.Flows{Dir: dir, Default: "hello"}}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, d.Stop(ctx))
	require.NoError(t, ctx.Err(), "Stop did not wait for anything that was never started")
}
