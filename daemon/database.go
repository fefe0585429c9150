package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/recordings"
	"github.com/ivrd/ivrd/sms"
	"github.com/ivrd/ivrd/store"
)

// MigrationSets are the schemas the daemon applies at start (after store's core set and
// River's): the call records, the SMS tables, the recordings' QA tables and the callbacks.
var MigrationSets = []store.MigrationSet{ivr.Migrations, sms.Migrations, recordings.Migrations, callback.Migrations}

// minLevel drops records below min (River logs every job at info).
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(a), m.min}
}

func (m minLevel) WithGroup(n string) slog.Handler { return minLevel{m.Handler.WithGroup(n), m.min} }

// DatabaseURL resolves database.url / database.url_file of cfg ("" when neither is set).
func DatabaseURL(cfg *config.Config) (string, error) {
	if cfg.Database.URL != "" && cfg.Database.URLFile != "" {
		return "", errors.New("database: set url or url_file, not both")
	}
	if cfg.Database.URLFile != "" {
		b, err := os.ReadFile(cfg.Database.URLFile)
		if err != nil {
			return "", fmt.Errorf("database.url_file: %w", err)
		}
		u := strings.TrimSpace(string(b))
		if u == "" {
			return "", fmt.Errorf("database.url_file %s is empty; put postgres://USER:PASSWORD@HOST:PORT/DB in it", cfg.Database.URLFile)
		}
		return u, nil
	}
	return cfg.Database.URL, nil
}

// database is PostgreSQL and what lives on it: the pool (created at once, connecting lazily),
// a supervisor that waits for the database, migrates it and starts River, the call record
// writer and the SMS service.
type database struct {
	log     *slog.Logger
	pool    *pgxpool.Pool
	where   string
	records *ivr.CallRecordWriter
	sms     *sms.Service
	river   *river.Client[pgx.Tx]
	// callbacks takes callback requests (flows, texts, the API) and dials them.
	callbacks *callback.Service
	// recordings is the QA pipeline (nil when recordings: is not configured).
	recordings *recordings.Pipeline
	offline    *lazySphinx // nil without the offline transcriber

	ready   atomic.Bool
	lastErr atomic.Pointer[string]
	stop    context.CancelFunc
	wg      sync.WaitGroup

	// MinBackoff and MaxBackoff bound the wait between attempts to reach the database.
	minBackoff, maxBackoff time.Duration
}

// newDatabase builds the pool and the services on it without connecting: a database that is
// down at start is waited for by start. Only a URL that cannot be parsed is an error here.
func newDatabase(url string, cfg *config.Config, nodes *esl.Pool, consoleOut io.Writer, log *slog.Logger) (*database, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL is not valid (want postgres://USER:PASSWORD@HOST:PORT/DB): %w", err)
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = store.DefaultConnectTimeout
	}
	c := pcfg.ConnConfig
	d := &database{
		log:        log.With("component", "database"),
		where:      fmt.Sprintf("database %q as user %q on %s:%d", c.Database, c.User, c.Host, c.Port),
		minBackoff: 500 * time.Millisecond,
		maxBackoff: 30 * time.Second,
	}
	if d.pool, err = pgxpool.NewWithConfig(context.Background(), pcfg); err != nil {
		return nil, fmt.Errorf("database %s: %w", d.where, err)
	}
	d.records = ivr.NewCallRecordWriter(d.pool, log.With("component", "call-records"))
	d.sms, err = sms.New(cfg.SMS, d.pool, sms.Options{ConsoleOut: consoleOut, Logger: log.With("component", "sms")})
	if err != nil {
		d.pool.Close()
		return nil, fmt.Errorf("sms: %w", err)
	}
	d.callbacks, err = callback.New(cfg.Callbacks, d.pool, callback.Options{Nodes: nodes, Calendars: cfg.Calendars,
		Texts: d.sms.Sender, OptOuts: d.sms.OptOuts, Socket: cfg.Listen.Outbound, Logger: log})
	if err != nil {
		d.pool.Close()
		return nil, fmt.Errorf("callbacks: %w", err)
	}
	d.sms.Inbound.SetCallbackRequester(d.callbacks)
	workers := river.NewWorkers()
	d.sms.AddWorkers(workers)
	d.callbacks.AddWorkers(workers)
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 20}}
	for name, q := range d.callbacks.RiverQueues() {
		queues[name] = q
	}
	if recordingsConfigured(cfg.Recordings) {
		if d.recordings, d.offline, err = newRecordings(cfg.Recordings, d.pool, workers, queues, log.With("component", "recordings")); err != nil {
			d.pool.Close()
			return nil, err
		}
	}
	rcfg := &river.Config{Queues: queues, Workers: workers, Logger: slog.New(minLevel{log.With("component", "river").Handler(), slog.LevelWarn})}
	if d.recordings != nil {
		rcfg.RetryPolicy = d.recordings.RetryPolicy()
		if j := recordings.RetentionJob(cfg.Recordings); j != nil {
			rcfg.PeriodicJobs = append(rcfg.PeriodicJobs, j) // delete recordings past recordings.retention
		}
	}
	d.river, err = river.NewClient(riverpgxv5.New(d.pool), rcfg)
	if err != nil {
		d.pool.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	d.sms.SetJobClient(d.river)
	d.callbacks.SetJobClient(d.river)
	return d, nil
}

