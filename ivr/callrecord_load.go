package ivr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier is what reading call records needs of PostgreSQL (*pgxpool.Pool and pgx.Tx have it).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ErrCallNotFound is returned by LoadCallRecord for an unknown call id.
var ErrCallNotFound = errors.New("call record not found")

// LoadCallRecord reads the record of call id with its whole timeline (for `ivrd calls show`).
// An unknown id returns an error wrapping ErrCallNotFound.
func LoadCallRecord(ctx context.Context, db Querier, id string) (*CallRecord, error) {
	r := &CallRecord{ID: id}
	var ivrEnd *time.Time
	var outcome string
	var talkMS int64
	err := db.QueryRow(ctx, `select caller, called, flow, flow_version, language, started_at, ended_at,
		ivr_ended_at, talk_ms, outcome, hangup_cause, error, tags, vars
		from ivr_call where id = $1`, id).Scan(&r.Caller, &r.Called, &r.Flow, &r.FlowVersion, &r.Language,
		&r.StartedAt, &r.EndedAt, &ivrEnd, &talkMS, &outcome, &r.HangupCause, &r.Error, &r.Tags, &r.Vars)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("call %q: %w (check the id: it is the FreeSWITCH Unique-ID of the call)", id, ErrCallNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load call %q: %w", id, err)
	}
	if ivrEnd != nil {
		r.IVREndedAt = *ivrEnd
	}
	r.Talk = time.Duration(talkMS) * time.Millisecond
	r.Outcome = Outcome(outcome)

	rows, err := db.Query(ctx, `select at, kind, step, detail from ivr_call_event where call_id = $1 order by seq`, id)
	if err != nil {
		return nil, fmt.Errorf("load timeline of call %q: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e CallEvent
		var kind string
		if err := rows.Scan(&e.At, &kind, &e.Step, &e.Detail); err != nil {
			return nil, fmt.Errorf("load timeline of call %q: %w", id, err)
		}
		e.Kind = EventKind(kind)
		r.Events = append(r.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load timeline of call %q: %w", id, err)
	}
	return r, nil
}

// CallSummary is one line of a list of calls.
type CallSummary struct {
	ID        string
	Caller    string
	Called    string
	Flow      string
	StartedAt time.Time
	Duration  time.Duration
	Outcome   Outcome
}

// RecentCalls lists the newest limit calls, newest first (for `ivrd calls list`).
func RecentCalls(ctx context.Context, db Querier, limit int) ([]CallSummary, error) {
	rows, err := db.Query(ctx, `select id, caller, called, flow, started_at, duration_ms, outcome
		from ivr_call order by started_at desc limit $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	defer rows.Close()
	var out []CallSummary
	for rows.Next() {
		var s CallSummary
		var ms int64
		var outcome string
		if err := rows.Scan(&s.ID, &s.Caller, &s.Called, &s.Flow, &s.StartedAt, &ms, &outcome); err != nil {
			return nil, fmt.Errorf("list calls: %w", err)
		}
		s.Duration = time.Duration(ms) * time.Millisecond
		s.Outcome = Outcome(outcome)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	return out, nil
}
