package esl

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCauseNumbersMatchWhatFreeSWITCHReports(t *testing.T) {
	t.Parallel()
	// variable_hangup_cause_q850 values seen in the traces.
	for c, n := range map[Cause]int{CauseUnallocatedNumber: 1, CauseNormalClearing: 16, CauseUserBusy: 17,
		CauseNoAnswer: 19, CauseCallRejected: 21, CauseNoUserResponse: 18, CauseNoRouteDestination: 3,
		CauseIncompatibleDestination: 88, CauseOriginatorCancel: 487, CauseAllottedTimeout: 602, CauseSystemShutdown: 501} {
		require.Equal(t, n, c.Code(), c)
		if n > 127 {
			require.Equal(t, 16, c.Q850(), "FreeSWITCH reports its own causes as 16 in hangup_cause_q850")
		} else {
			require.Equal(t, n, c.Q850(), c)
		}
		back, ok := ParseCause(itoa(n))
		require.True(t, ok)
		require.Equal(t, c, back)
	}
	_, ok := ParseCause("NOT_A_CAUSE")
	require.False(t, ok)
	require.Equal(t, -1, Cause("NOT_A_CAUSE").Q850())
}

func TestEveryHangupCauseInTheTracesIsKnown(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`(?m)(?:^Hangup-Cause: |^variable_hangup_cause: |^-ERR )([A-Z_]+)$`)
	q := regexp.MustCompile(`(?m)^variable_hangup_cause: ([A-Z_]+)\n(?:.*\n)*?variable_hangup_cause_q850: (\d+)$`)
	files, err := filepath.Glob("fstest/testdata/traces/*.txt")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
		for _, m := range q.FindAllStringSubmatch(string(b), -1) {
			require.Equal(t, m[2], itoa(Cause(m[1]).Q850()), "%s in %s", m[1], f)
		}
	}
	require.Contains(t, seen, "USER_BUSY")
	for name := range seen {
		if name == "ERR" {
			continue
		}
		require.True(t, Cause(name).Known(), "%s seen in the traces is not in the cause table", name)
	}
}
