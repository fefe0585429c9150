package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	mainCalled atomic.Bool

	mu       sync.Mutex
	current  *cluster // nil until the first test asks for a database
	startErr error    // sticky: when starting failed, every test reports the same error
	finished bool     // Main has stopped the cluster; no test may start another
)

// Main runs the tests of m, then stops this binary's cluster (if a test started one),
// removes its folder and exits with the tests' code. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// An interrupt (SIGINT, SIGTERM) also stops the cluster before the binary exits.
func Main(m *testing.M) {
	mainCalled.Store(true)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sig
		if !ok {
			return
		}
		fmt.Fprintf(os.Stderr, "pgtest: %v: stopping the test cluster\n", s)
		shutdown()
		os.Exit(1)
	}()
	code := m.Run()
	signal.Stop(sig)
	close(sig)
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// shutdown stops the cluster, if any.
func shutdown() error {
	mu.Lock()
	defer mu.Unlock()
	if current == nil {
		finished = true
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	err := current.stop(ctx)
	current, finished = nil, true
	return err
}

// getCluster returns this binary's cluster, starting it on first use.
func getCluster(t testing.TB) *cluster {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("pgtest: call pgtest.Main from TestMain so the test cluster is stopped at the end: " +
			"func TestMain(m *testing.M) { pgtest.Main(m) }")
	}
	mu.Lock()
	defer mu.Unlock()
	if finished {
		t.Fatal("pgtest: asked for a database after Main stopped the test cluster (a goroutine outliving its test?)")
	}
	if current == nil && startErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		current, startErr = startCluster(ctx, baseDirs(), os.Getpid())
	}
	if startErr != nil {
		t.Fatal(startErr)
	}
	return current
}
