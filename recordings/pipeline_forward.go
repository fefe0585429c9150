package recordings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// ForwardArgs is the job that takes one recording to one destination.
type ForwardArgs struct {
	RecordingID int64  `json:"recording_id"`
	Destination string `json:"destination"`
}

// Kind implements river.JobArgs.
func (ForwardArgs) Kind() string { return "recording_forward" }

// InsertOpts makes a second job for the same recording and destination a no-op while the
// first is not finished.
func (ForwardArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// IdempotencyKey is what a destination receives to recognise a recording it already has:
// the recording id and the file's SHA-256.
func IdempotencyKey(r *Recording) string {
	return "recording-" + strconv.FormatInt(r.ID, 10) + "-" + r.SHA256
}

type forwardWorker struct {
	river.WorkerDefaults[ForwardArgs]
	p *Pipeline
}

func (w *forwardWorker) Work(ctx context.Context, job *river.Job[ForwardArgs]) error {
	p, a := w.p, job.Args
	rec, err := p.store.Recording(ctx, a.RecordingID)
	if errors.Is(err, ErrNotFound) {
		return river.JobCancel(fmt.Errorf("recording %d is gone: %w", a.RecordingID, err))
	}
	if err != nil {
		return err
	}
	status, err := p.beginAttempt(ctx, rec.ID, a.Destination)
	if err != nil {
		return err
	}
	if status != DeliveryPending {
		// Already settled by an earlier run whose completion River did not record.
		return nil
	}
	log := p.log.With("call", rec.CallID, "recording", rec.ID, "destination", a.Destination, "attempt", job.Attempt)
	workErr := p.deliver(ctx, rec, a.Destination)
	if workErr == nil {
		if err := p.settle(ctx, job, rec, a.Destination, DeliverySent, ""); err != nil {
			return err
		}
		log.Info("recordings: delivered")
		return nil
	}
	if rec.DeletedAt != nil {
		workErr = permanent(fmt.Errorf("recording was deleted by retention before delivery: %w", workErr))
	}
	if isPermanent(workErr) || job.Attempt >= job.MaxAttempts {
		if err := p.settle(ctx, nil, rec, a.Destination, DeliveryFailed, workErr.Error()); err != nil {
			return err
		}
		log.Error("recordings: delivery failed for good", "err", workErr)
		return river.JobCancel(workErr)
	}
	if _, err := p.store.pool.Exec(ctx, `update recording_delivery set reason = $3, updated_at = now()
		where recording_id = $1 and destination = $2`, rec.ID, a.Destination, workErr.Error()); err != nil {
		log.Warn("recordings: cannot record delivery error", "err", err)
	}
	log.Warn("recordings: delivery failed; will retry", "err", workErr)
	return workErr
}

// beginAttempt counts an attempt and returns the delivery's status before it.
func (p *Pipeline) beginAttempt(ctx context.Context, id int64, dest string) (string, error) {
	var status string
	err := p.store.pool.QueryRow(ctx, `update recording_delivery set attempts = attempts + 1, updated_at = now()
		where recording_id = $1 and destination = $2 returning status`, id, dest).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", river.JobCancel(fmt.Errorf("recording %d has no delivery to %q", id, dest))
	}
	if err != nil {
		return "", fmt.Errorf("start delivery of recording %d to %s: %w", id, dest, err)
	}
	return status, nil
}

