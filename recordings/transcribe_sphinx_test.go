package recordings

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSphinxTranscribesSpeech(t *testing.T) {
	s := testSphinx(t)
	text := "thank you for calling first national bank my name is sarah"
	for _, rate := range []int{16000, 8000} {
		tr, err := s.Transcribe(context.Background(), speech(t, text, rate), "en")
		require.NoError(t, err)
		t.Logf("%d Hz: %q %+v", rate, tr.Text, tr.Words)
	}
}
