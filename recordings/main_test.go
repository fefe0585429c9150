package recordings

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

// workerProcessEnv makes the test binary run as a separate recordings worker process (see
// runWorkerProcess) instead of running tests: the kill test starts one and kills it.
const workerProcessEnv = "IVRD_RECORDINGS_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerProcessEnv) != "" {
		if err := runWorkerProcess(); err != nil {
			fmt.Fprintln(os.Stderr, "worker process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	pgtest.Main(m)
}

// runWorkerProcess is an ivrd in miniature: a River client working recording jobs from the
// database at $IVRD_TEST_DB, delivering to the HTTP destination at $IVRD_TEST_QA, until killed.
func runWorkerProcess() error {
	ctx := context.Background()
	pool, err := store.Open(ctx, os.Getenv("IVRD_TEST_DB"))
	if err != nil {
		return err
	}
	cfg := Config{RetryBase: 50 * time.Millisecond, Offline: OfflineConfig{Disabled: true},
		Destinations: []Destination{{Name: "qa", Type: DestHTTP, Endpoint: Endpoint{URL: os.Getenv("IVRD_TEST_QA"), TokenEnv: "QA_TOKEN"}}}}
	pipe, err := NewPipeline(cfg, pool, PipelineOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	workers := river.NewWorkers()
	pipe.AddWorkers(workers)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{Queue: {MaxWorkers: 2}}, Workers: workers, RetryPolicy: pipe.RetryPolicy(),
		FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		return err
	}
	fmt.Println("worker started")
	select {} // until killed
}
