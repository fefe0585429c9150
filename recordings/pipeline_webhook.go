package recordings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Webhook events.
const (
	// EventSent: a recording reached a destination (and, for transcribers, was scored).
	EventSent = "recording.sent"
	// EventFailed: a recording could not be delivered to a destination, for good.
	EventFailed = "recording.failed"
	// EventRejected: a recording failed its file check and was not forwarded.
	EventRejected = "recording.rejected"
)

// WebhookArgs is the job that tells the webhook about a delivery's final outcome.
type WebhookArgs struct {
	Event       string    `json:"event"`
	RecordingID int64     `json:"recording_id"`
	CallID      string    `json:"call_id"`
	Destination string    `json:"destination,omitempty"`
	SHA256      string    `json:"sha256,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	At          time.Time `json:"at"`
}

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return "recording_webhook" }

// enqueueWebhook adds the webhook job in tx, when a webhook is configured.
func (p *Pipeline) enqueueWebhook(ctx context.Context, client *river.Client[pgx.Tx], tx pgx.Tx, rec *Recording, dest, event, reason string) error {
	if p.cfg.Webhook.URL == "" {
		return nil
	}
	if client == nil {
		return fmt.Errorf("enqueue webhook: no River client")
	}
	args := WebhookArgs{Event: event, RecordingID: rec.ID, CallID: rec.CallID, Destination: dest, SHA256: rec.SHA256,
		Reason: reason, At: time.Now().UTC()}
	if _, err := client.InsertTx(ctx, tx, args, &river.InsertOpts{Queue: Queue, MaxAttempts: p.cfg.MaxAttempts}); err != nil {
		return fmt.Errorf("enqueue webhook for recording %d: %w", rec.ID, err)
	}
	return nil
}

type webhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	p *Pipeline
}

// Work posts the event as JSON, with an Idempotency-Key naming recording, destination and
// event, so a receiver can drop the repeat of a post whose answer was lost.
func (w *webhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	a := job.Args
	body, err := json.Marshal(a)
	if err != nil {
		return river.JobCancel(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.p.cfg.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(fmt.Errorf("webhook: bad URL: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "recording-"+strconv.FormatInt(a.RecordingID, 10)+"-"+a.Destination+"-"+a.Event)
	if _, err := w.p.cfg.Webhook.do(ctx, w.p.opts.HTTPClient, req); err != nil {
		if isPermanent(err) {
			return river.JobCancel(fmt.Errorf("webhook: %w", err))
		}
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}
