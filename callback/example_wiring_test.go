package callback_test

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
)

// How ivrd wires callbacks: the service on the database and the FreeSWITCH pool, its worker
// on the River client, the text channel, the flows' callback step, the queue's kept places
// and the HTTP API.
func Example_wiring() {
	ctx := context.Background()
	cfg, _ := config.Load("")
	pool, _ := pgxpool.New(ctx, "postgres:///ivrd") // migrated with callback.Migrations too
	nodes, _ := esl.NewPool(cfg.FreeSWITCH, esl.ClientOptions{})
	texts, _ := sms.New(cfg.SMS, pool, sms.Options{})

	callbacks, _ := callback.New(cfg.Callbacks, pool, callback.Options{
		Nodes: nodes, Calendars: cfg.Calendars, Texts: texts.Sender, OptOuts: texts.OptOuts,
		Socket: cfg.Listen.Outbound, Logger: slog.Default(),
	})
	workers := river.NewWorkers()
	texts.AddWorkers(workers)
	callbacks.AddWorkers(workers)
	queues := callbacks.RiverQueues() // the callback queue with callbacks.workers workers
	queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: 20}
	jobs, _ := river.NewClient(riverpgxv5.New(pool), &river.Config{Queues: queues, Workers: workers,
		RescueStuckJobsAfter: callbacks.JobTimeout() + callbacks.JobTimeout()/2})
	texts.SetJobClient(jobs)
	callbacks.SetJobClient(jobs)

	texts.Inbound.SetCallbackRequester(callbacks) // "CALL ME" by text
	engine, _ := ivr.NewQueueEngine(ivr.QueueEngineOptions{OnCallbackTurn: callbacks.CallbackTurn})
	_ = ivr.Config{Callbacks: engine.KeepPlace(callbacks)} // callback steps and the queue's press-2 key

	mux := http.NewServeMux()
	mux.Handle("POST /api/callbacks", callbacks.Handler())
	// The daemon runs the flow the leg names (ivrd_flow) with callback.FlowVars(call.Var).
	_ = jobs.Start(ctx)
}
