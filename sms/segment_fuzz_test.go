package sms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSplitSegments checks the splitting invariants on any text: the parts rejoin to the
// text, each fits its segment, and a single-segment text is not split.
func FuzzSplitSegments(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("€", 90), strings.Repeat("你", 71), "😀" + strings.Repeat("a", 200), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		info := Segments(text)
		parts := SplitSegments(text)
		if strings.Join(parts, "") != text {
			t.Fatalf("parts do not rejoin to %q", text)
		}
		if len(parts) != info.Count {
			t.Fatalf("Segments says %d, SplitSegments gives %d", info.Count, len(parts))
		}
		size, single, part := gsm7Units, gsm7Single, gsm7Part
		if info.Encoding == UCS2 {
			size, single, part = ucs2Units, ucs2Single, ucs2Part
		}
		limit := part
		if len(parts) == 1 {
			limit = single
		}
		for _, p := range parts {
			n := 0
			for _, r := range p {
				n += size(r)
			}
			if n > limit {
				t.Fatalf("part %q has %d units, more than %d", p, n, limit)
			}
		}
	})
}

// FuzzKeywordMatch checks that matching never panics and that a matched text's normal
// form starts with a keyword.
func FuzzKeywordMatch(f *testing.F) {
	m := newKeywordMatcher(testKeywordRules())
	for _, s := range []string{"CALL ME", "  stop!!", "回电", "１", "", "\x00", "call\u200bme"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, ok := m.match(text)
		if ok && r.Action == "" {
			t.Fatalf("matched a rule without action for %q", text)
		}
		n := normalizeText(text)
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("normal form %q of %q has stray spaces", n, text)
		}
	})
}
