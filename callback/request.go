package callback

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ivrd/ivrd/sms"
)

// Sources of requests.
const (
	SourceSMS   = "sms"
	SourceFlow  = "flow"
	SourceQueue = "queue"
	SourceAPI   = "api"
)

// Request is a callback wish from any channel.
type Request struct {
	// Source is one of SourceSMS, SourceFlow, SourceQueue, SourceAPI.
	Source string
	// Key is the idempotency key within the channel ("sms:42", "call:<uuid>:<step>",
	// "api:<client key>"): the same key always gives the same answer and one request.
	Key string
	// Number is the number to call back (E.164, or national in Config.DefaultRegion).
	Number string
	// Caller, when set, is the number that asked; Number must equal it unless
	// Config.AllowOtherNumber.
	Caller string
	// Lang, Queue and Topic are passed to the callback flow (vars lang, queue, reason).
	Lang, Queue, Topic string
	// Priority orders waiting callbacks (higher first); Position is the caller's place in the
	// queue when they pressed the callback key (lower first among equal priority).
	Priority, Position int
	// CallID is the call the request came from, if any.
	CallID string
}

// Receipt is the answer to an accepted (or duplicate) request.
type Receipt struct {
	ID int64
	// ETA is the estimated time of the first call.
	ETA time.Time
	// Duplicate: the number already had a callback; ID and ETA are that one's.
	Duplicate bool
}

