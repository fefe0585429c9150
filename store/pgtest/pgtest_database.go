package pgtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivrd/ivrd/store"
)

// dbTimeout bounds each administrative step (create, migrate, drop a database).
const dbTimeout = 2 * time.Minute

// templateDB is a database migrated once with one list of sets, copied for each NewPool.
type templateDB struct {
	ready chan struct{} // closed when err is set
	name  string
	err   error
}

// NewDatabase returns the URL of a new, empty database for t alone in this binary's shared
// cluster (user postgres, no password, over the cluster's Unix socket). It is dropped when t
// ends, even if connections are left open.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return getCluster(t).newDatabase(t, "", true)
}

// NewMigratedDatabase returns the URL of a new database for t alone with store's core
// migrations, River's and sets applied, for tests that need a URL rather than a pool (such as
// running a command with --database). It is dropped when t ends.
func NewMigratedDatabase(t testing.TB, sets ...store.MigrationSet) string {
	t.Helper()
	return getCluster(t).newMigratedDatabase(t, true, sets)
}

// NewPool returns a pool on a new database for t alone with store's core migrations, River's
// and sets applied (see store.Migrate). The pool is closed and the database dropped when t
// ends. Set names identify the migrated template, so within one test binary a set name must
// always mean the same files.
func NewPool(t testing.TB, sets ...store.MigrationSet) *pgxpool.Pool {
	t.Helper()
	return newPool(t, NewMigratedDatabase(t, sets...))
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func (c *cluster) newMigratedDatabase(t testing.TB, drop bool, sets []store.MigrationSet) string {
	t.Helper()
	tpl, err := c.template(sets)
	if err != nil {
		t.Fatal(err)
	}
	return c.newDatabase(t, tpl, drop)
}

// newDatabase creates a database, a copy of tpl (template1 if ""), and returns its URL. When
// drop is set, it is dropped when t ends.
func (c *cluster) newDatabase(t testing.TB, tpl string, drop bool) string {
	t.Helper()
	name := c.databaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if tpl == "" {
		tpl = "template1"
	}
	// FILE_COPY copies the files and writes little WAL: faster here than WAL_LOG, and the
	// cluster may live in RAM.
	sql := "create database " + pgx.Identifier{name}.Sanitize() + " template " + pgx.Identifier{tpl}.Sanitize() + " strategy file_copy"
	if _, err := c.admin.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
	if drop {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
			defer cancel()
			if _, err := c.admin.Exec(ctx, "drop database "+pgx.Identifier{name}.Sanitize()+" with (force)"); err != nil {
				t.Errorf("pgtest: drop database %s: %v", name, err)
			}
		})
	}
	return c.url(name)
}

// databaseName is unique in the cluster and shows which test the database is for.
func (c *cluster) databaseName(test string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "t%d_", c.dbs.Add(1))
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 63 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// template returns the name of the database migrated with sets, creating it on first use.
// Callers with the same list of sets wait for the one creating it.
func (c *cluster) template(sets []store.MigrationSet) (string, error) {
	key := strings.Join(setNames(sets), ",")
	c.mu.Lock()
	tpl, ok := c.templates[key]
	if !ok {
		tpl = &templateDB{ready: make(chan struct{}), name: fmt.Sprintf("template_%d", len(c.templates)+1)}
		c.templates[key] = tpl
	}
	c.mu.Unlock()
	if ok {
		<-tpl.ready
		return tpl.name, tpl.err
	}
	defer close(tpl.ready)
	tpl.err = c.createTemplate(tpl.name, sets)
	return tpl.name, tpl.err
}

func (c *cluster) createTemplate(name string, sets []store.MigrationSet) error {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if _, err := c.admin.Exec(ctx, "create database "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("pgtest: create template database: %w", err)
	}
	pool, err := store.Open(ctx, c.url(name))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	// Close before returning: CREATE DATABASE ... TEMPLATE needs the template unused.
	defer pool.Close()
	if err := store.Migrate(ctx, pool, sets...); err != nil {
		return fmt.Errorf("pgtest: migrate template database for sets %v: %w", setNames(sets), err)
	}
	return nil
}

func setNames(sets []store.MigrationSet) []string {
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = s.Name
	}
	return out
}
