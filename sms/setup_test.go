package sms

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/metrics"
	"github.com/ivrd/ivrd/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Numbers used in tests (valid in their countries).
const (
	numUS = "+14155552671"
	numNY = "+12125550100"
	numCN = "+8613800138000"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testConfig is a small complete sms config: English and Chinese keywords and templates,
// no limits and no quiet hours unless a test sets them.
func testConfig() Config {
	return Config{
		From:          "5000",
		DefaultRegion: "US",
		DefaultLang:   "en",
		Keywords:      testKeywordRules(),
		Retry:         Retry{MaxAttempts: 5, Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		Templates: map[string]map[string]string{
			"help":                   {"en": "Reply CALL to be called back.", "zh": "回复回电预约回电。"},
			"hours":                  {"en": "Open 8-20."},
			TemplateUnknown:          {"en": "Sorry? Reply HELP."},
			TemplateStopped:          {"en": "You are opted out. Reply START to return.", "zh": "您已退订。"},
			TemplateStarted:          {"en": "Welcome back."},
			TemplateCallbackConfirm:  {"en": "We will call you at about {{eta}} ({{eta_minutes}} min).", "zh": "我们将在{{eta}}左右回电。"},
			TemplateCallbackRefused:  {"en": "Sorry, no callback: {{reason}}."},
			TemplateCallbackTryLater: {"en": "Please try later."},
			"missed":                 {"en": "Sorry we missed you, {{caller}}. Reply CALL."},
			"cards":                  {"en": "Card services by text: reply HELP."},
			"greeting":               {"en": "Hello {{name}}!", "zh": "你好，{{name}}！"},
		},
		FollowUps: []FollowUpRule{
			{Name: "abandoned", Tags: []string{"abandoned_in_queue"}, Template: "missed"},
			{Name: "cards", Steps: []string{"card_services"}, Outcomes: []string{"completed"}, Template: "cards"},
		},
	}
}

// testBundle is one sms Service on its own database.
type testBundle struct {
	pool    *pgxpool.Pool
	svc     *Service
	workers *river.Workers
	river   *river.Client[pgx.Tx]
	clock   *testClock
}

type setupOpts struct {
	gw      Gateway
	clock   *testClock
	start   bool // start River workers
	dlrKey  []byte
	metrics *metrics.Metrics
	// maxConns sizes the pool (0: pgtest's default pool).
	maxConns int32
}

func setup(t testing.TB, cfg Config, o setupOpts) *testBundle {
	t.Helper()
	b := &testBundle{clock: o.clock, workers: river.NewWorkers()}
	if o.maxConns == 0 {
		b.pool = pgtest.NewPool(t, Migrations)
	} else {
		pc, err := pgxpool.ParseConfig(pgtest.NewMigratedDatabase(t, Migrations))
		require.NoError(t, err)
		pc.MaxConns = o.maxConns
		b.pool, err = pgxpool.NewWithConfig(context.Background(), pc)
		require.NoError(t, err)
		t.Cleanup(b.pool.Close)
	}
	now := time.Now
	if o.clock != nil {
		now = o.clock.Now
	}
	gw := o.gw
	if gw == nil {
		gw = NewConsole(nil, 100)
	}
	var err error
	b.svc, err = New(cfg, b.pool, Options{Gateway: gw, Now: now, DLRKey: o.dlrKey, Logger: slog.New(slog.DiscardHandler), Metrics: o.metrics})
	require.NoError(t, err)
	b.svc.AddWorkers(b.workers)
	b.river, err = river.NewClient(riverpgxv5.New(b.pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           b.workers,
		FetchCooldown:     5 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            slog.New(slog.DiscardHandler),
		TestOnly:          true,
	})
	require.NoError(t, err)
	b.svc.SetJobClient(b.river)
	if o.start {
		require.NoError(t, b.river.Start(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = b.river.StopAndCancel(ctx)
		})
	}
	return b
}

// server mounts the inbound handlers on a test HTTP server.
func (b *testBundle) server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	b.svc.Inbound.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// waitStatus waits until text id reaches status (or fails the test after a generous bound).
func (b *testBundle) waitStatus(t *testing.T, id int64, want ...Status) OutboundRecord {
	t.Helper()
	var rec OutboundRecord
	require.Eventually(t, func() bool {
		var err error
		rec, err = b.svc.Sender.Record(context.Background(), id)
		require.NoError(t, err)
		for _, w := range want {
			if rec.Status == w {
				return true
			}
		}
		return false
	}, 60*time.Second, 10*time.Millisecond, "text %d never reached %v", id, want)
	return rec
}

// count runs a count(*) query.
func (b *testBundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// replyTo returns the reply text recorded for inbound text id, waiting for it.
func (b *testBundle) replyTo(t *testing.T, inboundID int64) OutboundRecord {
	t.Helper()
	var id int64
	require.Eventually(t, func() bool {
		err := b.pool.QueryRow(context.Background(), `SELECT id FROM sms_outbound WHERE unique_key = $1`, "reply:"+itoa(inboundID)).Scan(&id)
		return err == nil
	}, 60*time.Second, 10*time.Millisecond, "no reply to inbound text %d", inboundID)
	rec, err := b.svc.Sender.Record(context.Background(), id)
	require.NoError(t, err)
	return rec
}

// newLazyServer serves mux (handlers may be added later) and returns its URL.
func newLazyServer(t *testing.T, mux *http.ServeMux) string {
	t.Helper()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
