package ivr

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScenarioFileRunsCallsAndReportsFailuresWithLines(t *testing.T) {
	t.Parallel()
	sf, err := LoadScenarioFile("testdata/scenarios/bank_test.yaml")
	require.NoError(t, err)
	results, err := RunScenarioFile(context.Background(), sf, ScenarioEnv{})
	require.NoError(t, err)
	require.Len(t, results, 3)
	var out bytes.Buffer
	failed, err := WriteScenarioReport(&out, results, false)
	require.NoError(t, err)
	require.True(t, results[0].Passed(), out.String())
	require.True(t, results[1].Passed(), out.String())
	require.False(t, results[2].Passed())
	require.Equal(t, 1, failed)
	report := out.String()
	require.Contains(t, report, "FAIL testdata/scenarios/bank_test.yaml:40 wrong expectation")
	require.Contains(t, report, "testdata/scenarios/bank_test.yaml:45: steps")
	require.Contains(t, report, "testdata/scenarios/bank_test.yaml:46: outcome")
	require.Contains(t, report, "expected: transferred")
	require.Contains(t, report, "got:      queued")
	require.Contains(t, report, "the call ended before the caller did: press 9 (line 43)")
}

func TestAFinishedCallCarriesWhatFollowUpRulesMatch(t *testing.T) {
	t.Parallel()
	r := runOnFake(t, Config{}, parseTestFlow(t, menuFlow), press("1"))
	r.rec.Tags = []string{"balance"}
	fc := r.rec.FinishedCall()
	require.Equal(t, "call-1", fc.CallID)
	require.Equal(t, "+15551230001", fc.Caller)
	require.Equal(t, "self-served", fc.Outcome)
	require.Equal(t, []string{"start", "main", "balance", "bye"}, fc.Steps)
	require.Equal(t, []string{"balance"}, fc.Tags)
	require.Equal(t, "en", fc.Lang)
	require.Equal(t, r.rec.EndedAt, fc.EndedAt)
}
