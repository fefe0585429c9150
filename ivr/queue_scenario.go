package ivr

import (
	"context"
	"log/slog"
)

// scenarioQueueEngine starts a queue engine for one flow-test scenario (queue_engine: true)
// with the scenario's agents. The engine's timers run on the wall clock, which does not move
// while a scenario runs on its virtual clock: agents who did not answer rest for the whole
// call, wrap-up lasts past it, and kept places do not expire.
func scenarioQueueEngine(ctx context.Context, queues map[string]*QueueConfig) (*QueueEngine, func(), error) {
	e, err := NewQueueEngine(QueueEngineOptions{Queues: queues, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := e.Start(ctx); err != nil {
		cancel()
		return nil, nil, err
	}
	return e, func() {
		cancel()
		_ = e.Stop(context.Background())
	}, nil
}
