package pgtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivrd/ivrd/store"
)

// Server is a PostgreSQL cluster of one test's own, for tests of what ivrd does when the
// database goes away and comes back: Stop it, check that work is retried rather than lost,
// Start it again. URLs stay valid across a restart. Tests that just need a database use the
// package functions, which share one cluster per test binary.
type Server struct {
	c *cluster
}

// NewServer starts a cluster for t alone (about half a second); it is stopped and removed
// when t ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Commits must survive Stop, which is a crash; writing WAL at commit is cheap without fsync.
	c, err := startCluster(ctx, baseDirs(), os.Getpid(), "synchronous_commit=on")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if err := c.stop(ctx); err != nil {
			t.Errorf("pgtest: stop server: %v", err)
		}
	})
	return &Server{c: c}
}

// NewDatabase returns the URL of a new, empty database on s.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	return s.c.newDatabase(t, "", false)
}

// NewMigratedDatabase returns the URL of a new database on s with store's core migrations,
// River's and sets applied.
func (s *Server) NewMigratedDatabase(t testing.TB, sets ...store.MigrationSet) string {
	t.Helper()
	return s.c.newMigratedDatabase(t, false, sets)
}

// NewPool returns a pool, closed when t ends, on a new database on s with store's core
// migrations, River's and sets applied.
func (s *Server) NewPool(t testing.TB, sets ...store.MigrationSet) *pgxpool.Pool {
	t.Helper()
	return newPool(t, s.NewMigratedDatabase(t, sets...))
}

// Stop stops the server at once, as if it crashed: open connections break and new ones are
// refused until Start. Committed data survives.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := s.c.halt(ctx); err != nil {
		t.Fatal(err)
	}
}

// Start starts a stopped server again on the same socket and waits until it accepts
// connections.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := s.c.start(ctx); err != nil {
		t.Fatal(err)
	}
	s.c.admin.Reset() // drop the connections the stop broke
}
