package sms

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Inbound texts arriving together are stored together (group commit): one transaction and
// a few round trips for a batch instead of four round trips a text. A webhook is answered
// only after its batch committed, so nothing acknowledged is lost.
const (
	inboundMaxBatch   = 128
	inboundFlushSlots = 4 // concurrent flushing transactions
)

type inboundRow struct {
	gateway, gatewayID, from, to, body, lang string
	action                                   Action
	at                                       time.Time
}

type inboundResult struct {
	id  int64
	dup bool
	err error
}

type inboundReq struct {
	row  inboundRow
	done chan inboundResult // buffered: the flusher never blocks
}

// inboundWriter queues rows; up to inboundFlushSlots drainers store them in batches.
type inboundWriter struct {
	in    *Inbound
	mu    sync.Mutex
	queue []*inboundReq
	slots chan struct{}
}

func newInboundWriter(in *Inbound) *inboundWriter {
	return &inboundWriter{in: in, slots: make(chan struct{}, inboundFlushSlots)}
}

// store writes row (or finds it already stored) and returns its id.
func (w *inboundWriter) store(ctx context.Context, row inboundRow) (int64, bool, error) {
	req := &inboundReq{row: row, done: make(chan inboundResult, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, req)
	w.mu.Unlock()
	w.kick()
	select {
	case r := <-req.done:
		return r.id, r.dup, r.err
	case <-ctx.Done():
		// The row may still be stored; a retry by the gateway then finds it (dedupe).
		return 0, false, ctx.Err()
	}
}

// kick starts a drainer when a slot is free. When every slot is taken, the row is left to
// the drainers: each looks at the queue again after giving its slot back, so no row waits
// without one.
func (w *inboundWriter) kick() {
	select {
	case w.slots <- struct{}{}:
		go w.drain()
	default:
	}
}

// drain flushes batches until the queue is empty, then frees its slot.
func (w *inboundWriter) drain() {
	for {
		w.mu.Lock()
		n := min(len(w.queue), inboundMaxBatch)
		batch := w.queue[:n:n]
		w.queue = w.queue[n:]
		w.mu.Unlock()
		if n == 0 {
			break
		}
		w.flush(context.Background(), batch)
	}
	<-w.slots
	w.mu.Lock()
	pending := len(w.queue) > 0
	w.mu.Unlock()
	if pending {
		w.kick()
	}
}

// flush stores a batch in one transaction. If the batch fails, each row is tried alone, so
// one bad row cannot hold back the others.
func (w *inboundWriter) flush(ctx context.Context, batch []*inboundReq) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	results, err := w.in.storeBatch(ctx, batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			w.flush(ctx, []*inboundReq{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- inboundResult{err: err}
			continue
		}
		r.done <- results[i]
	}
}

// storeBatch inserts the rows (deduplicated), applies STOP/START of new ones, and enqueues
// one handling job per new row, all in one transaction.
func (in *Inbound) storeBatch(ctx context.Context, batch []*inboundReq) ([]inboundResult, error) {
	results := make([]inboundResult, len(batch))
	err := pgx.BeginFunc(ctx, in.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range batch {
			x := r.row
			b.Queue(`INSERT INTO sms_inbound (gateway, gateway_message_id, from_number, to_number, body, lang, action, received_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (gateway, gateway_message_id) DO NOTHING RETURNING id`,
				x.gateway, x.gatewayID, x.from, x.to, x.body, x.lang, string(x.action), x.at)
		}
		br := tx.SendBatch(ctx, b)
		for i := range batch {
			err := br.QueryRow().Scan(&results[i].id)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				results[i].dup = true
			case err != nil:
				br.Close()
				return fmt.Errorf("insert: %w", err)
			}
		}
		if err := br.Close(); err != nil {
			return err
		}

		b = &pgx.Batch{}
		var jobs []river.InsertManyParams
		for i, r := range batch {
			x := r.row
			if results[i].dup {
				b.Queue(`SELECT id FROM sms_inbound WHERE gateway = $1 AND gateway_message_id = $2`, x.gateway, x.gatewayID).
					QueryRow(func(row pgx.Row) error { return row.Scan(&results[i].id) })
				continue
			}
			switch x.action {
			case ActionStop:
				b.Queue(optOutSQL, x.from, "sms:"+x.gateway)
			case ActionStart:
				b.Queue(optInSQL, x.from)
			}
			jobs = append(jobs, river.InsertManyParams{Args: HandleArgs{InboundID: results[i].id}})
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("dedupe and opt-out: %w", err)
			}
		}
		if len(jobs) > 0 {
			// Each job is inserted only with its new row, so it needs no unique check.
			if _, err := in.jobs.InsertManyTx(ctx, tx, jobs); err != nil {
				return fmt.Errorf("enqueue handling jobs: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}
