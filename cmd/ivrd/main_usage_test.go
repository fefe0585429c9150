package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCommandGroupsListTheirCommands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		stdout     string // must contain
		stderr     string // must contain
		notStderrs string // must not contain
	}{
		{"help on a group lists its commands", []string{"calls", "--help"}, 0, "ivrd calls show CALL-ID", "", "unknown command"},
		{"a group alone says which command is missing", []string{"calls"}, 2, "", `"calls" needs one of its commands`, "unknown command"},
		{"a group with a wrong word lists the group", []string{"qa", "scroe"}, 2, "", `no command "qa scroe"; "qa" has these`, "unknown command"},
		{"an unknown word is unknown", []string{"nosuch"}, 2, "", `unknown command "nosuch"`, ""},
		{"help lists every command", []string{"help"}, 0, "flows lint", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &cmdEnv{stdin: bytes.NewReader(nil), stdout: &out, stderr: &errb, getenv: os.Getenv}
			require.Equal(t, tc.code, runMain(context.Background(), env, tc.args), "stderr: %s", errb.String())
			require.Contains(t, out.String(), tc.stdout)
			require.Contains(t, errb.String(), tc.stderr)
			if tc.notStderrs != "" {
				require.NotContains(t, errb.String(), tc.notStderrs)
			}
		})
	}
}
