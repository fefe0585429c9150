package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/recordings"
	"github.com/ivrd/ivrd/recordings/recname"
)

// recordingName is the recordings.name template the runtime names recordings with
// (recname.Default when empty).
func recordingName(cfg recordings.Config) (*recname.Template, error) {
	t, err := recname.Parse(cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("recordings.name %q: %w (see config/default.yaml)", cfg.Name, err)
	}
	return t, nil
}

// recordingsConfigured reports whether ivrd.yaml asks for recordings to go to QA (a
// recordings: folder or destinations). Without it, record steps still write their files but
// nothing is forwarded, and the offline transcriber is not loaded.
func recordingsConfigured(cfg recordings.Config) bool {
	return cfg.Dir != "" || len(cfg.Destinations) > 0
}

// newRecordings builds the QA pipeline: its workers go on workers, its queue on queues.
func newRecordings(cfg recordings.Config, pool *pgxpool.Pool, workers *river.Workers, queues map[string]river.QueueConfig, log *slog.Logger) (*recordings.Pipeline, *lazySphinx, error) {
	dests, err := recordings.EffectiveDestinations(cfg)
	if err != nil {
		return nil, nil, err
	}
	opts := recordings.PipelineOptions{Logger: log}
	var offline *lazySphinx
	for _, d := range dests {
		if d.Type == recordings.DestOffline {
			offline = &lazySphinx{cfg: cfg.Offline, log: log}
			opts.Offline = offline
			break
		}
	}
	if cfg.Rules != "" {
		rules, err := recordings.LoadRules(cfg.Rules)
		if err != nil {
			return nil, nil, fmt.Errorf("recordings.rules: %w", err)
		}
		opts.Rules = rules
	}
	p, err := recordings.NewPipeline(cfg, pool, opts)
	if err != nil {
		return nil, nil, err
	}
	p.AddWorkers(workers)
	queues[recordings.Queue] = recordings.QueueConfig(cfg)
	return p, offline, nil
}

// lazySphinx loads the offline transcriber (pocketsphinx models: seconds of start-up and
// memory) on the first recording to transcribe, not at start. A load that fails fails that
// job, which River retries; the error says what to install.
type lazySphinx struct {
	cfg recordings.OfflineConfig
	log *slog.Logger

	mu sync.Mutex
	s  *recordings.Sphinx
}

// Transcribe implements recordings.Transcriber.
func (l *lazySphinx) Transcribe(ctx context.Context, path, lang string) (*recordings.Transcript, error) {
	l.mu.Lock()
	if l.s == nil {
		s, err := recordings.NewSphinx(l.cfg, l.log)
		if err != nil {
			l.mu.Unlock()
			return nil, fmt.Errorf("offline transcriber: %w (install pocketsphinx-en-us, or set recordings.offline.disabled and configure an openai destination)", err)
		}
		l.s = s
	}
	s := l.s
	l.mu.Unlock()
	return s.Transcribe(ctx, path, lang)
}

// close frees the decoders, if they were loaded.
func (l *lazySphinx) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s != nil {
		l.s.Close()
		l.s = nil
	}
}

// submitRecordings hands a finished call's recordings to the QA pipeline (one durable job per
// destination each). A recording that fails its check is stored as a QA failure by Submit.
func (d *Daemon) submitRecordings(ctx context.Context, rec *ivr.CallRecord) {
	if d.db == nil || d.db.recordings == nil || len(rec.Recordings) == 0 {
		return
	}
	if !d.db.ready.Load() {
		d.log.Warn("recordings not sent to QA: the database is not available yet; the files stay on disk",
			"call", rec.ID, "files", len(rec.Recordings))
		return
	}
	for i, r := range rec.Recordings {
		id := rec.ID
		if i > 0 {
			id += "-" + strconv.Itoa(i+1)
		}
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := d.db.recordings.Submit(sctx, d.db.river, recordings.Call{
			CallID: id, Caller: rec.Caller, FlowPath: rec.Flow, Language: rec.Language,
			Start: rec.StartedAt, Duration: r.Duration, Path: r.Path,
		})
		cancel()
		var ce *recordings.CheckError
		if err != nil && !errors.As(err, &ce) {
			d.log.Error("recording not handed to QA", "call", rec.ID, "file", r.Path, "err", err)
		}
	}
}
