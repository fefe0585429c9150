package recordings

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The two agents of the must-show test: one greets with the company name, verifies the
// caller's identity and closes politely; the other skips both and says a forbidden phrase.
const (
	goodAgent = "thank you for calling first national bank, my name is sarah. " +
		"can you please confirm your date of birth. thank you for your call, have a nice day."
	badAgent = "hello, what do you want. that is not my problem. have a nice day."
)

func loadTestRules(t *testing.T) *RuleSet {
	t.Helper()
	rules, err := LoadRules("testdata/qa.yaml")
	require.NoError(t, err)
	rs, err := rules.For("billing")
	require.NoError(t, err)
	return rs
}

// scoreFile transcribes and scores one recording as production does.
func scoreFile(t *testing.T, path string) *Result {
	t.Helper()
	a, _, err := ReadAudio(path)
	require.NoError(t, err)
	tr, err := testSphinx(t).TranscribeAudio(context.Background(), a)
	require.NoError(t, err)
	t.Logf("transcript: %q", tr.Text)
	return Score(loadTestRules(t), "billing", tr, AnalyseActivity(a))
}

func ruleResult(t *testing.T, res *Result, name string) RuleResult {
	t.Helper()
	for _, rr := range res.Rules {
		if rr.Rule == name {
			return rr
		}
	}
	t.Fatalf("no result for rule %q", name)
	return RuleResult{}
}

func failedNames(res *Result) []string {
	var names []string
	for _, rr := range res.Failed() {
		names = append(names, rr.Rule)
	}
	sort.Strings(names)
	return names
}

func TestScoreSpokenCalls(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{16000, 8000} {
		t.Run("the agent who greets and verifies identity passes at "+strconv.Itoa(rate)+" Hz", func(t *testing.T) {
			res := scoreFile(t, speech(t, goodAgent, rate))
			require.True(t, res.Passed, "result: %+v", res)
			require.Empty(t, failedNames(res))
			require.Equal(t, 100.0, res.Score)

			greet := ruleResult(t, res, "greeting")
			require.Len(t, greet.Evidence, 1)
			require.Contains(t, greet.Evidence[0].Text, "first national bank")
			require.Less(t, greet.Evidence[0].Start, time.Second)
			require.Greater(t, greet.Evidence[0].End, greet.Evidence[0].Start)

			id := ruleResult(t, res, "identity")
			require.Contains(t, id.Evidence[0].Text, "date of birth")
			require.Greater(t, id.Evidence[0].Start, greet.Evidence[0].End, "identity is asked after the greeting")

			require.Equal(t, NotMeasured, ruleResult(t, res, "talk-over").Status, "mono: talk-over cannot be measured")
		})
		t.Run("the agent who skips both and says a forbidden phrase fails at "+strconv.Itoa(rate)+" Hz", func(t *testing.T) {
			res := scoreFile(t, speech(t, badAgent, rate))
			require.False(t, res.Passed)
			require.Equal(t, []string{"forbidden", "greeting", "identity"}, failedNames(res))
			require.Contains(t, res.Reason, "critical rule failed: forbidden")

			forbidden := ruleResult(t, res, "forbidden")
			require.Len(t, forbidden.Evidence, 1)
			require.Contains(t, forbidden.Evidence[0].Text, "not my problem")
			require.Greater(t, forbidden.Evidence[0].End, forbidden.Evidence[0].Start)
			require.Contains(t, ruleResult(t, res, "greeting").Detail, "not said within the first 15s")
			require.Equal(t, Pass, ruleResult(t, res, "closing").Status)
			require.Equal(t, 20.0, res.Score, "closing 10 + dead air 5 + length 5 of 100 measured weight (talk-over is not measured on mono)")
		})
	}
}
