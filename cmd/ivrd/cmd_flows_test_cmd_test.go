package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The shipped flows' scenarios run in CI through the command flow designers use.
func TestFlowsTestPassesOnTheShippedFlows(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, "flows", "test", "../../flows")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	require.Contains(t, stdout, "PASS ../../flows/hotline_test.yaml")
	require.Contains(t, stdout, "PASS ../../flows/callback_test.yaml")
	require.Contains(t, stderr, "scenario(s) passed")
}

func TestFlowsTestFailsWithTheLineAndWhatHappened(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flow, err := os.ReadFile("../../flows/callback.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "callback.yaml"), flow, 0o644))
	scenarios := `flow: callback.yaml
scenarios:
  - name: a wrong expectation
    vars: {queue: general}
    actions:
      - press: 1
    expect:
      outcome: transferred
`
	file := filepath.Join(dir, "callback_test.yaml")
	require.NoError(t, os.WriteFile(file, []byte(scenarios), 0o644))

	code, stdout, stderr := runCmd(t, "flows", "test", file)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stdout, "FAIL "+file+":3 a wrong expectation")
	require.Contains(t, stdout, file+":8: outcome")
	require.Contains(t, stdout, "expected: transferred")
	require.Contains(t, stdout, "got:      queued")
	require.Contains(t, stdout, "what happened:")
	require.Contains(t, stderr, "1 of 1 scenario(s) failed")
}

func TestFlowsTestReportsABadScenarioFileWithItsLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "x_test.yaml")
	require.NoError(t, os.WriteFile(file, []byte("flow: x.yaml\nscenarios:\n  - name: a\n    actions:\n      - press: 1\n      - jump: 2\n"), 0o644))
	code, _, stderr := runCmd(t, "flows", "test", file)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, file+":6: unknown action key \"jump\"")
}
