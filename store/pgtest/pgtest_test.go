package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Two tests write the same table name; each sees only its own row.
func TestEachTestGetsItsOwnDatabase(t *testing.T) {
	for _, who := range []string{"alice", "bob"} {
		t.Run(who, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := pgtest.NewPool(t)
			_, err := pool.Exec(ctx, "create table note (who text)")
			require.NoError(t, err)
			_, err = pool.Exec(ctx, "insert into note values ($1)", who)
			require.NoError(t, err)
			rows, err := pool.Query(ctx, "select who from note")
			require.NoError(t, err)
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			require.Equal(t, []string{who}, got)
		})
	}
}

func TestNewDatabaseIsEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	var n int
	require.NoError(t, conn.QueryRow(ctx, "select count(*) from pg_tables where schemaname = 'public'").Scan(&n))
	require.Zero(t, n)
}
