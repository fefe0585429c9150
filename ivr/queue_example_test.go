package ivr_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ivrd/ivrd/ivr"
)

// A queue engine for the runtime: agents log in and out, and the figures say who waits.
// Give it to ivr.Config.Queues, wrap the callback registrar with KeepPlace, and mount
// Handler on the HTTP server for `ivrd queue`.
func ExampleQueueEngine() {
	ctx := context.Background()
	engine, err := ivr.NewQueueEngine(ivr.QueueEngineOptions{Queues: map[string]*ivr.QueueConfig{
		"cards": {Agents: []string{"user/1001", "user/1002"}},
	}})
	if err != nil {
		log.Fatal(err)
	}
	if err := engine.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = engine.Stop(ctx) }()

	if err := engine.Logout(ctx, "cards", "user/1002"); err != nil {
		log.Fatal(err)
	}
	if err := engine.Login(ctx, "cards", "user/2001"); err != nil {
		log.Fatal(err)
	}
	s, err := engine.QueueStats(ctx, "cards")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d waiting, %d of %d agents logged in, wait estimate known: %v\n", s.Waiting, s.AgentsLoggedIn, len(s.Agents), s.EstimateKnown)
	// Output: 0 waiting, 2 of 3 agents logged in, wait estimate known: false
}
