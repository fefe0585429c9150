package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ivrd/ivrd/metrics"
)

// Refusals of Sender.Send (besides ErrOptedOut and ErrBadNumber).
var (
	ErrRateLimited = errors.New("the number got a text too recently (sms.limits.min_interval)")
	ErrDailyCap    = errors.New("the number reached its daily text cap (sms.limits.per_number_per_day)")
	ErrNoJobClient = errors.New("sms: no job client: call SetJobClient with the River client before sending")
	// ErrTemplate wraps a template that cannot be rendered (e.g. a variable not set).
	ErrTemplate = errors.New("template cannot be rendered")
)

// Purposes of a text, stored with it.
const (
	PurposeFlow     = "flow"
	PurposeFollowUp = "followup"
	PurposeCallback = "callback"
	PurposeReply    = "reply"
	// PurposeConfirm is a STOP/START confirmation; it does not count toward limits.
	PurposeConfirm = "confirm"
)

// Text is one logical text to send.
type Text struct {
	// To is the recipient in any form NormalizeNumber reads.
	To string
	// Key identifies the logical text: sending the same Key twice sends once (e.g.
	// "flow:<call id>:<step>", "callback:<request id>:confirm"). Required.
	Key string
	// Purpose is stored with the text (PurposeFlow, PurposeFollowUp, ...).
	Purpose string
	// Template names a template of sms.templates; Vars fill it; Lang picks its language.
	Template string
	Vars     map[string]any
	Lang     string
	// Body is a literal text used instead of Template.
	Body string
	// Reply marks an answer to a text the recipient just sent: it is not held for quiet
	// hours and not subject to min_interval (it still counts toward the daily cap).
	Reply bool

	// confirm marks STOP/START confirmations: sent even to an opted-out number, no limits.
	confirm bool
}

// Queued is the record of an accepted Text.
type Queued struct {
	ID        int64
	To        string
	Body      string
	Lang      string
	SendAfter time.Time
	Segments  SegmentInfo
	// Duplicate is true when a text with the same Key was already recorded; nothing new
	// was queued and the fields describe the earlier text.
	Duplicate bool
}

// JobInserter enqueues River jobs inside a transaction; *river.Client[pgx.Tx] is one.
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// SenderOptions are the optional parts of a Sender.
type SenderOptions struct {
	// Renderer renders templates (default: an ExprRenderer, the flows' template language).
	Renderer Renderer
	// Now is the clock (default time.Now); tests pass a fake one.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Metrics, when set, counts texts sent and failed (ivrd_texts_*_total{gateway,kind}).
	Metrics *metrics.Metrics
}

// Sender is the one way texts leave ivrd: flows, follow-ups, callbacks and keyword replies.
type Sender struct {
	pool   *pgxpool.Pool
	gw     Gateway
	cfg    Config
	tmpl   templates
	render Renderer
	quiet  *quietHours
	now    func() time.Time
	log    *slog.Logger
	jobs   JobInserter
	met    *metrics.Metrics
}

// NewSender returns a Sender that records texts in the database behind pool and sends them
// through gw from River jobs (register SendWorker with AddWorkers, then SetJobClient).
func NewSender(cfg Config, pool *pgxpool.Pool, gw Gateway, opts SenderOptions) (*Sender, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if gw == nil {
		return nil, errors.New("sms: NewSender needs a gateway")
	}
	q, err := newQuietHours(cfg.QuietHours)
	if err != nil {
		return nil, err
	}
	s := &Sender{pool: pool, gw: gw, cfg: cfg, quiet: q,
		tmpl:   templates{byName: cfg.Templates, defaultLang: cfg.DefaultLang},
		render: opts.Renderer, now: opts.Now, log: opts.Logger, met: opts.Metrics}
	if s.render == nil {
		s.render = &ExprRenderer{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// SetJobClient gives the Sender the River client that enqueues send jobs.
func (s *Sender) SetJobClient(j JobInserter) { s.jobs = j }

// AddWorkers registers the send worker with River.
func (s *Sender) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &SendWorker{s: s})
}

// Gateway is the gateway texts go through.
func (s *Sender) Gateway() Gateway { return s.gw }

// Send records t and enqueues it for sending; see SendTx.
func (s *Sender) Send(ctx context.Context, t Text) (Queued, error) {
	var q Queued
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		q, err = s.SendTx(ctx, tx, t)
		return err
	})
	return q, err
}

