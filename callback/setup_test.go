package callback

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
	"github.com/ivrd/ivrd/store/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	pgtest.Main(m)
}

// Numbers used in tests (valid in their countries).
const (
	numUS      = "+14155552671"
	numUS2     = "+12125550100"
	numPremium = "+19005551234" // US 900: premium rate
	numUK      = "+442079460123"
)

// quiet is the tests' logger: silent unless CALLBACK_TEST_LOG is set.
var quiet = func() *slog.Logger {
	if os.Getenv("CALLBACK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}()

// smsConfig is a small sms config with the templates callbacks use.
func smsConfig() sms.Config {
	return sms.Config{
		From: "5000", DefaultRegion: "US", DefaultLang: "en",
		Retry: sms.Retry{MaxAttempts: 5, Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		Keywords: []sms.KeywordRule{
			{Lang: "en", Words: []string{"CALL ME", "CALL", "CALLBACK"}, Action: sms.ActionCallback},
			{Lang: "en", Words: []string{"STOP"}, Action: sms.ActionStop},
		},
		Templates: map[string]map[string]string{
			sms.TemplateUnknown:          {"en": "Sorry? Reply CALL."},
			sms.TemplateStopped:          {"en": "You are opted out."},
			sms.TemplateCallbackConfirm:  {"en": "We will call you at about {{eta}} (in {{eta_minutes}} min), ref {{request_id}}."},
			sms.TemplateCallbackRefused:  {"en": "Sorry, no callback: {{reason}}."},
			sms.TemplateCallbackTryLater: {"en": "Please try later."},
			"missed_call":                {"en": "Sorry we missed you. Reply CALL."},
			"thanks":                     {"en": "Thanks for talking to us. Reply HELP for the menu."},
		},
		FollowUps: []sms.FollowUpRule{{Name: "after_callback", Steps: []string{"general_queue"}, Template: "thanks"}},
	}
}

// testConfig dials the emulator's gateway quickly.
func testConfig() Config {
	return Config{
		Dial: "sofia/gateway/carrier/{number}", CallerID: "+18005550000", RingTimeout: 20 * time.Second,
		DefaultRegion: "US", DenyPrefixes: []string{"+1976", "+1646"},
		PerNumberPerDay: 3, DedupeWindow: time.Hour,
		MaxAttempts: 3, Backoff: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Deadline: time.Hour,
		CallsPerSecond: 200, MaxPerNode: 50, Workers: 20,
		FailedText: map[string]string{"en": "We tried to call you. Call us at {{number}}."},
	}
}

type bundle struct {
	pool    *pgxpool.Pool
	svc     *Service
	sms     *sms.Service
	console *sms.Console
	river   *river.Client[pgx.Tx]
	fs      *fstest.Server
	nodes   *esl.Pool
}

type setupOpts struct {
	start     bool // start River (and the emulator)
	emulator  bool // start the emulator only (River is started by the test)
	calendars map[string]*ivr.Calendar
	now       func() time.Time
	gw        sms.Gateway
	socket    string
	dialplan  *fstest.Dialplan
}

func setup(t testing.TB, cfg Config, o setupOpts) *bundle {
	t.Helper()
	ctx := context.Background()
	b := &bundle{pool: pgtest.NewPool(t, sms.Migrations, Migrations)}
	b.console = sms.NewConsole(nil, 1000)
	gw := o.gw
	if gw == nil {
		gw = b.console
	}
	var err error
	b.sms, err = sms.New(smsConfig(), b.pool, sms.Options{Gateway: gw, Logger: quiet})
	require.NoError(t, err)
	if o.start || o.emulator {
		b.fs, err = fstest.Start(ctx, fstest.Options{Clock: fstest.ScaledClock(50), Dialplan: o.dialplan})
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.fs.Close() })
		b.nodes, err = esl.NewPool([]esl.Node{{Name: "fs1", Address: b.fs.InboundAddr(), Password: b.fs.Password()}},
			esl.ClientOptions{Logger: quiet})
		require.NoError(t, err)
		t.Cleanup(b.nodes.Close)
	}
	b.svc, err = New(cfg, b.pool, Options{Nodes: b.nodes, Calendars: o.calendars, Texts: b.sms.Sender,
		OptOuts: b.sms.OptOuts, Now: o.now, Logger: quiet, Socket: o.socket})
	require.NoError(t, err)
	b.sms.Inbound.SetCallbackRequester(b.svc)
	workers := river.NewWorkers()
	b.sms.AddWorkers(workers)
	b.svc.AddWorkers(workers)
	queues := b.svc.RiverQueues()
	queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: 10}
	b.river, err = river.NewClient(riverpgxv5.New(b.pool), &river.Config{
		Queues: queues, Workers: workers, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond,
		Logger: quiet, TestOnly: true,
	})
	require.NoError(t, err)
	b.sms.SetJobClient(b.river)
	b.svc.SetJobClient(b.river)
	if o.start {
		require.NoError(t, b.river.Start(ctx))
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = b.river.StopAndCancel(sctx)
		})
	}
	return b
}