// Request validates r and stores it: a refusal is stored and returned as a *RefusedError; a
// new request gets a dial job scheduled in the calendar's open hours and, unless it came by
// text (sms answers those itself), a confirmation text. Calling it again with the same
// Source and Key returns the first answer and creates nothing.
func (s *Service) Request(ctx context.Context, r Request) (Receipt, error) {
	if r.Key == "" {
		return Receipt{}, errors.New("callback request without Key: give every request an idempotency key")
	}
	key := r.Source + ":" + r.Key
	if rc, err, found := s.existing(ctx, s.pool, key); found || err != nil {
		return rc, err
	}
	now := s.now()
	e164, reason, detail := s.cfg.checkNumber(r.Number)
	if reason == "" && r.Caller != "" && !s.cfg.AllowOtherNumber {
		caller, creason, _ := s.cfg.checkNumber(r.Caller)
		if creason != ReasonBadNumber && caller != e164 {
			reason, detail = ReasonOtherNumber, fmt.Sprintf("%s asked for a callback to %s; callbacks go only to the number that asked (callbacks.allow_other_number)", r.Caller, e164)
		}
	}
	if reason == "" && s.opts.OptOuts != nil {
		out, err := s.opts.OptOuts.IsOptedOut(ctx, e164)
		if err != nil {
			return Receipt{}, fmt.Errorf("callback for %s: %w", e164, err)
		}
		if out {
			reason, detail = ReasonOptedOut, e164+" texted STOP; it is not called until it texts START"
		}
	}
	var rc Receipt
	var refusal *RefusedError
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		lockKey := e164
		if lockKey == "" {
			lockKey = key
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('callback:' || $1, 0))`, lockKey); err != nil {
			return fmt.Errorf("lock %s: %w", lockKey, err)
		}
		// A second delivery of the same request may have won the race to the lock.
		var found bool
		var err error
		if rc, err, found = s.existing(ctx, tx, key); found || err != nil {
			if errors.As(err, &refusal) {
				return nil
			}
			return err
		}
		raw := r.Number
		if reason != "" {
			refusal, err = s.refuse(ctx, tx, r, key, orRaw(e164, raw), reason, detail, 0, now)
			return err
		}
		// Dedupe: a live request for the number gets that callback; one answered within the
		// window is not repeated. One that failed (we could not reach them) may be asked again.
		var dupID int64
		var dupState string
		var dupETA *time.Time
		err = tx.QueryRow(ctx, `SELECT id, state, eta FROM callback_request
			WHERE number = $1 AND (state IN ('waiting', 'dialing') OR (state = 'done' AND created_at > $2))
			ORDER BY id DESC LIMIT 1`, e164, now.Add(-s.cfg.DedupeWindow)).Scan(&dupID, &dupState, &dupETA)
		switch {
		case err == nil && dupState == "done":
			refusal, err = s.refuse(ctx, tx, r, key, e164, ReasonRecentlyCalled,
				fmt.Sprintf("%s was called back (request %d) within callbacks.dedupe_window %s", e164, dupID, s.cfg.DedupeWindow), dupID, now)
			return err
		case err == nil:
			if _, err := s.refuse(ctx, tx, r, key, e164, ReasonDuplicate, "already has callback "+strconv.FormatInt(dupID, 10), dupID, now); err != nil {
				return err
			}
			rc = Receipt{ID: dupID, Duplicate: true}
			if dupETA != nil {
				rc.ETA = *dupETA
			}
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("dedupe %s: %w", e164, err)
		}
		var today int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM callback_request WHERE number = $1 AND state <> 'refused' AND created_at > $2`,
			e164, now.Add(-24*time.Hour)).Scan(&today); err != nil {
			return fmt.Errorf("daily limit of %s: %w", e164, err)
		}
		if today >= s.cfg.PerNumberPerDay {
			refusal, err = s.refuse(ctx, tx, r, key, e164, ReasonDailyLimit,
				fmt.Sprintf("%s already asked %d times in 24 hours (callbacks.per_number_per_day)", e164, today), 0, now)
			return err
		}
		// A caller who left the queue keeping their place is dialed when their turn comes
		// (CallbackTurn); until then the job waits for about as long as the place would.
		start, ok := s.nextOpen(now.Add(time.Duration(r.Position) * s.cfg.PerCallEstimate))
		if !ok {
			refusal, err = s.refuse(ctx, tx, r, key, e164, ReasonNeverOpen,
				fmt.Sprintf("calendar %q does not open in the next 400 days", s.cfg.Calendar), 0, now)
			return err
		}
		var ahead int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM callback_request WHERE state IN ('waiting', 'dialing') AND not_before <= $1`,
			start).Scan(&ahead); err != nil {
			return fmt.Errorf("count callbacks ahead: %w", err)
		}
		eta := start.Add(time.Duration(ahead) * s.cfg.PerCallEstimate / time.Duration(max(1, s.cfg.MaxPerNode)))
		priority := r.Priority
		err = tx.QueryRow(ctx, `INSERT INTO callback_request (source, source_key, number, raw_number, state, lang, queue, topic,
			priority, position, calendar, call_id, not_before, eta, deadline, created_at)
			VALUES ($1, $2, $3, $4, 'waiting', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			r.Source, key, e164, raw, r.Lang, r.Queue, r.Topic, priority, r.Position, s.cfg.Calendar, r.CallID,
			start, eta, now.Add(s.cfg.Deadline), now).Scan(&rc.ID)
		if err != nil {
			return fmt.Errorf("store callback for %s: %w", e164, err)
		}
		rc.ETA = eta
		if err := s.enqueue(ctx, tx, rc.ID, 1, start, priority, r.Position); err != nil {
			return err
		}
		if r.Source != SourceSMS {
			s.confirm(ctx, tx, rc, e164, r.Lang, now)
		}
		return nil
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("callback request %s: %w", key, err)
	}
	if refusal != nil {
		s.log.Info("callback refused", "key", key, "number", orRaw(e164, r.Number), "reason", string(refusal.Reason), "detail", refusal.Detail)
		return Receipt{}, refusal
	}
	s.log.Info("callback request", "key", key, "id", rc.ID, "number", e164, "eta", rc.ETA, "duplicate", rc.Duplicate)
	return rc, nil
}

