package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeBin makes a folder with executables named progs.
func fakeBin(t *testing.T, dir string, progs ...string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, p := range progs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte("#!/bin/sh\n"), 0o755))
	}
	return dir
}

func TestPostgresBinDirPrefersPATHThenTheNewestVersion(t *testing.T) {
	root := t.TempDir()
	onPath := fakeBin(t, filepath.Join(root, "path"), "initdb", "pg_ctl")
	clientOnly := fakeBin(t, filepath.Join(root, "client"), "pg_ctl") // no initdb: not a server install
	fakeBin(t, filepath.Join(root, "lib/13/bin"), "initdb", "pg_ctl")
	v15 := fakeBin(t, filepath.Join(root, "lib/15/bin"), "initdb", "pg_ctl")
	glob := filepath.Join(root, "lib/*/bin")

	tests := []struct {
		name string
		path []string
		glob string
		want string
	}{
		{"PATH comes first", []string{clientOnly, onPath}, glob, onPath},
		{"else the newest versioned folder", []string{clientOnly}, glob, v15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := postgresBinDirIn(tt.path, tt.glob)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("none says what to install", func(t *testing.T) {
		_, err := postgresBinDirIn([]string{clientOnly}, filepath.Join(root, "nothing/*/bin"))
		require.ErrorContains(t, err, "apt-get install postgresql")
	})
}
