package callback_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/config"
)

func TestShippedConfigIsValid(t *testing.T) {
	t.Parallel()
	c, err := config.Load("")
	require.NoError(t, err)
	cfg := c.Callbacks.WithDefaults()
	require.NoError(t, cfg.Validate())
	require.Contains(t, c.Calendars, cfg.Calendar, "the callback calendar is defined")
	require.Equal(t, []string{"US"}, cfg.AllowCountries, "international numbers are refused by default")
}

func TestConfigValidateSaysWhatToFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  callback.Config
		want string
	}{
		{"unknown mode", callback.Config{Mode: "robocall"}, "want customer-first or agent-first"},
		{"agent-first without agents", callback.Config{Mode: "agent-first"}, "callbacks.agents"},
		{"dial without the number", callback.Config{Dial: "sofia/gateway/carrier/5551234"}, "{number}"},
		{"dial with a space", callback.Config{Dial: "sofia/gateway/x/{number} &park"}, "space"},
		{"a prefix that is not E.164", callback.Config{DenyPrefixes: []string{"1900"}}, "must be E.164"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, tc.cfg.Validate(), tc.want)
		})
	}
	require.NoError(t, callback.Config{}.Validate(), "an empty section means the defaults, which are valid")
	err := callback.Config{Mode: "x", DenyPrefixes: []string{"1"}}.Validate()
	require.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 2, "every problem is reported, each on its own")
}
