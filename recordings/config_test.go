package recordings_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/recordings"
	"github.com/ivrd/ivrd/recordings/recname"
)

func TestDefaultConfigRecordingsSection(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("default.yaml", config.DefaultYAML())
	require.NoError(t, err)
	r := c.Recordings
	require.Equal(t, 2*time.Second, r.Tolerance)
	require.Equal(t, 90*24*time.Hour, r.Retention)
	require.Equal(t, 10*time.Second, r.RetryBase)
	require.NoError(t, r.Validate())
	dests, err := recordings.EffectiveDestinations(r)
	require.NoError(t, err)
	require.Equal(t, []recordings.Destination{{Name: "offline", Type: "offline"}}, dests)
}

func TestConfigValidateNamesTheKeyToFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"an unknown destination type", "recordings:\n  destinations:\n    - {name: qa, type: ftp, url: x}\n", `recordings.destinations[0] (qa): type "ftp" unknown`},
		{"a destination without a URL", "recordings:\n  destinations:\n    - {name: qa, type: http}\n", "recordings.destinations[0] (qa): no url"},
		{"two destinations with one name", "recordings:\n  destinations:\n    - {name: qa, type: http, url: x}\n    - {name: qa, type: openai, url: y}\n", `name "qa" used twice`},
		{"a rules file that does not exist", "recordings:\n  rules: /nonexistent/qa.yaml\n", "recordings.rules: read QA rules"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("ivrd.yaml", []byte(tc.yaml))
			require.NoError(t, err)
			require.ErrorContains(t, c.Recordings.Validate(), tc.want)
		})
	}
}

func TestConfigUnknownKeyIsAnError(t *testing.T) {
	t.Parallel()
	_, err := config.Parse("ivrd.yaml", []byte("recordings:\n  retension: 24h\n"))
	require.ErrorContains(t, err, "retension")
}

func TestConfigCheckPointsAtABadNameTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tmpl, want string
	}{
		{"an unknown name", `"{{date}}/{{vars.secret}}-{{call.id}}-{{n}}.wav"`, `unknown name "vars.secret"`},
		{"no call id", `"{{caller.number}}-{{n}}.wav"`, "include {{call.id}} and {{n}}"},
		{"a way out of the folder", `"../{{call.id}}-{{n}}.wav"`, `".." is not allowed`},
		{"an unclosed brace", `"{{call.id}}-{{n.wav"`, "not closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "recordings:\n  dir: /tmp/rec\n  name: " + tc.tmpl + "\n"
			c, err := config.Parse("ivrd.yaml", []byte(src))
			require.NoError(t, err)
			var found []config.Problem
			for _, p := range config.Check(c, config.CheckOptions{Name: "ivrd.yaml", Source: []byte(src), Getenv: func(string) string { return "" }}) {
				if p.Path == "recordings.name" {
					found = append(found, p)
				}
			}
			require.Len(t, found, 1)
			require.Contains(t, found[0].Msg, tc.want)
			require.Equal(t, "ivrd.yaml:3:9", found[0].Pos)
		})
	}
}

func TestDefaultNameTemplateIsValid(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("default.yaml", config.DefaultYAML())
	require.NoError(t, err)
	require.Equal(t, recname.Default, c.Recordings.Name)
	_, err = recname.Parse(c.Recordings.Name)
	require.NoError(t, err)
}
