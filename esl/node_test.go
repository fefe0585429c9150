package esl

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPasswordSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "esl.pw")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	t.Setenv("IVRD_TEST_ESL_PW", "from-env")

	tests := []struct {
		name    string
		node    Node
		want    string
		wantErr string
	}{
		{"inline", Node{Name: "a", Address: "x:1", Password: "inline"}, "inline", ""},
		{"environment variable", Node{Name: "a", Address: "x:1", PasswordEnv: "IVRD_TEST_ESL_PW"}, "from-env", ""},
		{"file, trailing newline dropped", Node{Name: "a", Address: "x:1", PasswordFile: file}, "from-file", ""},
		{"unset variable names the variable", Node{Name: "a", Address: "x:1", PasswordEnv: "IVRD_TEST_NOPE"}, "", "environment variable IVRD_TEST_NOPE is unset"},
		{"missing file names the file", Node{Name: "a", Address: "x:1", PasswordFile: filepath.Join(dir, "nope")}, "", "reading password_file"},
		{"empty file", Node{Name: "a", Address: "x:1", PasswordFile: empty}, "", "is empty"},
		{"two sources", Node{Name: "a", Address: "x:1", Password: "p", PasswordEnv: "IVRD_TEST_ESL_PW"}, "", "only one of"},
		{"none", Node{Name: "a", Address: "x:1"}, "", "set password_env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.node.secret()
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.NotContains(t, err.Error(), "from-env")
				require.NotContains(t, err.Error(), "from-file")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.NoError(t, tt.node.Validate())
		})
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	n := Node{Name: "fs1", Address: "10.0.0.1:8021", Password: "hunter2-secret"}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("node", "node", n)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("node", "node", n)
	for _, s := range []string{
		fmt.Sprint(n), fmt.Sprintf("%v", n), fmt.Sprintf("%+v", n), fmt.Sprintf("%#v", n), fmt.Sprintf("%s", n),
		fmt.Sprintf("%v", &n), fmt.Sprintf("%+v", []Node{n}), logs.String(),
	} {
		require.NotContains(t, s, "hunter2")
	}
	require.Contains(t, n.String(), "10.0.0.1:8021")
	c, err := newClient(n, quietClientOptions())
	require.NoError(t, err)
	require.NotContains(t, c.String(), "hunter2")
	require.NotContains(t, fmt.Sprintf("%+v", c.Stats()), "hunter2")
}

func TestPasswordWithANewlineIsRefused(t *testing.T) {
	t.Parallel()
	addr, _ := serveInbound(t, []traceBlock{{dir: "S->C", data: []byte("Content-Type: auth/request\n\n")}, {dir: "C->S", data: []byte("x\n\n")}})
	_, err := Dial(testCtx(t), Node{Address: addr, Password: "a\nexit"}, quietClientOptions())
	require.ErrorIs(t, err, ErrBadArgument)
	require.NotContains(t, err.Error(), "exit")
}
