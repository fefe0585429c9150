package pgtest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

func TestServerStopsAndStartsKeepingCommittedData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pgtest.NewServer(t)
	url := srv.NewMigratedDatabase(t, notes)
	pool, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, "insert into note values ('before the crash')")
	require.NoError(t, err)

	srv.Stop(t)
	_, err = pool.Exec(ctx, "insert into note values ('during the outage')")
	require.Error(t, err, "the database is down")
	_, err = store.Open(ctx, url)
	require.Error(t, err, "new connections are refused")

	srv.Start(t)
	after, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(after.Close)
	var body string
	require.NoError(t, after.QueryRow(ctx, "select string_agg(body, ',') from note").Scan(&body))
	require.Equal(t, "before the crash", body)

	// The server still makes databases after a restart.
	fresh := srv.NewPool(t, notes)
	require.NoError(t, fresh.Ping(ctx))
}
