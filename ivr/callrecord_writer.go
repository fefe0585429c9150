package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// BatchSender is what CallRecordWriter needs of PostgreSQL (*pgxpool.Pool has it): a batch runs
// in one implicit transaction, so a record is stored whole or not at all.
type BatchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// CallRecordSink receives finished call records. Save must not block.
type CallRecordSink interface {
	Save(rec *CallRecord)
}

// CallRecordWriter stores call records in PostgreSQL without ever slowing a call: Save only
// appends to an in-memory queue; one goroutine writes the queue in batches and, when the
// database is down, keeps the records and retries with backoff (writes are idempotent: a
// record is keyed by its call id). Start it with Start, stop it with Stop, which flushes.
type CallRecordWriter struct {
	db  BatchSender
	log *slog.Logger

	// MaxBatch is the most records written in one round trip (default 200).
	MaxBatch int
	// MaxPending bounds the queue while the database is down (default 200,000 records, about
	// a day of a busy hotline); beyond it the oldest records are dropped and counted, so
	// memory stays bounded.
	MaxPending int
	// Timeout bounds each batch write (default 10 s).
	Timeout time.Duration

	mu      sync.Mutex
	pending []*CallRecord
	saved   uint64 // records accepted by Save
	written uint64 // records stored or dropped (position in the stream)
	dropped uint64
	waiters []flushWaiter
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	cancel  context.CancelFunc
	started bool
}

type flushWaiter struct {
	upto uint64
	ch   chan struct{}
}

// NewCallRecordWriter returns a writer storing into db; log may be nil.
func NewCallRecordWriter(db BatchSender, log *slog.Logger) *CallRecordWriter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CallRecordWriter{
		db: db, log: log,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
}

// Save queues rec for storing. It never blocks and never fails; rec must not change after.
func (w *CallRecordWriter) Save(rec *CallRecord) {
	w.mu.Lock()
	w.pending = append(w.pending, rec)
	w.saved++
	max := w.MaxPending
	if max <= 0 {
		max = 200_000
	}
	if over := len(w.pending) - max; over > 0 {
		w.pending = w.pending[over:]
		w.dropped += uint64(over)
		w.written += uint64(over)
		w.log.Error("call records dropped: the database has been unreachable too long", "dropped", over, "dropped_total", w.dropped)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Dropped is how many records were dropped because the queue overflowed.
func (w *CallRecordWriter) Dropped() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Pending is how many records wait to be stored.
func (w *CallRecordWriter) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// Start launches the writing goroutine. ctx only carries values; use Stop to end it.
func (w *CallRecordWriter) Start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return
	}
	w.started = true
	ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go w.run(ctx)
}

// Stop stores what is queued and ends the goroutine. If the database does not take the
// records before ctx ends, Stop gives up and says how many were not stored.
func (w *CallRecordWriter) Stop(ctx context.Context) error {
	w.mu.Lock()
	started := w.started
	w.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel()
		<-w.done
	}
	w.cancel()
	if n := w.Pending(); n > 0 {
		return fmt.Errorf("call record writer stopped with %d records not stored: %w", n, ctx.Err())
	}
	return nil
}

// Flush waits until every record saved before the call is stored (or dropped).
func (w *CallRecordWriter) Flush(ctx context.Context) error {
	w.mu.Lock()
	if w.written >= w.saved {
		w.mu.Unlock()
		return nil
	}
	fw := flushWaiter{upto: w.saved, ch: make(chan struct{})}
	w.waiters = append(w.waiters, fw)
	w.mu.Unlock()
	select {
	case <-fw.ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush call records: %w", ctx.Err())
	}
}

