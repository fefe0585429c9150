package recordings

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRules(t *testing.T) {
	t.Parallel()
	rules, err := LoadRules("testdata/qa.yaml")
	require.NoError(t, err)
	rs, err := rules.For("any queue")
	require.NoError(t, err, "unknown queues use the default set")
	require.Equal(t, 80.0, rs.PassScore)
	require.Len(t, rs.Rules, 7)
	require.Equal(t, KindSay, rs.Rules[0].Kind())
	require.Equal(t, 15*time.Second, rs.Rules[0].Within)
	require.Equal(t, KindDuration, rs.Rules[6].Kind())
}

func TestParseRulesErrorsNameLineAndColumn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		yaml      string
		line, col int
		msg       string
	}{
		{"an unknown key", "queues:\n  default:\n    rules:\n      - name: a\n        sya: [hello]\n", 5, 9, "unknown field \"sya\""},
		{"a wrong type", "queues:\n  default:\n    rules:\n      - name: a\n        max_silence: loud\n", 5, 22, ""},
		{"a rule with no check", "queues:\n  default:\n    rules:\n      - name: a\n        weight: 3\n", 4, 9, "no check"},
		{"a rule with two checks", "queues:\n  default:\n    rules:\n      - name: a\n        say: [hi]\n        max_silence: 3s\n", 4, 9, "more than one check"},
		{"a rule without a name", "queues:\n  default:\n    rules:\n      - say: [hi]\n", 4, 9, "without a name"},
		{"a duplicate rule name", "queues:\n  default:\n    rules:\n      - {name: a, say: [hi]}\n      - {name: a, say: [bye]}\n", 5, 16, "used twice"},
		{"within on a never_say rule", "queues:\n  default:\n    rules:\n      - name: a\n        never_say: [x]\n        within: 3s\n", 4, 9, "`within` only applies"},
		{"a queue without rules", "queues:\n  billing:\n    pass_score: 50\n", 3, 5, "has no rules"},
		{"a pass score over 100", "queues:\n  default:\n    pass_score: 120\n    rules: [{name: a, say: [hi]}]\n", 3, 17, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules("qa.yaml", []byte(tc.yaml))
			var re *RulesError
			require.True(t, errors.As(err, &re), "error %v", err)
			require.Equal(t, "qa.yaml", re.File)
			require.Equal(t, [2]int{tc.line, tc.col}, [2]int{re.Line, re.Col}, "error: %v", err)
			require.Contains(t, re.Error(), tc.msg)
		})
	}
}

func TestRulesWithoutDefaultNameTheMissingQueue(t *testing.T) {
	t.Parallel()
	rules, err := ParseRules("qa.yaml", []byte("queues:\n  billing:\n    rules: [{name: a, say: [hi]}]\n"))
	require.NoError(t, err)
	_, err = rules.For("sales")
	require.ErrorContains(t, err, `no rules for queue "sales"`)
}