// settle records a delivery's final status, enqueues the webhook and (given job) completes the
// job, all in one transaction, so the webhook is sent once and the status never disagrees with
// the job. A job settled as failed is cancelled by its worker's return; should that be lost, its
// rerun finds the delivery settled and stops.
func (p *Pipeline) settle(ctx context.Context, job *river.Job[ForwardArgs], rec *Recording, dest, status, reason string) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	tx, err := p.store.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("settle delivery: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `update recording_delivery set status = $3, reason = $4, updated_at = now(),
		sent_at = case when $3 = 'sent' then now() end where recording_id = $1 and destination = $2`,
		rec.ID, dest, status, reason); err != nil {
		return fmt.Errorf("settle delivery of recording %d to %s: %w", rec.ID, dest, err)
	}
	event := EventSent
	if status == DeliveryFailed {
		event = EventFailed
	}
	if err := p.enqueueWebhook(ctx, client, tx, rec, dest, event, reason); err != nil {
		return err
	}
	if job != nil {
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
			return fmt.Errorf("settle delivery of recording %d to %s: complete job: %w", rec.ID, dest, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("settle delivery of recording %d to %s: %w", rec.ID, dest, err)
	}
	return nil
}

// deliver does one attempt of taking rec to the destination named dest.
func (p *Pipeline) deliver(ctx context.Context, rec *Recording, dest string) error {
	var d *Destination
	for i := range p.dests {
		if p.dests[i].Name == dest {
			d = &p.dests[i]
		}
	}
	if d == nil {
		return permanent(fmt.Errorf("destination %q is no longer configured", dest))
	}
	switch d.Type {
	case DestHTTP:
		return p.upload(ctx, rec, d)
	case DestOpenAI:
		o := &OpenAI{Endpoint: d.Endpoint, Model: d.Model, Client: p.opts.HTTPClient}
		return p.transcribeAndScore(ctx, rec, func(ctx context.Context) (*Transcript, error) {
			h := http.Header{}
			h.Set("Idempotency-Key", IdempotencyKey(rec))
			return o.transcribe(ctx, rec.Path, rec.Language, h)
		})
	case DestOffline:
		if p.opts.Offline == nil {
			return permanent(errors.New("offline transcriber not loaded (recordings.offline.disabled, or it failed to start)"))
		}
		if l := normLang(rec.Language); l != "en" {
			return unsupportedLang(rec.Language)
		}
		return p.transcribeAndScore(ctx, rec, func(ctx context.Context) (*Transcript, error) {
			return p.opts.Offline.Transcribe(ctx, rec.Path, rec.Language)
		})
	}
	return permanent(fmt.Errorf("destination %q has unknown type %q", d.Name, d.Type))
}

// transcribeAndScore transcribes rec, stores the transcript and, with rules, scores the call.
func (p *Pipeline) transcribeAndScore(ctx context.Context, rec *Recording, transcribe func(context.Context) (*Transcript, error)) error {
	tr, err := transcribe(ctx)
	if err != nil {
		return err
	}
	if err := p.store.SaveTranscript(ctx, rec.ID, tr); err != nil {
		return err
	}
	if p.opts.Rules == nil {
		return nil
	}
	rs, err := p.opts.Rules.For(rec.Queue)
	if err != nil {
		return permanent(err)
	}
	a, _, err := ReadAudio(rec.Path)
	if err != nil {
		return err
	}
	res := Score(rs, rec.Queue, tr, AnalyseActivity(a))
	return p.store.SaveScore(ctx, rec.ID, res)
}

// upload posts the recording to an HTTP destination: a multipart form with a "metadata" part
// (the Recording as JSON) and an "audio" part (the WAV file), with the Idempotency-Key header.
func (p *Pipeline) upload(ctx context.Context, rec *Recording, d *Destination) error {
	f, err := os.Open(rec.Path)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	meta, err := json.Marshal(rec)
	if err != nil {
		return permanent(fmt.Errorf("upload: %w", err))
	}
	mh := textproto.MIMEHeader{}
	mh.Set("Content-Disposition", `form-data; name="metadata"`)
	mh.Set("Content-Type", "application/json")
	part, err := mw.CreatePart(mh)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if _, err := part.Write(meta); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	ah := textproto.MIMEHeader{}
	ah.Set("Content-Disposition", fmt.Sprintf(`form-data; name="audio"; filename=%q`, filepath.Base(rec.Path)))
	ah.Set("Content-Type", "audio/wav")
	if part, err = mw.CreatePart(ah); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if _, err := io.Copy(part, f); err != nil {
		return fmt.Errorf("upload: read %s: %w", rec.Path, err)
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, &body)
	if err != nil {
		return permanent(fmt.Errorf("upload: bad URL for destination %s: %w", d.Name, err))
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Idempotency-Key", IdempotencyKey(rec))
	req.Header.Set("X-Recording-Id", strconv.FormatInt(rec.ID, 10))
	req.Header.Set("X-Recording-SHA256", rec.SHA256)
	if _, err := d.Endpoint.do(ctx, p.opts.HTTPClient, req); err != nil {
		return fmt.Errorf("upload to %s: %w", d.Name, err)
	}
	return nil
}

func statSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
