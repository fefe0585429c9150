package recordings

import (
	"strings"
	"time"
	"unicode"
)

// phraseMatchRatio is the share of a phrase's words that must be heard, in order, for the
// phrase to count as said: recognisers get about one word in five or ten wrong, so demanding
// every word would miss most phrases (pocketsphinx's keyword spotting, which does, missed half
// of them in measurements).
const phraseMatchRatio = 0.75

// Evidence is the part of a transcript a rule's result rests on.
type Evidence struct {
	Text  string        `json:"text"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
}

// token is one normalised transcript word with its position in the transcript's words.
type token struct {
	text       string
	start, end time.Duration
}

// tokenize lower-cases s and splits it into words, dropping punctuation and expanding
// contractions ("it's" is "it is", "don't" is "do not"), so that a phrase matches however the
// rule writer or the recogniser spelt it: pocketsphinx often hears "that is" as "it's".
func tokenize(s string) []string {
	s = strings.ReplaceAll(strings.ToLower(s), "’", "'")
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}) {
		out = append(out, expandContraction(strings.Trim(w, "'"))...)
	}
	return out
}

// contractions are whole-word expansions that suffix rules get wrong.
var contractions = map[string][]string{
	"won't": {"will", "not"}, "can't": {"can", "not"}, "shan't": {"shall", "not"}, "i'm": {"i", "am"},
	"let's": {"let", "us"},
}

// contractionSuffixes expand the rest: "n't" before "'s" so "isn't" is "is not".
var contractionSuffixes = []struct {
	suffix string
	word   string
}{{"n't", "not"}, {"'re", "are"}, {"'ll", "will"}, {"'ve", "have"}, {"'d", "would"}, {"'s", "is"}}

func expandContraction(w string) []string {
	if w == "" {
		return nil
	}
	if e, ok := contractions[w]; ok {
		return e
	}
	for _, c := range contractionSuffixes {
		if strings.HasSuffix(w, c.suffix) && len(w) > len(c.suffix) {
			return []string{strings.TrimSuffix(w, c.suffix), c.word}
		}
	}
	return []string{w}
}

// transcriptTokens flattens a transcript into tokens, with times when it has word timings.
// Chinese and other scripts without spaces are split into characters so that phrases match
// character by character.
func transcriptTokens(t *Transcript) []token {
	var out []token
	add := func(text string, start, end time.Duration) {
		for _, w := range tokenize(text) {
			for _, part := range splitHan(w) {
				out = append(out, token{text: part, start: start, end: end})
			}
		}
	}
	if len(t.Words) > 0 {
		for _, w := range t.Words {
			add(w.Text, w.Start, w.End)
		}
		return out
	}
	add(t.Text, 0, 0)
	return out
}

// splitHan splits runs of Han characters into single characters.
func splitHan(w string) []string {
	hasHan := false
	for _, r := range w {
		if unicode.Is(unicode.Han, r) {
			hasHan = true
			break
		}
	}
	if !hasHan {
		return []string{w}
	}
	var out []string
	for _, r := range w {
		out = append(out, string(r))
	}
	return out
}

func phraseTokens(p string) []string {
	var out []string
	for _, w := range tokenize(p) {
		out = append(out, splitHan(w)...)
	}
	return out
}

// match is where a phrase was found.
type match struct {
	from, to int // token indexes, inclusive
	matched  int // phrase words found in order
	words    int // phrase length
}

// findPhrase looks for phrase in toks, tolerating wrong, missing and extra words: a phrase of
// N words is found when at least 75% of them (rounded up) appear in order within a window of
// N + N/2 + 1 transcript words. It returns the best match: most words, then shortest span,
// then earliest.
func findPhrase(toks []token, phrase []string) (match, bool) {
	return findPhraseStartingBy(toks, phrase, len(toks))
}

// findPhraseStartingBy is findPhrase for matches whose first word is one of toks[:by].
func findPhraseStartingBy(toks []token, phrase []string, by int) (match, bool) {
	n := len(phrase)
	if n == 0 {
		return match{}, false
	}
	need := int(float64(n)*phraseMatchRatio + 0.999)
	window := n + n/2 + 1
	var best match
	found := false
	for i := range toks[:min(by, len(toks))] {
		end := min(len(toks), i+window)
		for k, w := range phrase {
			if toks[i].text != w {
				continue
			}
			// toks[i] is phrase word k; the rest of the phrase is matched after it.
			rest, last := lcsLast(toks[i+1:end], phrase[k+1:])
			count := 1 + rest
			if count < need {
				continue
			}
			m := match{from: i, to: i + 1 + last, matched: count, words: n}
			if rest == 0 {
				m.to = i
			}
			if !found || m.matched > best.matched || (m.matched == best.matched && m.to-m.from < best.to-best.from) {
				best, found = m, true
			}
		}
	}
	return best, found
}

// lcsLast returns the length of the longest common subsequence of window and phrase, and the
// smallest index in window at which such a subsequence can end (-1 when it is empty).
func lcsLast(window []token, phrase []string) (int, int) {
	rows, cols := len(window)+1, len(phrase)+1
	dp := make([][]int, rows)
	last := make([][]int, rows)
	for i := range dp {
		dp[i] = make([]int, cols)
		last[i] = make([]int, cols)
		for j := range last[i] {
			last[i][j] = -1
		}
	}
	better := func(c1, l1, c2, l2 int) bool { return c1 > c2 || (c1 == c2 && l1 < l2) }
	for i := 1; i < rows; i++ {
		for j := 1; j < cols; j++ {
			c, l := dp[i-1][j], last[i-1][j]
			if cc, ll := dp[i][j-1], last[i][j-1]; better(cc, ll, c, l) {
				c, l = cc, ll
			}
			if window[i-1].text == phrase[j-1] {
				if cc, ll := dp[i-1][j-1]+1, i-1; better(cc, ll, c, l) {
					c, l = cc, ll
				}
			}
			dp[i][j], last[i][j] = c, l
		}
	}
	return dp[rows-1][cols-1], last[rows-1][cols-1]
}

func evidenceOf(toks []token, m match) Evidence {
	parts := make([]string, 0, m.to-m.from+1)
	for _, t := range toks[m.from : m.to+1] {
		parts = append(parts, t.text)
	}
	return Evidence{Text: strings.Join(parts, " "), Start: toks[m.from].start, End: toks[m.to].end}
}
