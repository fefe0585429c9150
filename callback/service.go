package callback

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

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
)

// QueueName is the River queue the dial jobs run on; give it Config.Workers workers
// (Service.RiverQueues).
const QueueName = "callback"

// JobInserter enqueues River jobs inside a transaction and makes a scheduled one available
// now; *river.Client[pgx.Tx] is one.
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobRetryTx(ctx context.Context, tx pgx.Tx, id int64) (*rivertype.JobRow, error)
}

// Texter queues texts inside a transaction; *sms.Sender is one.
type Texter interface {
	SendTx(ctx context.Context, tx pgx.Tx, t sms.Text) (sms.Queued, error)
}

// OptOuts says whether a number texted STOP; *sms.OptOuts is one.
type OptOuts interface {
	IsOptedOut(ctx context.Context, number string) (bool, error)
}

// Options are the parts a Service works with besides its Config and database.
type Options struct {
	// Nodes places the calls (required to dial; requests are taken without it).
	Nodes *esl.Pool
	// Calendars are the config's calendars; Config.Calendar names one.
	Calendars map[string]*ivr.Calendar
	// Texts sends confirmations (API and flow requests) and the after-last-attempt text.
	Texts Texter
	// OptOuts is sms's opt-out table (nil: nobody is opted out).
	OptOuts OptOuts
	// Socket is ivrd's outbound socket address when Config.Socket is empty.
	Socket string
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Service takes callback requests and dials them from River jobs.
type Service struct {
	cfg   Config
	pool  *pgxpool.Pool
	opts  Options
	cal   *ivr.Calendar
	jobs  JobInserter
	pacer *Pacer
	log   *slog.Logger
	now   func() time.Time
}

var (
	_ sms.CallbackRequester = (*Service)(nil)
	_ ivr.CallbackRegistrar = (*Service)(nil)
)

// New checks cfg and returns a Service on the database behind pool (migrated with
// Migrations and sms.Migrations). Register its worker with AddWorkers before creating the
// River client, then call SetJobClient.
func New(cfg Config, pool *pgxpool.Pool, opts Options) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pool == nil {
		return nil, errors.New("callback: New needs the database pool")
	}
	s := &Service{cfg: cfg, pool: pool, opts: opts, log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "callback")
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.Calendar != "" {
		c, ok := opts.Calendars[cfg.Calendar]
		if !ok || c == nil {
			return nil, fmt.Errorf("callbacks.calendar %q is not defined under calendars: in ivrd.yaml", cfg.Calendar)
		}
		s.cal = c
	}
	if s.cfg.Socket == "" {
		s.cfg.Socket = opts.Socket
	}
	s.pacer = NewPacer(cfg.CallsPerSecond, cfg.MaxPerNode)
	return s, nil
}

// Config is the effective configuration (defaults filled in).
func (s *Service) Config() Config { return s.cfg }

// Pacer is the service's pacer (for metrics and benchmarks).
func (s *Service) Pacer() *Pacer { return s.pacer }

// AddWorkers registers the dial worker with River.
func (s *Service) AddWorkers(w *river.Workers) { river.AddWorker(w, &DialWorker{s: s}) }

// SetJobClient gives the service the River client (*river.Client[pgx.Tx]).
func (s *Service) SetJobClient(j JobInserter) { s.jobs = j }

// RiverQueues is the queue configuration the River client needs for callbacks.
func (s *Service) RiverQueues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{QueueName: {MaxWorkers: s.cfg.Workers}}
}

// JobTimeout is the longest one dial job may run (Config.JobTimeout). River's
// RescueStuckJobsAfter must be longer, so that a job whose ivrd was
// killed is taken up again (and reconciled) only after the first run cannot be alive.
func (s *Service) JobTimeout() time.Duration { return s.cfg.JobTimeout }
