package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
)

// A local server keeps its data between runs, like the demo's .demo/pg.
func TestLocalServerCreatesOnceAndKeepsDataAcrossRestarts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := t.TempDir()
	// user postgres (when tests run as root) must be able to reach the folder
	for d := base; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	dir := filepath.Join(base, ".demo", "pg")

	s, err := store.StartLocalServer(ctx, dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	pool, err := store.Open(ctx, s.URL())
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from the first run')`)
	require.NoError(t, err)
	pool.Close()
	require.NoError(t, s.Stop(ctx))

	s, err = store.StartLocalServer(ctx, dir)
	require.NoError(t, err)
	pool, err = store.Open(ctx, s.URL())
	require.NoError(t, err)
	defer pool.Close()
	var v string
	require.NoError(t, pool.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v))
	require.Equal(t, "from the first run", v)
	require.Contains(t, s.URL(), "/"+store.LocalDatabase+"?")
}
