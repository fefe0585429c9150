package recordings

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Word is one recognised word with its time in the recording.
type Word struct {
	Text  string        `json:"text"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
	// Channel is the stereo channel the word was heard on (0 left, 1 right; 0 for mono).
	Channel int `json:"channel"`
}

// Transcript is what a transcriber heard in a recording.
type Transcript struct {
	Text     string `json:"text"`
	Language string `json:"language"`
	// Backend names the transcriber, e.g. "pocketsphinx" or "openai:whisper-1".
	Backend string `json:"backend"`
	// Words are in time order; empty when the backend gives no word timings.
	Words []Word `json:"words,omitempty"`
}

// Transcriber turns audio into a Transcript.
type Transcriber interface {
	// Transcribe transcribes the WAV file at path, spoken in lang (ISO 639-1, e.g. "en").
	Transcribe(ctx context.Context, path, lang string) (*Transcript, error)
}

// ErrLanguageUnsupported is returned (wrapped) by a transcriber that has no model for the
// recording's language; send such recordings to an openai destination instead.
var ErrLanguageUnsupported = errors.New("language not supported")

// mergeWords sorts words from several channels into time order and rebuilds the text.
func mergeWords(t *Transcript) {
	sort.SliceStable(t.Words, func(i, j int) bool { return t.Words[i].Start < t.Words[j].Start })
	var b strings.Builder
	for i, w := range t.Words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.Text)
	}
	t.Text = b.String()
}

// normLang reduces "en-US", "EN", "eng" to "en"; "" stays "".
func normLang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	switch lang {
	case "eng", "english":
		return "en"
	case "zho", "chi", "cmn", "chinese", "mandarin":
		return "zh"
	}
	return lang
}

func unsupportedLang(lang string) error {
	return fmt.Errorf("offline transcriber (pocketsphinx) has only an English model, recording is %q: %w; configure a destination of type openai (a whisper server) for it",
		lang, ErrLanguageUnsupported)
}
