package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/tern/v2/migrate"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

// TestMain lets any test of ivrd's commands have a throwaway PostgreSQL (pgtest starts it only
// when a test asks for a database).
func TestMain(m *testing.M) { pgtest.Main(m) }

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code = runMain(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

func TestMigrateCreatesEverySchemaAndCanRunAgain(t *testing.T) {
	url := pgtest.NewDatabase(t)

	for run := 1; run <= 2; run++ {
		code, _, stderr := runCmd(t, "migrate", "--database", url)
		require.Equal(t, 0, code, "run %d: %s", run, stderr)
		require.Contains(t, stderr, "database schema up to date", "run %d", run)
	}

	ctx := context.Background()
	pool, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var n int
	require.NoError(t, pool.QueryRow(ctx, "select count(*) from ivrd_meta").Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, pool.QueryRow(ctx, "select count(*) from river_migration").Scan(&n))
	require.Positive(t, n)
	for _, set := range migrationSets {
		files, err := migrate.FindMigrations(set.FS)
		require.NoError(t, err, set.Name)
		var v int
		require.NoError(t, pool.QueryRow(ctx, "select version from schema_version_"+set.Name).Scan(&v), set.Name)
		require.Equal(t, len(files), v, "set %s is at its last migration", set.Name)
	}
}

func TestMigrateReadsTheURLFromAFile(t *testing.T) {
	url := pgtest.NewDatabase(t)
	file := filepath.Join(t.TempDir(), "database-url")
	require.NoError(t, os.WriteFile(file, []byte(url+"\n"), 0o600))

	code, _, stderr := runCmd(t, "migrate", "--database-file", file)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "database schema up to date")
}

func TestMigrateWithoutADatabaseSaysHowToGiveOne(t *testing.T) {
	code, _, stderr := runCmd(t, "migrate")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "--database postgres://")
}