func (b *bundle) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// state is a request's state and reason.
func (b *bundle) state(t testing.TB, id int64) (string, string) {
	t.Helper()
	var st, reason string
	require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT state, reason FROM callback_request WHERE id = $1`, id).Scan(&st, &reason))
	return st, reason
}

// waitFinal waits until request id is done or failed and returns its state and reason.
func (b *bundle) waitFinal(t testing.TB, id int64) (string, string) {
	t.Helper()
	var st, reason string
	require.Eventually(t, func() bool {
		st, reason = b.state(t, id)
		return st == "done" || st == "failed"
	}, 60*time.Second, 20*time.Millisecond, "callback %d never ended", id)
	return st, reason
}

// attempts lists the attempts of request id: state and cause, in order.
func (b *bundle) attempts(t testing.TB, id int64) [][2]string {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), `SELECT state, cause FROM callback_attempt WHERE request_id = $1 ORDER BY attempt`, id)
	require.NoError(t, err)
	var out [][2]string
	for rows.Next() {
		var s, c string
		require.NoError(t, rows.Scan(&s, &c))
		out = append(out, [2]string{s, c})
	}
	require.NoError(t, rows.Err())
	return out
}

// textsTo returns the bodies of texts the console sent to number, waiting for at least n.
func (b *bundle) textsTo(t testing.TB, number string, n int) []string {
	t.Helper()
	var out []string
	require.Eventually(t, func() bool {
		out = out[:0]
		for _, m := range b.console.Recent() {
			if m.To == number {
				out = append(out, m.Text)
			}
		}
		return len(out) >= n
	}, 60*time.Second, 20*time.Millisecond, "want %d texts to %s", n, number)
	return out
}

// dialCounter counts the legs the emulator created per dialed number (CHANNEL_CREATE of
// callback legs), and runs onCreate for each (the test scripts the next attempt there).
type dialCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func countDials(t testing.TB, b *bundle, onCreate func(number, uuid string, n int)) *dialCounter {
	t.Helper()
	c, ok := b.nodes.Client("fs1")
	require.True(t, ok)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub, err := c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CHANNEL_CREATE"}})
	require.NoError(t, err)
	dc := &dialCounter{counts: map[string]int{}}
	ready := make(chan struct{})
	go func() {
		close(ready)
		for e := range sub.Events() {
			if e.Var(VarID) == "" {
				continue
			}
			num := e.Get("Caller-Destination-Number")
			dc.mu.Lock()
			dc.counts[num]++
			n := dc.counts[num]
			dc.mu.Unlock()
			if onCreate != nil {
				onCreate(num, e.UUID(), n)
			}
		}
	}()
	<-ready
	return dc
}

func (d *dialCounter) get(number string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.counts[number]
}