// SendTx records t and enqueues its send job inside tx, so a caller can make the text part
// of its own transaction. It refuses (wrapped ErrBadNumber, ErrOptedOut, ErrRateLimited,
// ErrDailyCap) without recording anything; inside the recipient's quiet hours the text waits
// for their end. A Key seen before returns the earlier text with Duplicate set.
func (s *Sender) SendTx(ctx context.Context, tx pgx.Tx, t Text) (Queued, error) {
	if s.jobs == nil {
		return Queued{}, ErrNoJobClient
	}
	if t.Key == "" {
		return Queued{}, errors.New("sms: Text.Key is empty: give each logical text a unique key so it is never sent twice")
	}
	to, err := NormalizeNumber(t.To, s.cfg.DefaultRegion)
	if err != nil {
		return Queued{}, fmt.Errorf("text %s: %w", t.Key, err)
	}
	body, lang := t.Body, t.Lang
	if body == "" {
		if t.Template == "" {
			return Queued{}, fmt.Errorf("text %s: neither Body nor Template is set", t.Key)
		}
		var text string
		if text, lang, err = s.tmpl.text(t.Template, t.Lang); err != nil {
			return Queued{}, fmt.Errorf("text %s: %w", t.Key, err)
		}
		if body, err = s.render.Render(text, t.Vars); err != nil {
			return Queued{}, fmt.Errorf("text %s: template %q (%s): %w: %w", t.Key, t.Template, lang, ErrTemplate, err)
		}
	}
	// One sender at a time per number, so limits hold across goroutines and ivrd instances.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('sms:' || $1, 0))`, to); err != nil {
		return Queued{}, fmt.Errorf("text %s: lock %s: %w", t.Key, to, err)
	}
	if q, found, err := existingText(ctx, tx, t.Key); err != nil || found {
		return q, err
	}
	now := s.now()
	if !t.confirm {
		if out, err := isOptedOut(ctx, tx, to); err != nil {
			return Queued{}, err
		} else if out {
			return Queued{}, fmt.Errorf("text %s to %s: %w", t.Key, to, ErrOptedOut)
		}
		if err := s.checkLimits(ctx, tx, to, now, t.Reply); err != nil {
			return Queued{}, fmt.Errorf("text %s to %s: %w", t.Key, to, err)
		}
	}
	sendAfter := now
	if !t.Reply && !t.confirm {
		sendAfter = s.quiet.sendAt(now, to)
	}
	seg := Segments(body)
	purpose := t.Purpose
	if purpose == "" {
		purpose = PurposeFlow
	}
	if t.confirm {
		purpose = PurposeConfirm
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO sms_outbound
		(unique_key, purpose, to_number, from_number, body, template, lang, encoding, segments, created_at, send_after, gateway)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		t.Key, purpose, to, s.cfg.From, body, t.Template, lang, string(seg.Encoding), seg.Count, now, sendAfter, s.gw.Name()).Scan(&id)
	if err != nil {
		return Queued{}, fmt.Errorf("text %s: record: %w", t.Key, err)
	}
	// Inserted only with a new row (unique_key), so the job needs no unique check of its own.
	opts := &river.InsertOpts{MaxAttempts: s.cfg.Retry.MaxAttempts}
	if sendAfter.After(now) {
		opts.ScheduledAt = sendAfter
	}
	if _, err := s.jobs.InsertTx(ctx, tx, SendArgs{OutboundID: id}, opts); err != nil {
		return Queued{}, fmt.Errorf("text %s: enqueue send job: %w", t.Key, err)
	}
	return Queued{ID: id, To: to, Body: body, Lang: lang, SendAfter: sendAfter, Segments: seg}, nil
}

func existingText(ctx context.Context, tx pgx.Tx, key string) (Queued, bool, error) {
	var q Queued
	var enc string
	err := tx.QueryRow(ctx, `SELECT id, to_number, body, lang, send_after, encoding, segments FROM sms_outbound WHERE unique_key = $1`, key).
		Scan(&q.ID, &q.To, &q.Body, &q.Lang, &q.SendAfter, &enc, &q.Segments.Count)
	if errors.Is(err, pgx.ErrNoRows) {
		return Queued{}, false, nil
	}
	if err != nil {
		return Queued{}, false, fmt.Errorf("look up text %s: %w", key, err)
	}
	q.Segments = Segments(q.Body)
	q.Duplicate = true
	return q, true, nil
}

// checkLimits applies min_interval (not to replies) and the daily cap.
func (s *Sender) checkLimits(ctx context.Context, tx pgx.Tx, to string, now time.Time, reply bool) error {
	l := s.cfg.Limits
	if l.PerNumberPerDay == 0 && (l.MinInterval == 0 || reply) {
		return nil
	}
	var count int
	var last *time.Time
	err := tx.QueryRow(ctx, `SELECT count(*), max(created_at) FROM sms_outbound
		WHERE to_number = $1 AND created_at > $2 AND purpose <> 'confirm'`, to, now.Add(-24*time.Hour)).Scan(&count, &last)
	if err != nil {
		return fmt.Errorf("count texts: %w", err)
	}
	if l.PerNumberPerDay > 0 && count >= l.PerNumberPerDay {
		return fmt.Errorf("%w (%d in 24h)", ErrDailyCap, count)
	}
	if !reply && l.MinInterval > 0 && last != nil && now.Sub(*last) < l.MinInterval {
		return fmt.Errorf("%w (last %s ago)", ErrRateLimited, now.Sub(*last).Round(time.Second))
	}
	return nil
}
