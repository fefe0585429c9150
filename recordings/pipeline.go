package recordings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Queue is the River queue recording jobs run in, apart from the default queue so QA work
// cannot hold up callbacks and texts. Give it QueueConfig in the River client's Queues.
const Queue = "recordings"

// Destination types.
const (
	DestHTTP    = "http"
	DestOpenAI  = "openai"
	DestOffline = "offline"
)

// OfflineDestination is the name of the destination added when no openai destination is
// configured: the built-in transcriber.
const OfflineDestination = "offline"

// PipelineOptions are a Pipeline's collaborators.
type PipelineOptions struct {
	// Rules scores transcripts; nil stores transcripts without scoring them.
	Rules *Rules
	// Offline is the offline transcriber (a *Sphinx) for offline destinations.
	Offline Transcriber
	// HTTPClient sends uploads, transcriptions and webhooks (default: a client of its own).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock for retention (default time.Now).
	Now func() time.Time
}

// Pipeline forwards recordings to their QA destinations through durable River jobs: Submit
// checks and stores a recording and enqueues one job per destination in one transaction; the
// workers (AddWorkers) deliver, transcribe and score, retrying with backoff.
type Pipeline struct {
	cfg   Config
	dests []Destination
	store *Store
	opts  PipelineOptions
	log   *slog.Logger
}

// NewPipeline checks cfg's destinations and returns a pipeline storing into pool, whose
// database has Migrations applied.
func NewPipeline(cfg Config, pool *pgxpool.Pool, opts PipelineOptions) (*Pipeline, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 10 * time.Second
	}
	if cfg.Language == "" {
		cfg.Language = "en"
	}
	dests, err := EffectiveDestinations(cfg)
	if err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, dests: dests, store: NewStore(pool), opts: opts, log: opts.Logger}, nil
}

// EffectiveDestinations is cfg's destinations, checked, plus the offline transcriber when no
// openai destination is configured and it is not disabled.
func EffectiveDestinations(cfg Config) ([]Destination, error) {
	seen := map[string]bool{}
	hasTranscriber := false
	var out []Destination
	for i, d := range cfg.Destinations {
		where := fmt.Sprintf("recordings.destinations[%d]", i)
		if d.Name == "" {
			return nil, fmt.Errorf("%s: no name: give each destination a unique name", where)
		}
		if seen[d.Name] {
			return nil, fmt.Errorf("%s: name %q used twice: names must be unique", where, d.Name)
		}
		seen[d.Name] = true
		switch d.Type {
		case DestHTTP, DestOpenAI:
			if d.URL == "" {
				return nil, fmt.Errorf("%s (%s): no url: set the endpoint's URL", where, d.Name)
			}
		case DestOffline:
			if cfg.Offline.Disabled {
				return nil, fmt.Errorf("%s (%s): type offline but recordings.offline.disabled is true", where, d.Name)
			}
		default:
			return nil, fmt.Errorf("%s (%s): type %q unknown: use http, openai or offline", where, d.Name, d.Type)
		}
		if d.Type != DestHTTP {
			hasTranscriber = true
		}
		out = append(out, d)
	}
	if !hasTranscriber && !cfg.Offline.Disabled && !seen[OfflineDestination] {
		out = append(out, Destination{Name: OfflineDestination, Type: DestOffline})
	}
	return out, nil
}

// Destinations is where every recording goes.
func (p *Pipeline) Destinations() []Destination { return p.dests }

// Store is the pipeline's store.
func (p *Pipeline) Store() *Store { return p.store }

// AddWorkers registers the pipeline's job workers.
func (p *Pipeline) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &forwardWorker{p: p})
	river.AddWorker(w, &webhookWorker{p: p})
	river.AddWorker(w, &retentionWorker{p: p})
}

func (p *Pipeline) now() time.Time {
	if p.opts.Now != nil {
		return p.opts.Now()
	}
	return time.Now()
}

// QueueConfig is the River queue config for Queue: as many workers as the offline transcriber
// has decoders plus a few for uploads, which mostly wait on the network.
func QueueConfig(cfg Config) river.QueueConfig {
	n := cfg.Offline.Workers
	if n <= 0 {
		n = max(1, runtime.NumCPU()-1)
	}
	return river.QueueConfig{MaxWorkers: n + 4}
}

