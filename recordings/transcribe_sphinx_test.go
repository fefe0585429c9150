package recordings

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
	bad, other := speech(t, badAgent, 8000), speech(t, "thank you for your call", 16000)
	first, err := s.Transcribe(ctx, bad, "en")
	require.NoError(t, err)
	_, err = s.Transcribe(ctx, other, "en")
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

// niceThreads counts this process's threads running at niceness nice.
func niceThreads(t *testing.T, nice int) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/stat")
		if err != nil {
			continue // the thread ended meanwhile
		}
		// Fields after the ")" closing the command name: state is field 3, nice field 19.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if v, err := strconv.Atoi(f[16]); err == nil && v == nice {
			n++
		}
	}
	return n
}

func TestSphinxDecodesOnLowPriorityThreads(t *testing.T) {
	before := niceThreads(t, sphinxNice)
	s, err := NewSphinx(OfflineConfig{Workers: 2}, nil)
	require.NoError(t, err)
	require.Equal(t, before+2, niceThreads(t, sphinxNice), "one niced thread per decoder, the rest of ivrd untouched")
	s.Close()
	// A goroutine's locked thread exits just after the goroutine does.
	require.Eventually(t, func() bool { return niceThreads(t, sphinxNice) == before }, 10*time.Second, 10*time.Millisecond,
		"the niced threads end with the transcriber")
}

func TestSphinxTranscribesStereoChannelByChannel(t *testing.T) {
	t.Parallel()
	caller := concat(t, speech(t, "i would like to report a lost credit card", 8000), silence(t, 1, 8000))
	agent := concat(t, silence(t, 2, 8000), speech(t, "thank you for your call", 8000))
	tr, err := testSphinx(t).Transcribe(context.Background(), stereo(t, caller, agent), "en")
	require.NoError(t, err)
	channels := map[int]string{}
	for _, w := range tr.Words {
		channels[w.Channel] += w.Text + " "
	}
	require.Contains(t, channels[0], "credit card")
	require.Contains(t, channels[1], "thank you for your")
	for i := 1; i < len(tr.Words); i++ {
		require.LessOrEqual(t, tr.Words[i-1].Start, tr.Words[i].Start, "words of both channels merged in time order")
	}
}
