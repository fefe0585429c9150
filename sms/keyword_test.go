package sms

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func testKeywordRules() []KeywordRule {
	return []KeywordRule{
		{Lang: "en", Action: ActionCallback, Words: []string{"CALLBACK", "CALL ME", "CALL", "1"}},
		{Lang: "en", Action: ActionReply, Template: "help", Words: []string{"HELP", "INFO", "0"}},
		{Lang: "en", Action: ActionReply, Template: "hours", Words: []string{"2", "HOURS"}},
		{Lang: "zh", Action: ActionCallback, Words: []string{"回电", "回拨", "给我回电话"}},
		{Lang: "zh", Action: ActionReply, Template: "help", Words: []string{"帮助"}},
	}
}

func TestKeywordMatch(t *testing.T) {
	t.Parallel()
	m := newKeywordMatcher(testKeywordRules())
	tests := []struct {
		text   string
		action Action
		lang   string
	}{
		{"CALL ME", ActionCallback, "en"},
		{"  call   me!! ", ActionCallback, "en"},
		{"Call-me please", ActionCallback, "en"},
		{"callback", ActionCallback, "en"},
		{"Call.", ActionCallback, "en"},
		{"1", ActionCallback, "en"},
		{"１", ActionCallback, "en"}, // full-width digit
		{"help", ActionReply, "en"},
		{"2", ActionReply, "en"},
		{"Stop", ActionStop, "en"}, // defaults apply when the config has no stop rule
		{"STOP!", ActionStop, "en"},
		{"unsubscribe", ActionStop, "en"},
		{"start", ActionStart, "en"},
		{"回电", ActionCallback, "zh"},
		{"请给我回电话。", "", ""}, // does not begin with a keyword
		{"给我回电话，谢谢", ActionCallback, "zh"},
		{"退订", ActionStop, "zh"},
		{"帮助", ActionReply, "zh"},
		{"callme", "", ""},
		{"Calling about my card", "", ""},
		{"12", "", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			r, ok := m.match(tc.text)
			if tc.action == "" {
				require.False(t, ok, "matched %+v", r)
				return
			}
			require.True(t, ok)
			require.Equal(t, tc.action, r.Action)
			require.Equal(t, tc.lang, r.Lang)
		})
	}
}

func TestKeywordConfigStopOverridesDefaults(t *testing.T) {
	t.Parallel()
	m := newKeywordMatcher([]KeywordRule{{Lang: "en", Action: ActionStop, Words: []string{"HALT"}}})
	r, ok := m.match("halt")
	require.True(t, ok)
	require.Equal(t, ActionStop, r.Action)
	_, ok = m.match("stop")
	require.False(t, ok, "a configured stop rule replaces the built-in STOP words")
	r, ok = m.match("start")
	require.True(t, ok, "START still comes from the defaults")
	require.Equal(t, ActionStart, r.Action)
}
