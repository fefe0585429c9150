package sms

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/ivrd/ivrd/metrics"
)

// Options are the optional parts of a Service.
type Options struct {
	// Gateway, when set, is used instead of the one Config.Gateway names.
	Gateway Gateway
	// ConsoleOut is where the console gateway prints texts (default: nowhere).
	ConsoleOut io.Writer
	// DLRKey signs Kannel dlr-urls; empty: sms.kannel.dlr_secret(_env|_file) is used.
	DLRKey   []byte
	Renderer Renderer
	Now      func() time.Time
	Logger   *slog.Logger
	// Metrics, when set, counts texts sent and failed.
	Metrics *metrics.Metrics
}

// Service is the whole sms package wired together: what `ivrd serve` and `ivrd demo` build.
type Service struct {
	Gateway   Gateway
	Console   *Console // the console outbox when Gateway is the console, else nil
	Sender    *Sender
	Inbound   *Inbound
	FollowUps *FollowUps
	OptOuts   *OptOuts
}

// NewGateway builds the gateway cfg.Gateway names ("console" when empty).
func NewGateway(cfg Config, consoleOut io.Writer, dlrKey []byte) (Gateway, error) {
	switch cfg.Gateway {
	case "kannel":
		return NewKannelGateway(cfg.Kannel, dlrKey)
	case "twilio":
		return NewTwilioGateway(cfg.Twilio)
	case "", "console":
		return NewConsole(consoleOut, 50), nil
	default:
		return nil, fmt.Errorf("sms.gateway %q: want kannel, twilio or console", cfg.Gateway)
	}
}

// New wires a Service on the database behind pool (migrated with Migrations). Register its
// workers with AddWorkers before creating the River client, then call SetJobClient.
func New(cfg Config, pool *pgxpool.Pool, opts Options) (*Service, error) {
	if len(opts.DLRKey) == 0 && cfg.Gateway == "kannel" {
		key, err := secret(cfg.Kannel.DLRSecret, cfg.Kannel.DLRSecretEnv, cfg.Kannel.DLRSecretFile)
		if err != nil {
			return nil, fmt.Errorf("sms.kannel dlr secret: %w", err)
		}
		opts.DLRKey = []byte(key)
	}
	gw := opts.Gateway
	if gw == nil {
		var err error
		if gw, err = NewGateway(cfg, opts.ConsoleOut, opts.DLRKey); err != nil {
			return nil, err
		}
	}
	sender, err := NewSender(cfg, pool, gw, SenderOptions{Renderer: opts.Renderer, Now: opts.Now, Logger: opts.Logger, Metrics: opts.Metrics})
	if err != nil {
		return nil, err
	}
	in, err := NewInbound(cfg, pool, sender, InboundOptions{DLRKey: opts.DLRKey, Now: opts.Now, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	fu, err := NewFollowUps(cfg, pool, sender)
	if err != nil {
		return nil, err
	}
	s := &Service{Gateway: gw, Sender: sender, Inbound: in, FollowUps: fu, OptOuts: NewOptOuts(pool)}
	if c, ok := gw.(*Console); ok {
		s.Console = c
	}
	return s, nil
}

// AddWorkers registers the send, inbound and follow-up workers with River.
func (s *Service) AddWorkers(w *river.Workers) {
	s.Sender.AddWorkers(w)
	s.Inbound.AddWorkers(w)
	s.FollowUps.AddWorkers(w)
}

// SetJobClient gives every part the River client (*river.Client[pgx.Tx]).
func (s *Service) SetJobClient(j JobInserter) {
	s.Sender.SetJobClient(j)
	s.Inbound.SetJobClient(j)
	s.FollowUps.SetJobClient(j)
}
