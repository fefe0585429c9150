package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

// logRecorder is a slog.Handler that keeps messages and signals each one on seen.
type logRecorder struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen chan string
}

func newLogRecorder() *logRecorder { return &logRecorder{seen: make(chan string, 100)} }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		r.buf.WriteString(" " + a.String())
		return true
	})
	r.buf.WriteByte('\n')
	select {
	case r.seen <- rec.Message:
	default:
	}
	return nil
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func TestMigrateReportsEachMigrationOnceThenUpToDate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openEmpty(t)

	first := newLogRecorder()
	require.NoError(t, store.MigrateWithLogger(ctx, pool, slog.New(first), widgetsV2))
	log := first.String()
	require.Contains(t, log, "applying migration set=store version=1 name=001_meta.sql")
	require.Contains(t, log, "applying migration set=widgets version=2 name=002_widget_color.sql")
	require.Contains(t, log, "applied River migration version=1")
	require.Contains(t, log, "database schema up to date")

	again := newLogRecorder()
	require.NoError(t, store.MigrateWithLogger(ctx, pool, slog.New(again), widgetsV2))
	require.NotContains(t, again.String(), "applying")
	require.NotContains(t, again.String(), "applied")
	require.Contains(t, again.String(), "database schema up to date")
}

func TestMigrateWaitsWhileAnotherInstanceHoldsTheLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	other, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { other.Close(context.Background()) })
	_, err = other.Exec(ctx, "select pg_advisory_lock($1)", store.MigrateLockKey)
	require.NoError(t, err)

	pool := openPool(t, url)
	rec := newLogRecorder()
	done := make(chan error, 1)
	go func() { done <- store.MigrateWithLogger(ctx, pool, slog.New(rec), widgets) }()
waiting:
	for {
		select {
		case msg := <-rec.seen:
			if msg == "another ivrd is migrating this database; waiting for it" {
				break waiting
			}
		case err := <-done:
			t.Fatalf("Migrate returned (%v) while another session held the lock", err)
		}
	}
	var tables int
	require.NoError(t, other.QueryRow(ctx, "select count(*) from pg_tables where tablename in ('ivrd_meta', 'widget')").Scan(&tables))
	require.Zero(t, tables, "nothing is migrated while the lock is held elsewhere")

	_, err = other.Exec(ctx, "select pg_advisory_unlock($1)", store.MigrateLockKey)
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.NoError(t, other.QueryRow(ctx, "select count(*) from pg_tables where tablename in ('ivrd_meta', 'widget')").Scan(&tables))
	require.Equal(t, 2, tables)
}
