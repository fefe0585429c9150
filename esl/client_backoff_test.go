package esl

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReconnectBackoffDoublesIsCappedAndJittered(t *testing.T) {
	t.Parallel()
	c, err := newClient(Node{Address: "x:1", Password: "p"}, ClientOptions{MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second})
	require.NoError(t, err)
	tests := []struct {
		attempt  int
		nominal  time.Duration
		describe string
	}{
		{0, 100 * time.Millisecond, "first retry waits about MinBackoff"},
		{1, 200 * time.Millisecond, "then doubles"},
		{3, 800 * time.Millisecond, "and doubles again"},
		{5, 2 * time.Second, "until MaxBackoff"},
		{60, 2 * time.Second, "and stays there (no overflow)"},
	}
	for _, tt := range tests {
		t.Run(tt.describe, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for i := 0; i < 200; i++ {
				d := c.backoff(tt.attempt)
				require.GreaterOrEqual(t, d, tt.nominal/2)
				require.LessOrEqual(t, d, tt.nominal)
				seen[d] = true
			}
			require.Greater(t, len(seen), 1, "jittered, so instances do not redial in lockstep")
		})
	}
}