func orRaw(e164, raw string) string {
	if e164 != "" {
		return e164
	}
	return raw
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// existing answers a request key seen before: its receipt, or its refusal.
func (s *Service) existing(ctx context.Context, q querier, key string) (Receipt, error, bool) {
	var id int64
	var state, reason, detail string
	var dup *int64
	var eta *time.Time
	err := q.QueryRow(ctx, `SELECT r.id, r.state, r.reason, r.detail, r.duplicate_of, coalesce(d.eta, r.eta)
		FROM callback_request r LEFT JOIN callback_request d ON d.id = r.duplicate_of WHERE r.source_key = $1`, key).
		Scan(&id, &state, &reason, &detail, &dup, &eta)
	if errors.Is(err, pgx.ErrNoRows) {
		return Receipt{}, nil, false
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("look up callback request %s: %w", key, err), true
	}
	rc := Receipt{ID: id}
	if eta != nil {
		rc.ETA = *eta
	}
	if dup != nil && Reason(reason) == ReasonDuplicate {
		rc.ID, rc.Duplicate = *dup, true
		return rc, nil, true
	}
	if state == "refused" {
		re := &RefusedError{Reason: Reason(reason), Detail: detail, RequestID: id}
		if dup != nil {
			re.DuplicateOf = *dup
		}
		return Receipt{}, re, true
	}
	return rc, nil, true
}

// refuse stores a refused request (reason duplicate: a pointer to the live one).
func (s *Service) refuse(ctx context.Context, tx pgx.Tx, r Request, key, number string, reason Reason, detail string, dupOf int64, now time.Time) (*RefusedError, error) {
	var dup *int64
	if dupOf != 0 {
		dup = &dupOf
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO callback_request (source, source_key, number, raw_number, state, reason, detail, duplicate_of,
		lang, queue, topic, call_id, created_at, finished_at)
		VALUES ($1, $2, $3, $4, 'refused', $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
		r.Source, key, number, r.Number, string(reason), detail, dup, r.Lang, r.Queue, r.Topic, r.CallID, now).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("store refused callback %s: %w", key, err)
	}
	return &RefusedError{Reason: reason, Detail: detail, RequestID: id, DuplicateOf: dupOf}, nil
}

// nextOpen is the first moment at or after t inside the callback calendar's open hours.
func (s *Service) nextOpen(t time.Time) (time.Time, bool) {
	if s.cal == nil {
		return t, true
	}
	return s.cal.NextOpen(t)
}

// enqueue inserts the dial job of attempt n at t.
func (s *Service) enqueue(ctx context.Context, tx pgx.Tx, id int64, n int, at time.Time, priority, position int) error {
	if s.jobs == nil {
		return errors.New("callback: no job client: call SetJobClient with the River client first")
	}
	// River priorities run 1 (first) to 4: callbacks kept from the queue go first.
	prio := 2
	if priority > 0 || position > 0 {
		prio = 1
	}
	if !at.After(s.now()) {
		at = time.Time{} // now: available at once, not left for River's scheduler
	}
	_, err := s.jobs.InsertTx(ctx, tx, DialArgs{RequestID: id, Attempt: n}, &river.InsertOpts{
		Queue: QueueName, ScheduledAt: at, Priority: prio, MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{ByArgs: true},
	})
	if err != nil {
		return fmt.Errorf("schedule callback %d attempt %d: %w", id, n, err)
	}
	return nil
}

// confirm queues the confirmation text of an API or flow request, in tx. A text that cannot
// be queued (no template, the sms limits) is logged: the callback stands.
func (s *Service) confirm(ctx context.Context, tx pgx.Tx, rc Receipt, number, lang string, now time.Time) {
	if s.opts.Texts == nil {
		return
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		s.log.Warn("confirmation text not queued", "id", rc.ID, "err", err)
		return
	}
	loc := time.UTC
	if s.cal != nil && s.cal.Location != nil {
		loc = s.cal.Location
	}
	mins := int(math.Ceil(rc.ETA.Sub(now).Minutes()))
	_, err = s.opts.Texts.SendTx(ctx, sp, sms.Text{To: number, Key: fmt.Sprintf("callback:%d:confirm", rc.ID), Purpose: sms.PurposeCallback,
		Template: sms.TemplateCallbackConfirm, Lang: lang,
		Vars: map[string]any{"eta": rc.ETA.In(loc).Format("15:04"), "eta_minutes": max(mins, 0), "request_id": strconv.FormatInt(rc.ID, 10)}})
	if err != nil {
		_ = sp.Rollback(ctx)
		s.log.Warn("confirmation text not queued", "id", rc.ID, "err", err)
		return
	}
	if err := sp.Commit(ctx); err != nil {
		s.log.Warn("confirmation text not queued", "id", rc.ID, "err", err)
	}
}
