package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// FinishedCall is what the IVR runtime knows about a call when it ends.
type FinishedCall struct {
	CallID string `json:"call_id"`
	// Caller is the caller's number as the switch gave it.
	Caller string `json:"caller"`
	// Outcome is how the call ended, e.g. completed, abandoned, after_hours, transferred.
	Outcome string `json:"outcome"`
	// Steps are the flow steps the call visited, in order.
	Steps []string `json:"steps"`
	// Tags are the tags the flow set (e.g. card_services, abandoned_in_queue).
	Tags    []string  `json:"tags"`
	Lang    string    `json:"lang"`
	EndedAt time.Time `json:"ended_at"`
	// Vars are extra template variables.
	Vars map[string]any `json:"vars,omitempty"`
}

// FollowUpResult says what one matching rule did for a call.
type FollowUpResult struct {
	Rule string
	// TextID is the queued text, 0 when none.
	TextID int64
	// Skipped says why no text was queued ("" when one was): already sent for this call,
	// opted out, daily cap, bad number, ...
	Skipped string
}

// FollowUps sends post-call texts by the rules of Config.FollowUps.
type FollowUps struct {
	pool   *pgxpool.Pool
	sender *Sender
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	jobs   JobInserter
}

// NewFollowUps returns the follow-up engine; texts go out through sender.
func NewFollowUps(cfg Config, pool *pgxpool.Pool, sender *Sender) (*FollowUps, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &FollowUps{pool: pool, sender: sender, cfg: cfg, now: sender.now, log: sender.log}, nil
}

// SetJobClient gives FollowUps the River client Enqueue uses.
func (f *FollowUps) SetJobClient(j JobInserter) { f.jobs = j }

// AddWorkers registers the follow-up worker with River.
func (f *FollowUps) AddWorkers(w *river.Workers) { river.AddWorker(w, &FollowUpWorker{f: f}) }

// matches reports whether call satisfies every condition the rule sets.
func (r FollowUpRule) matches(call FinishedCall) bool {
	if len(r.Outcomes) > 0 && !slices.Contains(r.Outcomes, call.Outcome) {
		return false
	}
	if len(r.Steps) > 0 && !slices.ContainsFunc(r.Steps, func(s string) bool { return slices.Contains(call.Steps, s) }) {
		return false
	}
	if len(r.Tags) > 0 && !slices.ContainsFunc(r.Tags, func(s string) bool { return slices.Contains(call.Tags, s) }) {
		return false
	}
	return true
}

// OnCallEnded queues the follow-up text of every rule call matches, at most once per rule
// per call (calling it again for the same call sends nothing new). Refusals (opted out,
// caps, a caller without a usable number) are recorded as skips, not errors; an error means
// nothing was recorded for that rule and the call may be retried.
func (f *FollowUps) OnCallEnded(ctx context.Context, call FinishedCall) ([]FollowUpResult, error) {
	if call.CallID == "" {
		return nil, errors.New("follow-up: FinishedCall.CallID is empty")
	}
	var results []FollowUpResult
	for _, rule := range f.cfg.FollowUps {
		if !rule.matches(call) {
			continue
		}
		res, err := f.apply(ctx, rule, call)
		if err != nil {
			return results, fmt.Errorf("follow-up %s for call %s: %w", rule.Name, call.CallID, err)
		}
		if res.Skipped != "" {
			f.log.Info("follow-up skipped", "rule", rule.Name, "call", call.CallID, "why", res.Skipped)
		}
		results = append(results, res)
	}
	return results, nil
}

func (f *FollowUps) apply(ctx context.Context, rule FollowUpRule, call FinishedCall) (FollowUpResult, error) {
	res := FollowUpResult{Rule: rule.Name}
	number, numErr := NormalizeNumber(call.Caller, f.cfg.DefaultRegion)
	if numErr != nil {
		number = call.Caller
	}
	now := f.now()
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO sms_followup (rule, call_id, number, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (rule, call_id) DO NOTHING`, rule.Name, call.CallID, number, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Skipped = "already handled for this call"
			return tx.QueryRow(ctx, `SELECT coalesce(outbound_id, 0) FROM sms_followup WHERE rule = $1 AND call_id = $2`,
				rule.Name, call.CallID).Scan(&res.TextID)
		}
		skip := func(why string) error {
			res.Skipped = why
			_, err := tx.Exec(ctx, `UPDATE sms_followup SET skipped = $3 WHERE rule = $1 AND call_id = $2`, rule.Name, call.CallID, why)
			return err
		}
		if numErr != nil {
			return skip("caller number: " + numErr.Error())
		}
		if capN := f.cfg.Limits.FollowUpsPerNumberPerDay; capN > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM sms_followup WHERE number = $1 AND outbound_id IS NOT NULL AND created_at > $2`,
				number, now.Add(-24*time.Hour)).Scan(&n); err != nil {
				return err
			}
			if n >= capN {
				return skip(fmt.Sprintf("follow-up daily cap reached (%d in 24h, sms.limits.followups_per_number_per_day)", n))
			}
		}
		vars := map[string]any{"call_id": call.CallID, "caller": number, "outcome": call.Outcome, "lang": call.Lang}
		for k, v := range call.Vars {
			vars[k] = v
		}
		q, err := f.sender.SendTx(ctx, tx, Text{To: number, Key: "followup:" + rule.Name + ":" + call.CallID,
			Purpose: PurposeFollowUp, Template: rule.Template, Lang: call.Lang, Vars: vars})
		switch {
		case errors.Is(err, ErrOptedOut), errors.Is(err, ErrDailyCap), errors.Is(err, ErrRateLimited), errors.Is(err, ErrBadNumber),
			errors.Is(err, ErrTemplate), errors.Is(err, ErrNoTemplate):
			return skip(err.Error())
		case err != nil:
			return err
		}
		res.TextID = q.ID
		_, err = tx.Exec(ctx, `UPDATE sms_followup SET outbound_id = $3 WHERE rule = $1 AND call_id = $2`, rule.Name, call.CallID, q.ID)
		return err
	})
	return res, err
}

// FollowUpArgs is the River job that runs OnCallEnded for one call, so a follow-up survives
// a crash right after the call.
type FollowUpArgs struct {
	Call FinishedCall `json:"call"`
}

// Kind implements river.JobArgs.
func (FollowUpArgs) Kind() string { return "sms_followup" }

// FollowUpWorker runs OnCallEnded from a job.
type FollowUpWorker struct {
	river.WorkerDefaults[FollowUpArgs]
	f *FollowUps
}

// Work implements river.Worker.
func (w *FollowUpWorker) Work(ctx context.Context, job *river.Job[FollowUpArgs]) error {
	_, err := w.f.OnCallEnded(ctx, job.Args.Call)
	return err
}

// EnqueueTx schedules OnCallEnded for call in a River job inside tx (e.g. the transaction
// that records the call's end).
func (f *FollowUps) EnqueueTx(ctx context.Context, tx pgx.Tx, call FinishedCall) error {
	if f.jobs == nil {
		return ErrNoJobClient
	}
	if _, err := f.jobs.InsertTx(ctx, tx, FollowUpArgs{Call: call}, nil); err != nil {
		return fmt.Errorf("enqueue follow-up for call %s: %w", call.CallID, err)
	}
	return nil
}
