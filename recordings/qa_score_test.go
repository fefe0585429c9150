package recordings

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// activity builds an Activity from per-channel patterns, one character per 20 ms frame:
// '#' sound, '.' quiet.
func activity(patterns ...string) *Activity {
	a := &Activity{Duration: time.Duration(len(patterns[0])) * activityFrame}
	for _, p := range patterns {
		on := make([]bool, len(p))
		for i, c := range p {
			on[i] = c == '#'
		}
		a.Active = append(a.Active, on)
	}
	return a
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func TestScoreAudioRules(t *testing.T) {
	t.Parallel()
	rs := &RuleSet{PassScore: 80, Rules: []*Rule{
		{Name: "dead air", MaxSilence: 2 * time.Second, Weight: 1},
		{Name: "talk-over", MaxTalkOver: time.Second, Weight: 1},
		{Name: "length", MinDuration: 3 * time.Second, MaxDuration: 10 * time.Second, Weight: 1},
	}}
	second := repeat("#", 50)
	quiet := func(s float64) string { return repeat(".", int(s*50)) }
	tr := &Transcript{Words: []Word{
		{Text: "hello", Start: 0, End: 500 * time.Millisecond, Channel: 0},
		{Text: "wait", Start: 4 * time.Second, End: 5 * time.Second, Channel: 1},
		{Text: "listen", Start: 4200 * time.Millisecond, End: 5500 * time.Millisecond, Channel: 0},
	}}
	tests := []struct {
		name   string
		act    *Activity
		status map[string]Status
		detail map[string]string
	}{
		{
			name:   "a mono call with 3 s of dead air",
			act:    activity(second + quiet(3) + second),
			status: map[string]Status{"dead air": Fail, "talk-over": NotMeasured, "length": Pass},
			detail: map[string]string{"dead air": "longest silence 3s (max 2s)", "talk-over": "cannot be measured on a mono recording"},
		},
		{
			name:   "a stereo call where both talk for 2 s",
			act:    activity(second+quiet(3)+second+second+quiet(1), quiet(1)+second+quiet(2)+second+second+quiet(1)),
			status: map[string]Status{"dead air": Pass, "talk-over": Fail, "length": Pass},
			detail: map[string]string{"talk-over": "both spoke at once for 2s in total (max 1s), longest 2s"},
		},
		{
			name:   "a call too short",
			act:    activity(second + second),
			status: map[string]Status{"dead air": Pass, "talk-over": NotMeasured, "length": Fail},
			detail: map[string]string{"length": "call lasted 2s (allowed 3s to 10s)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Score(rs, "billing", tr, tc.act)
			for _, rr := range res.Rules {
				require.Equal(t, tc.status[rr.Rule], rr.Status, "rule %s: %s", rr.Rule, rr.Detail)
				if d, ok := tc.detail[rr.Rule]; ok {
					require.Contains(t, rr.Detail, d)
				}
			}
		})
	}
	t.Run("talk-over evidence quotes the words spoken over each other", func(t *testing.T) {
		res := Score(rs, "billing", tr, tests[1].act)
		ev := ruleResult(t, res, "talk-over").Evidence[0]
		require.Equal(t, "wait listen", ev.Text)
		require.Equal(t, 4*time.Second, ev.Start)
		require.Equal(t, 6*time.Second, ev.End)
	})
	t.Run("not-measured rules are left out of the score", func(t *testing.T) {
		res := Score(rs, "billing", tr, tests[0].act)
		require.Equal(t, 50.0, res.Score, "dead air failed, length passed; talk-over not counted")
		require.False(t, res.Passed)
		require.Equal(t, "score 50.0 below 80.0", res.Reason)
	})
}

func TestScoreSayWithin(t *testing.T) {
	t.Parallel()
	rs := &RuleSet{PassScore: 100, Rules: []*Rule{{Name: "greeting", Say: []string{"thank you for calling"}, Within: 3 * time.Second, Weight: 1}}}
	late := &Transcript{Words: []Word{
		{Text: "hello", Start: 0, End: time.Second},
		{Text: "thank", Start: 5 * time.Second}, {Text: "you", Start: 5200 * time.Millisecond},
		{Text: "for", Start: 5400 * time.Millisecond}, {Text: "calling", Start: 5600 * time.Millisecond, End: 6 * time.Second},
	}}
	res := Score(rs, "q", late, activity("#"))
	require.Equal(t, Fail, res.Rules[0].Status)
	require.Contains(t, res.Rules[0].Detail, "not said within the first 3s")

	untimed := &Transcript{Text: "hello. thank you for calling"}
	res = Score(rs, "q", untimed, activity("#"))
	require.Equal(t, Pass, res.Rules[0].Status, "without word timings `within` cannot be checked")
	require.Contains(t, res.Rules[0].Detail, "`within` not checked")
}
