package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every database command (calls, report, callbacks, migrate, qa show) finds the database the
// same way; the order of the sources is what a user relies on.
func TestDatabaseFlagsResolveInOrder(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	require.NoError(t, os.WriteFile(urlFile, []byte(" postgres://file/db\n"), 0o600))
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\n"), 0o600))
	demoDir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(demoDir, ".demo"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(demoDir, ".demo", demoURLFile), []byte("postgres://demo/ivrd\n"), 0o600))

	tests := []struct {
		name    string
		cwd     string
		vars    map[string]string
		args    []string
		want    string
		wantErr string
	}{
		{name: "flag beats everything", cwd: demoDir, vars: map[string]string{"IVRD_DATABASE_URL": "postgres://env/db"},
			args: []string{"--database", "postgres://flag/db", "--database-file", urlFile}, want: "postgres://flag/db"},
		{name: "environment", cwd: demoDir, vars: map[string]string{"IVRD_DATABASE_URL": "postgres://env/db"}, want: "postgres://env/db"},
		{name: "file flag beats the demo", cwd: demoDir, args: []string{"--database-file", urlFile}, want: "postgres://file/db"},
		{name: "file from the environment", cwd: dir, vars: map[string]string{"IVRD_DATABASE_URL_FILE": urlFile}, want: "postgres://file/db"},
		{name: "running demo", cwd: demoDir, want: "postgres://demo/ivrd"},
		{name: "empty file", cwd: dir, args: []string{"--database-file", emptyFile}, wantErr: "is empty; put postgres://"},
		{name: "missing file", cwd: dir, args: []string{"--database-file", filepath.Join(dir, "nope")}, wantErr: "give --database-file a readable file"},
		{name: "nothing", cwd: dir, wantErr: "no database: give --database postgres://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(tt.cwd)
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			db := addDatabaseFlags(fs, &cmdEnv{getenv: func(k string) string { return tt.vars[k] }})
			require.NoError(t, fs.Parse(tt.args))
			got, err := db.resolve()
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
