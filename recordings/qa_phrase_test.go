package recordings

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func words(text string) []token {
	var out []token
	for i, w := range tokenize(text) {
		out = append(out, token{text: w, start: time.Duration(i) * time.Second, end: time.Duration(i+1) * time.Second})
	}
	return out
}

func TestFindPhrase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		transcript string
		phrase     string
		found      bool
		evidence   string
	}{
		{"an exact phrase is found", "hello thank you for calling first national bank my name is sam",
			"thank you for calling first national bank", true, "thank you for calling first national bank"},
		{"one wrong word is tolerated", "thank you for your cold have a nice day",
			"thank you for your call", true, "thank you for your"},
		{"a missing word is tolerated", "hello what do you want that not my problem",
			"that is not my problem", true, "that not my problem"},
		{"an extra word is tolerated", "please can you uh please confirm your date of birth",
			"can you please confirm your date of birth", true, "can you uh please confirm your date of birth"},
		{"punctuation and case do not matter", "Thank you, for CALLING!", "thank you for calling", true, "thank you for calling"},
		{"half a phrase is not enough", "thank you for your patience", "thank you for calling first national bank", false, ""},
		{"words out of order do not match", "problem my not is that", "that is not my problem", false, ""},
		{"words scattered far apart do not match", "that is a long story but it is not really what i would call my concern or problem",
			"that is not my problem", false, ""},
		{"the tightest span wins", "bank bank first national bank", "first national bank", true, "first national bank"},
		{"chinese matches character by character", "您好感谢您致电第一国民银行", "感谢致电第一国民银行", true, "感 谢 您 致 电 第 一 国 民 银 行"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := transcriptTokens(&Transcript{Text: tc.transcript})
			m, ok := findPhrase(toks, phraseTokens(tc.phrase))
			require.Equal(t, tc.found, ok, "match %+v", m)
			if ok {
				require.Equal(t, tc.evidence, evidenceOf(toks, m).Text)
			}
		})
	}
}

func TestPhraseEvidenceHasWordTimes(t *testing.T) {
	t.Parallel()
	toks := words("hello there that is not my problem goodbye")
	m, ok := findPhrase(toks, phraseTokens("that is not my problem"))
	require.True(t, ok)
	ev := evidenceOf(toks, m)
	require.Equal(t, 2*time.Second, ev.Start)
	require.Equal(t, 7*time.Second, ev.End)
}

func TestTokenizeExpandsContractions(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"but", "it", "is", "not", "my", "problem", "i", "do", "not", "know", "we", "can", "not"},
		tokenize("But it's not my problem, I don’t know; we can't."))
}
