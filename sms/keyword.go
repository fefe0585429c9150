package sms

import (
	"sort"
	"strings"
	"unicode"
)

// defaultKeywords keep STOP and START working in English and Chinese even when the config
// forgets them: they are added for each action the config has no rule for.
var defaultKeywords = []KeywordRule{
	{Lang: "en", Action: ActionStop, Template: TemplateStopped, Words: []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}},
	{Lang: "zh", Action: ActionStop, Template: TemplateStopped, Words: []string{"退订", "停止", "取消订阅"}},
	{Lang: "en", Action: ActionStart, Template: TemplateStarted, Words: []string{"START", "UNSTOP"}},
	{Lang: "zh", Action: ActionStart, Template: TemplateStarted, Words: []string{"订阅", "开始"}},
}

// keywordMatcher finds the rule for an inbound text.
type keywordMatcher struct {
	entries []keywordEntry // longest word first
}

type keywordEntry struct {
	word string // normalized
	han  bool   // contains Han characters: matched as a plain prefix (no spaces in Chinese)
	rule KeywordRule
}

func newKeywordMatcher(rules []KeywordRule) *keywordMatcher {
	has := map[Action]bool{}
	for _, r := range rules {
		has[r.Action] = true
	}
	all := append([]KeywordRule(nil), rules...)
	for _, d := range defaultKeywords {
		if !has[d.Action] {
			all = append(all, d)
		}
	}
	m := &keywordMatcher{}
	for _, r := range all {
		for _, w := range r.Words {
			n := normalizeText(w)
			if n == "" {
				continue
			}
			m.entries = append(m.entries, keywordEntry{word: n, han: containsHan(n), rule: r})
		}
	}
	sort.SliceStable(m.entries, func(i, j int) bool { return len(m.entries[i].word) > len(m.entries[j].word) })
	return m
}

// match returns the rule of the longest keyword the text is, or begins with.
func (m *keywordMatcher) match(text string) (KeywordRule, bool) {
	n := normalizeText(text)
	if n == "" {
		return KeywordRule{}, false
	}
	for _, e := range m.entries {
		if n == e.word || strings.HasPrefix(n, e.word+" ") || (e.han && strings.HasPrefix(n, e.word)) {
			return e.rule, true
		}
	}
	return KeywordRule{}, false
}

// normalizeText upper-cases text, folds full-width ASCII to ASCII, turns punctuation and
// symbols into spaces and collapses spaces, so "  call-me!! " reads "CALL ME".
func normalizeText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width forms
			r -= 0xFEE0
		}
		if unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

func containsHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
