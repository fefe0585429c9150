package recordings_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/recordings"
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
