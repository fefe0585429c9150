package recordings

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUpsample2StuffsZeros(t *testing.T) {
	t.Parallel()
	require.Equal(t, []int16{5, 0, -7, 0, 9, 0}, upsample2([]int16{5, -7, 9}))
}

func TestActivityMeasuresSilenceAndTalkOver(t *testing.T) {
	t.Parallel()
	hello := speech(t, "hello, thank you for calling", 8000)
	quiet := silence(t, 6, 8000)
	// Mono: speech, 6 s of dead air, speech.
	a, _, err := ReadAudio(concat(t, hello, quiet, hello))
	require.NoError(t, err)
	act := AnalyseActivity(a)
	s := act.LongestSilence()
	require.InDelta(t, (6*time.Second + 800*time.Millisecond).Seconds(), s.Len().Seconds(), 0.5,
		"the dead air plus the clip's trailing pad: %v", s)
	_, _, ok := act.TalkOver()
	require.False(t, ok, "talk-over cannot be measured on mono")

	// Stereo: both speak the same words at once on both channels.
	b, _, err := ReadAudio(stereo(t, hello, hello))
	require.NoError(t, err)
	total, longest, ok := AnalyseActivity(b).TalkOver()
	require.True(t, ok)
	require.Greater(t, total, time.Second)
	require.Greater(t, longest.Len(), time.Second)

	// Stereo: one speaks, then the other: no talk-over.
	c, _, err := ReadAudio(stereo(t, concat(t, hello, quiet), concat(t, quiet, hello)))
	require.NoError(t, err)
	total, _, ok = AnalyseActivity(c).TalkOver()
	require.True(t, ok)
	require.Zero(t, total)
}
