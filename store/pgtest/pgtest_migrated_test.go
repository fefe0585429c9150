package pgtest_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

var notes = store.MigrationSet{Name: "notes", FS: fstest.MapFS{
	"001_note.sql": {Data: []byte("create table note (body text not null);")},
}}

func TestNewPoolAppliesTheSetsToEveryCopy(t *testing.T) {
	for _, body := range []string{"first", "second"} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := pgtest.NewPool(t, notes)
			_, err := pool.Exec(ctx, "insert into note values ($1)", body)
			require.NoError(t, err)
			rows, err := pool.Query(ctx, "select body from note")
			require.NoError(t, err)
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			require.Equal(t, []string{body}, got)

			var riverVersions int
			require.NoError(t, pool.QueryRow(ctx, "select count(*) from river_migration").Scan(&riverVersions))
			require.Positive(t, riverVersions)
		})
	}
}

func TestNewMigratedDatabaseReturnsAURLWithTheSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Open(ctx, pgtest.NewMigratedDatabase(t, notes))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var v int
	require.NoError(t, pool.QueryRow(ctx, "select version from schema_version_notes").Scan(&v))
	require.Equal(t, 1, v)
}