func (w *CallRecordWriter) run(ctx context.Context) {
	defer close(w.done)
	backoff := 100 * time.Millisecond
	for {
		w.mu.Lock()
		n := len(w.pending)
		w.mu.Unlock()
		if n == 0 {
			select {
			case <-w.wake:
				continue
			case <-w.stop:
				return
			case <-ctx.Done():
				return
			}
		}
		if err := w.writeOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("storing call records failed; will retry", "err", err, "pending", w.Pending(), "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
	}
}

// writeOnce stores the oldest batch of pending records and removes them from the queue.
func (w *CallRecordWriter) writeOnce(ctx context.Context) error {
	max := w.MaxBatch
	if max <= 0 {
		max = 200
	}
	w.mu.Lock()
	batch := w.pending[:min(max, len(w.pending))]
	w.mu.Unlock()

	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	poison := 0
	if err := insertCallRecords(wctx, w.db, batch); err != nil {
		if !isDataError(err) {
			return err
		}
		// One record the database will never accept must not hold up the others: store
		// them one by one and log (and count as dropped) the ones refused for their data.
		for _, r := range batch {
			if err := insertCallRecords(wctx, w.db, []*CallRecord{r}); err != nil {
				if !isDataError(err) {
					return err
				}
				poison++
				w.log.Error("call record refused by the database; dropped", "call", r.ID, "err", err)
			}
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	// The queue may have shifted if records were dropped meanwhile; remove what we wrote.
	k := 0
	for k < len(w.pending) && k < len(batch) && w.pending[k] == batch[k] {
		k++
	}
	w.pending = w.pending[k:]
	if len(w.pending) == 0 {
		w.pending = nil // let the backing array go
	}
	w.written += uint64(k)
	w.dropped += uint64(poison)
	kept := w.waiters[:0]
	for _, fw := range w.waiters {
		if w.written >= fw.upto {
			close(fw.ch)
		} else {
			kept = append(kept, fw)
		}
	}
	w.waiters = kept
	return nil
}

const insertCallSQL = `insert into ivr_call (id, caller, called, flow, flow_version, language,
	started_at, ended_at, ivr_ended_at, duration_ms, ivr_ms, talk_ms, outcome, hangup_cause, error, tags, vars)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
on conflict (id) do nothing`

const insertEventsSQL = `insert into ivr_call_event (call_id, seq, at, kind, step, detail)
select $1, t.seq, t.at, t.kind, t.step, t.detail
from unnest($2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]) as t(seq, at, kind, step, detail)
on conflict (call_id, seq) do nothing`

// isDataError reports whether PostgreSQL refused the data itself (SQLSTATE classes 22 and 23),
// which no retry can fix.
func isDataError(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23"))
}

// pgText removes NUL bytes, which PostgreSQL text cannot hold.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// insertCallRecords stores records in one batch (one implicit transaction).
func insertCallRecords(ctx context.Context, db BatchSender, recs []*CallRecord) error {
	b := &pgx.Batch{}
	for _, r := range recs {
		tags := make([]string, len(r.Tags))
		for i, t := range r.Tags {
			tags[i] = pgText(t)
		}
		vars := make(map[string]string, len(r.Vars))
		for k, v := range r.Vars {
			vars[pgText(k)] = pgText(v)
		}
		var ivrEnd *time.Time
		if !r.IVREndedAt.IsZero() {
			t := r.IVREndedAt
			ivrEnd = &t
		}
		b.Queue(insertCallSQL, r.ID, pgText(r.Caller), pgText(r.Called), r.Flow, r.FlowVersion, r.Language,
			r.StartedAt, r.EndedAt, ivrEnd, r.Duration().Milliseconds(), r.IVRDuration().Milliseconds(),
			r.Talk.Milliseconds(), string(r.Outcome), r.HangupCause, pgText(r.Error), tags, vars)
		if len(r.Events) == 0 {
			continue
		}
		seq := make([]int32, len(r.Events))
		at := make([]time.Time, len(r.Events))
		kind := make([]string, len(r.Events))
		step := make([]string, len(r.Events))
		detail := make([]string, len(r.Events))
		for i, e := range r.Events {
			seq[i], at[i], kind[i], step[i], detail[i] = int32(i+1), e.At, string(e.Kind), pgText(e.Step), pgText(e.Detail)
		}
		b.Queue(insertEventsSQL, r.ID, seq, at, kind, step, detail)
	}
	res := db.SendBatch(ctx, b)
	var first error
	for i := 0; i < b.Len(); i++ {
		if _, err := res.Exec(); err != nil && first == nil {
			first = err
		}
	}
	if err := res.Close(); err != nil && first == nil {
		first = err
	}
	if first != nil {
		var pgErr *pgconn.PgError
		if errors.As(first, &pgErr) && pgErr.Code == "42P01" {
			return fmt.Errorf("store %d call records: %w (run `ivrd migrate` to create the ivr tables)", len(recs), first)
		}
		return fmt.Errorf("store %d call records: %w", len(recs), first)
	}
	return nil
}
