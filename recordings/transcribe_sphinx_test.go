package recordings

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSphinxTranscribesSpeechWithWordTimes(t *testing.T) {
	t.Parallel()
	s := testSphinx(t)
	text := "thank you for calling first national bank"
	for _, rate := range []int{16000, 8000} {
		tr, err := s.Transcribe(context.Background(), speech(t, text, rate), "en-US")
		require.NoError(t, err)
		require.Equal(t, text, tr.Text, "%d Hz", rate)
		require.Equal(t, "pocketsphinx", tr.Backend)
		require.Len(t, tr.Words, 7)
		for i, w := range tr.Words {
			require.Less(t, w.Start, w.End, "word %d", i)
			if i > 0 {
				require.GreaterOrEqual(t, w.Start, tr.Words[i-1].End, "word %d starts after the previous one", i)
			}
		}
	}
}

func TestSphinxTranscribesTheSameAudioTheSameWay(t *testing.T) {
	t.Parallel()
	s, err := NewSphinx(OfflineConfig{Workers: 1}, nil) // fresh: its first decode is compared too
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ctx := context.Background()
	bad, good := speech(t, badAgent, 8000), speech(t, goodAgent, 16000)
	first, err := s.Transcribe(ctx, bad, "en")
	require.NoError(t, err)
	_, err = s.Transcribe(ctx, good, "en")
	require.NoError(t, err)
	again, err := s.Transcribe(ctx, bad, "en")
	require.NoError(t, err)
	require.Equal(t, first, again, "what the decoder heard before must not change what it hears now")
}

func TestSphinxRefusesLanguagesWithoutAModel(t *testing.T) {
	t.Parallel()
	_, err := testSphinx(t).Transcribe(context.Background(), "/does/not/matter.wav", "zh")
	require.ErrorIs(t, err, ErrLanguageUnsupported)
	require.ErrorContains(t, err, `only an English model, recording is "zh"`)
	require.ErrorContains(t, err, "configure a destination of type openai")
}
