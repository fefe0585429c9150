package sms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// ErrBadText is returned for an inbound text that is not valid UTF-8 or holds NUL bytes.
var ErrBadText = errors.New("not valid UTF-8 text (or contains NUL bytes)")

// InboundText is one text a gateway delivered to ivrd.
type InboundText struct {
	// Gateway is "kannel" or "twilio"; with GatewayMessageID it identifies the text, so a
	// retried webhook is recognised.
	Gateway          string
	GatewayMessageID string
	From, To, Body   string
}

// InboundOptions are the optional parts of an Inbound.
type InboundOptions struct {
	// DLRKey checks the signature ivrd put in Kannel dlr-urls (same key as NewKannelGateway).
	DLRKey []byte
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Inbound receives texts and delivery reports: it stores each text once, applies STOP and
// START at once, and answers by keyword from a River job (HandleWorker).
type Inbound struct {
	pool      *pgxpool.Pool
	sender    *Sender
	cfg       Config
	matcher   *keywordMatcher
	callbacks atomic.Pointer[CallbackRequester]
	jobs      JobInserter
	dlrKey    []byte
	twilioTok string
	writer    *inboundWriter
	now       func() time.Time
	log       *slog.Logger
}

// NewInbound returns the inbound side. Texts are answered through sender.
func NewInbound(cfg Config, pool *pgxpool.Pool, sender *Sender, opts InboundOptions) (*Inbound, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	in := &Inbound{pool: pool, sender: sender, cfg: cfg, matcher: newKeywordMatcher(cfg.Keywords),
		dlrKey: opts.DLRKey, now: opts.Now, log: opts.Logger}
	if in.now == nil {
		in.now = time.Now
	}
	in.writer = newInboundWriter(in)
	if in.log == nil {
		in.log = slog.Default()
	}
	if cfg.Twilio.AccountSID != "" {
		tok, err := secret(cfg.Twilio.AuthToken, cfg.Twilio.AuthTokenEnv, cfg.Twilio.AuthTokenFile)
		if err != nil {
			return nil, fmt.Errorf("sms.twilio auth token: %w", err)
		}
		in.twilioTok = tok
	}
	return in, nil
}

// SetCallbackRequester connects the callback package (set after both exist).
func (in *Inbound) SetCallbackRequester(r CallbackRequester) { in.callbacks.Store(&r) }

// SetJobClient gives Inbound the River client that enqueues keyword handling.
func (in *Inbound) SetJobClient(j JobInserter) { in.jobs = j }

// AddWorkers registers the keyword-handling worker with River.
func (in *Inbound) AddWorkers(w *river.Workers) { river.AddWorker(w, &HandleWorker{in: in}) }

// Receive stores t once. A text seen before (same gateway and message id) returns its id
// with duplicate set and changes nothing. STOP and START take effect in the same
// transaction; the reply is left to a River job.
func (in *Inbound) Receive(ctx context.Context, t InboundText) (id int64, duplicate bool, err error) {
	if in.jobs == nil {
		return 0, false, ErrNoJobClient
	}
	if t.Gateway == "" || t.GatewayMessageID == "" {
		return 0, false, errors.New("inbound text has no gateway message id")
	}
	if !utf8.ValidString(t.Body) || strings.ContainsRune(t.Body, 0) {
		return 0, false, fmt.Errorf("text: %w", ErrBadText)
	}
	from, err := NormalizeNumber(t.From, in.cfg.DefaultRegion)
	if err != nil {
		return 0, false, fmt.Errorf("sender: %w", err)
	}
	to := t.To
	if n, err := NormalizeNumber(t.To, in.cfg.DefaultRegion); err == nil {
		to = n
	}
	rule, ok := in.matcher.match(t.Body)
	action, lang := ActionUnknown, detectLang(t.Body, in.cfg.DefaultLang)
	if ok {
		action, lang = rule.Action, rule.Lang
	}
	id, duplicate, err = in.writer.store(ctx, inboundRow{gateway: t.Gateway, gatewayID: t.GatewayMessageID,
		from: from, to: to, body: t.Body, lang: lang, action: action, at: in.now()})
	if err != nil {
		return 0, false, fmt.Errorf("store inbound text %s/%s: %w", t.Gateway, t.GatewayMessageID, err)
	}
	if !duplicate {
		in.log.Debug("text received", "id", id, "gateway", t.Gateway, "action", action, "lang", lang)
	}
	return id, duplicate, nil
}

// detectLang guesses the language of a text no keyword matched.
func detectLang(text, def string) string {
	if containsHan(text) {
		return "zh"
	}
	return def
}

// HandleArgs is the River job that answers one inbound text.
type HandleArgs struct {
	InboundID int64 `json:"inbound_id"`
}

// Kind implements river.JobArgs.
func (HandleArgs) Kind() string { return "sms_inbound" }

// HandleWorker answers inbound texts by keyword.
type HandleWorker struct {
	river.WorkerDefaults[HandleArgs]
	in *Inbound
}

// Work implements river.Worker.
func (w *HandleWorker) Work(ctx context.Context, job *river.Job[HandleArgs]) error {
	return w.in.handle(ctx, job.Args.InboundID, job.Attempt >= job.MaxAttempts)
}

// handle answers inbound text id once (its reply has the key "reply:<id>").
func (in *Inbound) handle(ctx context.Context, id int64, lastAttempt bool) error {
	var from, body, lang, action string
	var received time.Time
	var handled *time.Time
	err := in.pool.QueryRow(ctx, `SELECT from_number, body, lang, action, received_at, handled_at FROM sms_inbound WHERE id = $1`, id).
		Scan(&from, &body, &lang, &action, &received, &handled)
	if err != nil {
		return fmt.Errorf("load inbound text %d: %w", id, err)
	}
	if handled != nil {
		return nil
	}
	t := Text{To: from, Key: "reply:" + strconv.FormatInt(id, 10), Purpose: PurposeReply, Lang: lang, Reply: true}
	rule, _ := in.matcher.match(body)
	switch Action(action) {
	case ActionCallback:
		done, err := in.callbackReply(ctx, &t, id, from, body, lang, received, lastAttempt)
		if !done {
			return err
		}
	case ActionStop:
		t.Template, t.confirm = cmp.Or(rule.Template, TemplateStopped), true
	case ActionStart:
		t.Template, t.confirm = cmp.Or(rule.Template, TemplateStarted), true
	case ActionReply:
		t.Template = rule.Template
	default:
		t.Template = TemplateUnknown
	}
	note := ""
	if _, defined := in.cfg.Templates[t.Template]; t.Body == "" && !defined {
		note = fmt.Sprintf("no reply: template %q is not defined under sms.templates", t.Template)
	} else if _, err := in.sender.Send(ctx, t); err != nil {
		if !errors.Is(err, ErrOptedOut) && !errors.Is(err, ErrDailyCap) && !errors.Is(err, ErrRateLimited) &&
			!errors.Is(err, ErrTemplate) && !errors.Is(err, ErrNoTemplate) {
			return fmt.Errorf("reply to inbound text %d: %w", id, err)
		}
		note = "no reply: " + err.Error()
	}
	if note != "" {
		in.log.Info("inbound text not answered", "id", id, "why", note)
	}
	if _, err := in.pool.Exec(ctx, `UPDATE sms_inbound SET handled_at = $2, handle_error = $3 WHERE id = $1`, id, in.now(), note); err != nil {
		return fmt.Errorf("mark inbound text %d handled: %w", id, err)
	}
	return nil
}

// callbackReply asks for the callback and fills in the reply. done is false when the job
// must be retried (err says why).
func (in *Inbound) callbackReply(ctx context.Context, t *Text, id int64, from, body, lang string, received time.Time, lastAttempt bool) (done bool, err error) {
	p := in.callbacks.Load()
	if p == nil {
		if !lastAttempt {
			return false, errors.New("no callback requester connected yet (sms.Inbound.SetCallbackRequester)")
		}
		t.Template = TemplateCallbackTryLater
		return true, nil
	}
	conf, err := (*p).RequestCallback(ctx, CallbackRequest{Number: from, Source: "sms", MessageID: "sms:" + strconv.FormatInt(id, 10),
		Lang: lang, Text: body, ReceivedAt: received.UTC()})
	var refused *CallbackRefusedError
	switch {
	case errors.As(err, &refused):
		t.Body = refused.Text
		if t.Body == "" {
			t.Template, t.Vars = TemplateCallbackRefused, map[string]any{"reason": refused.Reason}
		}
		return true, nil
	case err != nil && !lastAttempt:
		return false, fmt.Errorf("request callback for inbound text %d: %w", id, err)
	case err != nil:
		in.log.Error("callback request failed for good", "inbound", id, "err", err)
		t.Template = TemplateCallbackTryLater
		return true, nil
	}
	if conf.Text != "" {
		t.Body = conf.Text
		return true, nil
	}
	loc := in.sender.quiet.location(from)
	mins := int(math.Ceil(conf.ETA.Sub(in.now()).Minutes()))
	t.Template = TemplateCallbackConfirm
	eta := conf.ETA.In(loc)
	t.Vars = map[string]any{"eta": eta.Format("15:04"), "eta_date": eta.Format("Mon 2 Jan"), "eta_time": eta,
		"eta_minutes": max(mins, 0), "request_id": conf.RequestID}
	return true, nil
}