// start launches the supervisor: connect (retrying with backoff, saying what to check),
// migrate, start River. The call record writer starts at once: it keeps records in memory
// and retries while the database is away.
func (d *database) start(ctx context.Context) {
	d.records.Start(ctx)
	ctx, d.stop = context.WithCancel(context.WithoutCancel(ctx))
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.supervise(ctx)
	}()
}

func (d *database) supervise(ctx context.Context) {
	backoff := d.minBackoff
	for attempt := 1; ; attempt++ {
		err := d.connect(ctx)
		if err == nil {
			d.ready.Store(true)
			d.lastErr.Store(nil)
			d.log.Info("database ready: migrated, job queue running", "where", d.where)
			return
		}
		if ctx.Err() != nil {
			return
		}
		msg := err.Error()
		d.lastErr.Store(&msg)
		wait := backoff/2 + rand.N(backoff/2+1)
		d.log.Error("database not available; calls go on, call records wait in memory, texts wait; retrying",
			"err", err, "attempt", attempt, "retry_in", wait.Round(time.Millisecond),
			"check", "that PostgreSQL runs and accepts connections there, the user and database exist, and database.url in ivrd.yaml")
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, d.maxBackoff)
	}
}

// connect pings, migrates and starts River once.
func (d *database) connect(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, store.DefaultConnectTimeout)
	defer cancel()
	if err := d.pool.Ping(pctx); err != nil {
		return fmt.Errorf("connect to PostgreSQL %s: %w", d.where, err)
	}
	mctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := store.MigrateWithLogger(mctx, d.pool, d.log, MigrationSets...); err != nil {
		return fmt.Errorf("migrate %s: %w", d.where, err)
	}
	if err := d.river.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	return nil
}

// check is the /readyz check: ready once migrated, and the database answers now.
func (d *database) check(ctx context.Context) error {
	if !d.ready.Load() {
		if e := d.lastErr.Load(); e != nil {
			return fmt.Errorf("not connected yet: %s", *e)
		}
		return errors.New("connecting")
	}
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("PostgreSQL %s does not answer: %w", d.where, err)
	}
	return nil
}

// stopJobs stops the supervisor and River: jobs running now (a callback being dialed) may
// finish until graceEnd; those still running then are cancelled and go back to the queue. The
// FreeSWITCH connections and the pool must still be open: a dial job needs its originate's
// result and writes it.
func (d *database) stopJobs(ctx context.Context, graceEnd time.Time) error {
	if d.stop != nil {
		d.stop()
	}
	d.wg.Wait()
	if !d.ready.Load() {
		return nil
	}
	d.log.Info("stopping the job queue: running jobs may finish until the grace period ends", "left", time.Until(graceEnd).Round(time.Millisecond))
	sctx, cancel := context.WithDeadline(ctx, graceEnd)
	err := d.river.Stop(sctx)
	cancel()
	if err == nil {
		return nil
	}
	d.log.Warn("jobs still running when the grace period ended are cancelled; they go back to the queue", "err", err)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.river.StopAndCancel(cctx); err != nil {
		return fmt.Errorf("stop the job queue: %w", err)
	}
	return nil
}

// flush stops the offline transcriber and writes the call records still in memory. The pool
// is closed by the daemon afterwards.
func (d *database) flush(ctx context.Context) error {
	if d.offline != nil {
		d.offline.close()
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.records.Stop(wctx); err != nil {
		return fmt.Errorf("flush call records: %w", err)
	}
	return nil
}