// RetryPolicy waits RetryBase after the first failure, doubling each time, at most an hour.
type RetryPolicy struct{ Base time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (r RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	base := r.Base
	if base <= 0 {
		base = 10 * time.Second
	}
	d := time.Duration(float64(base) * math.Pow(2, float64(max(job.Attempt-1, 0))))
	if d > time.Hour || d <= 0 {
		d = time.Hour
	}
	return time.Now().Add(d)
}

// RetryPolicy is the retry policy for the River client running the pipeline's jobs.
func (p *Pipeline) RetryPolicy() river.ClientRetryPolicy { return RetryPolicy{Base: p.cfg.RetryBase} }

// Submit checks a finished recording and stores it with its call's metadata. A good
// recording gets one job per destination, enqueued in the same transaction; a bad one (missing,
// header only, broken, wrong length) is stored as a QA failure with its reason, is not
// forwarded, and Submit returns its *CheckError with the stored recording. Submitting the same
// call and file again (RECORD_STOP, then hangup) returns the stored recording and enqueues
// nothing.
func (p *Pipeline) Submit(ctx context.Context, client *river.Client[pgx.Tx], call Call) (*Recording, error) {
	if call.CallID == "" {
		return nil, errors.New("submit recording: call has no id")
	}
	if call.Path != "" && !filepath.IsAbs(call.Path) && p.cfg.Dir != "" {
		call.Path = filepath.Join(p.cfg.Dir, call.Path)
	}
	if call.Language == "" {
		call.Language = p.cfg.Language
	}
	call.Language = normLang(call.Language)
	rec := &Recording{Call: call, CheckStatus: "ok"}
	info, checkErr := CheckWAVWithin(call.Path, call.Duration, p.cfg.Tolerance)
	var ce *CheckError
	switch {
	case errors.As(checkErr, &ce):
		rec.CheckStatus, rec.CheckDetail = string(ce.Reason), ce.Detail
		if st, err := statSize(call.Path); err == nil {
			rec.Size = st
		}
	case checkErr != nil:
		return nil, fmt.Errorf("submit recording of call %s: %w", call.CallID, checkErr)
	default:
		rec.Size, rec.SHA256, rec.SampleRate, rec.Channels, rec.AudioDuration =
			info.Size, info.SHA256, info.SampleRate, info.Channels, info.Duration
	}

	tx, err := p.store.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("submit recording of call %s: %w", call.CallID, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	stored, fresh, err := insertRecording(ctx, tx, rec)
	if err != nil {
		return nil, err
	}
	if !fresh {
		p.log.Info("recordings: call already submitted", "call", call.CallID, "recording", stored.ID)
		if stored.CheckStatus != "ok" {
			return stored, &CheckError{Path: stored.Path, Reason: Reason(stored.CheckStatus), Detail: stored.CheckDetail}
		}
		return stored, nil
	}
	if ce != nil {
		res := &Result{Queue: call.Queue, Score: 0, Passed: false,
			Reason: fmt.Sprintf("recording %s: %s", ce.Reason, ce.Detail)}
		if err := saveScore(ctx, tx, stored.ID, res); err != nil {
			return nil, err
		}
		if err := p.enqueueWebhook(ctx, client, tx, stored, "", EventRejected, ce.Error()); err != nil {
			return nil, err
		}
	} else {
		params := make([]river.InsertManyParams, 0, len(p.dests))
		for _, d := range p.dests {
			if _, err := tx.Exec(ctx, `insert into recording_delivery (recording_id, destination, status) values ($1, $2, 'pending')`,
				stored.ID, d.Name); err != nil {
				return nil, fmt.Errorf("submit recording of call %s: delivery to %s: %w", call.CallID, d.Name, err)
			}
			params = append(params, river.InsertManyParams{
				Args:       ForwardArgs{RecordingID: stored.ID, Destination: d.Name},
				InsertOpts: &river.InsertOpts{Queue: Queue, MaxAttempts: p.cfg.MaxAttempts},
			})
		}
		if len(params) > 0 {
			if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
				return nil, fmt.Errorf("submit recording of call %s: enqueue: %w", call.CallID, err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("submit recording of call %s: commit: %w", call.CallID, err)
	}
	if ce != nil {
		p.log.Warn("recordings: recording failed its check; stored as a QA failure, not forwarded",
			"call", call.CallID, "reason", ce.Reason, "detail", ce.Detail)
		return stored, ce
	}
	p.log.Info("recordings: recording stored and queued", "call", call.CallID, "recording", stored.ID,
		"destinations", len(p.dests), "duration", stored.AudioDuration)
	return stored, nil
}
