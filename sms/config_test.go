package sms

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

// TestDefaultConfigSection decodes the sms: section of the shipped default config strictly
// and checks it is valid, so the demo's texts and rules cannot rot.
func TestDefaultConfigSection(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../config/default.yaml")
	require.NoError(t, err)
	var root struct {
		SMS Config `yaml:"sms"`
	}
	var all map[string]any
	require.NoError(t, yaml.Unmarshal(data, &all))
	sub, err := yaml.Marshal(map[string]any{"sms": all["sms"]})
	require.NoError(t, err)
	require.NoError(t, yaml.NewDecoder(bytes.NewReader(sub), yaml.Strict()).Decode(&root))
	c := root.SMS
	require.NoError(t, c.Validate())
	require.Equal(t, time.Minute, c.Limits.MinInterval)
	require.Equal(t, 5*time.Second, c.Retry.Backoff)
	m := newKeywordMatcher(c.Keywords)
	for text, want := range map[string]Action{"call me": ActionCallback, "回电": ActionCallback, "stop": ActionStop, "退订": ActionStop, "Help?": ActionReply} {
		r, ok := m.match(text)
		require.True(t, ok, text)
		require.Equal(t, want, r.Action, text)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tmpl := map[string]map[string]string{"t": {"en": "x"}}
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"unknown gateway", Config{Gateway: "smpp"}, "want kannel, twilio or console"},
		{"kannel without send_url", Config{Gateway: "kannel"}, "set sms.kannel.send_url"},
		{"kannel without from", Config{Gateway: "kannel", Kannel: KannelConfig{SendURL: "http://k/cgi-bin/sendsms", Username: "u"}}, "sms.from is empty"},
		{"twilio without account", Config{Gateway: "twilio"}, "set sms.twilio.account_sid"},
		{"bad quiet hours", Config{QuietHours: QuietHours{Start: "25:00", End: "08:00"}}, "HH:MM"},
		{"reply without template", Config{Keywords: []KeywordRule{{Action: ActionReply, Words: []string{"X"}}}}, "needs a template"},
		{"unknown action", Config{Keywords: []KeywordRule{{Action: "dance", Words: []string{"X"}}}}, "want callback, stop, start or reply"},
		{"undefined template", Config{Keywords: []KeywordRule{{Action: ActionReply, Template: "nope", Words: []string{"X"}}}}, `template "nope" is not defined`},
		{"template syntax", Config{Templates: map[string]map[string]string{"t": {"en": "Hi {{name"}}}, "sms.templates.t.en"},
		{"follow-up without name", Config{Templates: tmpl, FollowUps: []FollowUpRule{{Template: "t"}}}, "name is required"},
		{"follow-up name twice", Config{Templates: tmpl, FollowUps: []FollowUpRule{{Name: "a", Template: "t"}, {Name: "a", Template: "t"}}}, "used twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, tc.c.Validate(), tc.want)
		})
	}
}
