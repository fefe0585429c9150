package ivr

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivrd/ivrd/store"
)

//go:embed queue_migrations/*.sql
var queueMigrationFiles embed.FS

// QueueMigrations is the queue engine's schema (ivr_queue_promotion, for the promotion
// report). Pass it to store.Migrate. It is a set of its own so the queue's tables version
// separately from the call records.
var QueueMigrations = store.MigrationSet{Name: "ivr_queue", FS: store.MustSub(queueMigrationFiles, "queue_migrations")}

// PromotionStore keeps promotion exposures in PostgreSQL and reports conversion per variant.
type PromotionStore struct {
	pool *pgxpool.Pool
}

var _ PromotionRecorder = (*PromotionStore)(nil)

// NewPromotionStore uses pool (migrated with QueueMigrations).
func NewPromotionStore(pool *pgxpool.Pool) *PromotionStore { return &PromotionStore{pool: pool} }

// RecordPromotion implements PromotionRecorder: one row per call and queue; a later record of
// the same call (back in the queue after a text) updates it, keeping the keys pressed.
func (s *PromotionStore) RecordPromotion(ctx context.Context, x PromotionExposure) error {
	heard := x.Heard
	if heard == nil {
		heard = []string{}
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO ivr_queue_promotion (call_id, queue, caller, caller_digits, variant, heard, outcome, pressed_text, asked_callback, first_at, last_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
ON CONFLICT (call_id, queue) DO UPDATE SET
    heard = EXCLUDED.heard,
    outcome = EXCLUDED.outcome,
    pressed_text = ivr_queue_promotion.pressed_text OR EXCLUDED.pressed_text,
    asked_callback = ivr_queue_promotion.asked_callback OR EXCLUDED.asked_callback,
    first_at = LEAST(ivr_queue_promotion.first_at, EXCLUDED.first_at),
    last_at = GREATEST(ivr_queue_promotion.last_at, EXCLUDED.last_at)`,
		x.CallID, x.Queue, x.Caller, digitsOnly(x.Caller), x.Variant, heard, x.Outcome, x.PressedText, x.AskedCallback, x.At)
	if err != nil {
		return fmt.Errorf("store promotion exposure of call %s in %s: %w", x.CallID, x.Queue, err)
	}
	return nil
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// PromotionReportRow is one queue and variant of the promotion report.
type PromotionReportRow struct {
	Queue   string
	Variant string
	// Callers who waited; Heard of them heard at least one promotion.
	Callers int
	Heard   int
	// PressedText asked for the text link; AskedCallback booked a callback; TextedAfter
	// texted the hotline within the window after their call.
	PressedText   int
	AskedCallback int
	TextedAfter   int
	// Prompts heard in total (prompt name -> times).
	Prompts map[string]int
}

// Report returns conversion per queue and variant for callers who joined queues in
// [from, to), counting texts received from their number within window after the call.
// Texts are looked up in sms_inbound (package sms's schema).
func (s *PromotionStore) Report(ctx context.Context, from, to time.Time, window time.Duration) ([]PromotionReportRow, error) {
	rows, err := s.pool.Query(ctx, `
SELECT p.queue, p.variant, count(*),
       count(*) FILTER (WHERE cardinality(p.heard) > 0),
       count(*) FILTER (WHERE p.pressed_text),
       count(*) FILTER (WHERE p.asked_callback),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM sms_inbound i
           WHERE regexp_replace(i.from_number, '[^0-9]', '', 'g') = p.caller_digits
             AND p.caller_digits <> ''
             AND i.received_at >= p.first_at AND i.received_at < p.last_at + $3 * interval '1 second'))
FROM ivr_queue_promotion p
WHERE p.first_at >= $1 AND p.first_at < $2
GROUP BY p.queue, p.variant
ORDER BY p.queue, p.variant`, from, to, window.Seconds())
	if err != nil {
		return nil, fmt.Errorf("promotion report: %w (has `ivrd migrate` run?)", err)
	}
	var out []PromotionReportRow
	for rows.Next() {
		var r PromotionReportRow
		if err := rows.Scan(&r.Queue, &r.Variant, &r.Callers, &r.Heard, &r.PressedText, &r.AskedCallback, &r.TextedAfter); err != nil {
			rows.Close()
			return nil, fmt.Errorf("promotion report: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("promotion report: %w", err)
	}
	prompts, err := s.pool.Query(ctx, `
SELECT queue, variant, h, count(*) FROM ivr_queue_promotion, unnest(heard) AS h
WHERE first_at >= $1 AND first_at < $2 GROUP BY queue, variant, h`, from, to)
	if err != nil {
		return nil, fmt.Errorf("promotion report: prompts: %w", err)
	}
	defer prompts.Close()
	for prompts.Next() {
		var q, v, h string
		var n int
		if err := prompts.Scan(&q, &v, &h, &n); err != nil {
			return nil, fmt.Errorf("promotion report: prompts: %w", err)
		}
		for i := range out {
			if out[i].Queue == q && out[i].Variant == v {
				if out[i].Prompts == nil {
					out[i].Prompts = map[string]int{}
				}
				out[i].Prompts[h] = n
			}
		}
	}
	if err := prompts.Err(); err != nil {
		return nil, fmt.Errorf("promotion report: prompts: %w", err)
	}
	return out, nil
}
