package store_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

var (
	widgets   = store.MigrationSet{Name: "widgets", FS: os.DirFS("testdata/widgets")}
	widgetsV2 = store.MigrationSet{Name: "widgets", FS: os.DirFS("testdata/widgets_v2")}
)

// openEmpty returns a pool on a fresh, unmigrated database.
func openEmpty(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Open(context.Background(), pgtest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestMigrateAppliesCoreRiverAndSetsThenRoundTripsARow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openEmpty(t)

	require.NoError(t, store.Migrate(ctx, pool, widgets))

	_, err := pool.Exec(ctx, "insert into widget (name) values ($1)", "sprocket")
	require.NoError(t, err)
	var name string
	require.NoError(t, pool.QueryRow(ctx, "select name from widget where id = 1").Scan(&name))
	require.Equal(t, "sprocket", name)

	var created string
	require.NoError(t, pool.QueryRow(ctx, "select value from ivrd_meta where key = 'created_at'").Scan(&created))
	require.NotEmpty(t, created)

	for table, want := range map[string]int{"schema_version_store": 1, "schema_version_widgets": 1} {
		var v int
		require.NoError(t, pool.QueryRow(ctx, "select version from "+table).Scan(&v), table)
		require.Equal(t, want, v, table)
	}
}

type pingArgs struct{ To string }

func (pingArgs) Kind() string { return "ping" }

func TestRiverTablesExistAndAcceptAJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)

	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	res, err := client.Insert(ctx, pingArgs{To: "0123"}, nil)
	require.NoError(t, err)

	var kind, args string
	require.NoError(t, pool.QueryRow(ctx, "select kind, args::text from river_job where id = $1", res.Job.ID).Scan(&kind, &args))
	require.Equal(t, "ping", kind)
	require.JSONEq(t, `{"To":"0123"}`, args)
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openEmpty(t)

	require.NoError(t, store.Migrate(ctx, pool, widgets))
	_, err := pool.Exec(ctx, "insert into widget (name) values ('kept')")
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx, pool, widgets))

	var n int
	require.NoError(t, pool.QueryRow(ctx, "select count(*) from widget").Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, pool.QueryRow(ctx, "select count(*) from ivrd_meta").Scan(&n))
	require.Equal(t, 1, n, "core migration ran once")
}

func TestMigrateAppliesOnlyNewMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openEmpty(t)

	require.NoError(t, store.Migrate(ctx, pool, widgets))
	_, err := pool.Exec(ctx, "insert into widget (name) values ('old')")
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx, pool, widgetsV2))

	var color string
	require.NoError(t, pool.QueryRow(ctx, "select color from widget where name = 'old'").Scan(&color))
	require.Equal(t, "grey", color)
}

func TestMigrateRunsConcurrentlyFromManyPools(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)

	// Each pool stands for one ivrd instance starting at the same time.
	var g errgroup.Group
	for range 4 {
		pool, err := store.Open(ctx, url)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		g.Go(func() error { return store.Migrate(ctx, pool, widgetsV2) })
	}
	require.NoError(t, g.Wait())

	pool := openPool(t, url)
	var v int
	require.NoError(t, pool.QueryRow(ctx, "select version from schema_version_widgets").Scan(&v))
	require.Equal(t, 2, v)
	var n int
	require.NoError(t, pool.QueryRow(ctx, "select count(*) from ivrd_meta").Scan(&n))
	require.Equal(t, 1, n, "core migration ran once")
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestMigrateRejectsBadSets(t *testing.T) {
	t.Parallel()
	one := fstest.MapFS{"001_a.sql": {Data: []byte("create table a (x int);")}}
	tests := []struct {
		name string
		sets []store.MigrationSet
		want string
	}{
		{"a name with capitals", []store.MigrationSet{{Name: "SMS", FS: one}}, "lower case"},
		{"the same name twice", []store.MigrationSet{{Name: "a", FS: one}, {Name: "a", FS: one}}, "used twice"},
		{"store's own name", []store.MigrationSet{{Name: "store", FS: one}}, "used twice"},
		{"no files", []store.MigrationSet{{Name: "empty", FS: fstest.MapFS{}}}, "no migration files"},
		{"a gap in the numbers", []store.MigrationSet{{Name: "gap", FS: fstest.MapFS{
			"001_a.sql": {Data: []byte("select 1;")}, "003_c.sql": {Data: []byte("select 1;")}}}}, "Missing migration 2"},
		{"bad SQL", []store.MigrationSet{{Name: "bad", FS: fstest.MapFS{"001_a.sql": {Data: []byte("create tabel a;")}}}}, "tabel"},
	}
	pool := openEmpty(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.Migrate(context.Background(), pool, tt.sets...)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestMigrateRefusesADatabaseNewerThanItsFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openEmpty(t)
	require.NoError(t, store.Migrate(ctx, pool, widgetsV2))

	err := store.Migrate(ctx, pool, widgets)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "newer ivrd"), err.Error())
}
