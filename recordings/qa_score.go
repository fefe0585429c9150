package recordings

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Status is a rule's outcome.
type Status string

// Rule outcomes. NotMeasured rules (talk-over on a mono recording) are left out of the score.
const (
	Pass        Status = "pass"
	Fail        Status = "fail"
	NotMeasured Status = "n/a"
)

// RuleResult is one rule's outcome on one call, with the evidence it rests on.
type RuleResult struct {
	Rule     string     `json:"rule"`
	Kind     string     `json:"kind"`
	Weight   float64    `json:"weight"`
	Critical bool       `json:"critical,omitempty"`
	Status   Status     `json:"status"`
	Detail   string     `json:"detail"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Result is a call's QA score.
type Result struct {
	Queue     string  `json:"queue"`
	Score     float64 `json:"score"` // 0-100: passed weight over measured weight
	PassScore float64 `json:"pass_score"`
	Passed    bool    `json:"passed"`
	// Reason says why a call failed (low score or which critical rules failed).
	Reason string       `json:"reason,omitempty"`
	Rules  []RuleResult `json:"rules"`
}

// Failed lists the rules that failed.
func (r *Result) Failed() []RuleResult {
	var out []RuleResult
	for _, rr := range r.Rules {
		if rr.Status == Fail {
			out = append(out, rr)
		}
	}
	return out
}

// Score scores a call: its transcript and its audio activity against the queue's rule set.
func Score(rs *RuleSet, queue string, tr *Transcript, act *Activity) *Result {
	toks := transcriptTokens(tr)
	timed := len(tr.Words) > 0
	res := &Result{Queue: queue, PassScore: rs.PassScore}
	var measured, passed float64
	var critical []string
	for _, r := range rs.Rules {
		rr := RuleResult{Rule: r.Name, Kind: r.Kind(), Weight: r.Weight, Critical: r.Critical}
		switch rr.Kind {
		case KindSay:
			scoreSay(&rr, r, toks, timed)
		case KindNeverSay:
			scoreNeverSay(&rr, r, toks)
		case KindMaxSilence:
			s := act.LongestSilence()
			rr.Evidence = []Evidence{{Text: "(silence)", Start: s.Start, End: s.End}}
			rr.Status = passIf(s.Len() <= r.MaxSilence)
			rr.Detail = fmt.Sprintf("longest silence %s (max %s)", fmtDur(s.Len()), fmtDur(r.MaxSilence))
		case KindMaxTalkOver:
			total, longest, ok := act.TalkOver()
			if !ok {
				rr.Status = NotMeasured
				rr.Detail = "cannot be measured on a mono recording: record in stereo (RECORD_STEREO=true) to measure talk-over"
				break
			}
			rr.Status = passIf(total <= r.MaxTalkOver)
			rr.Detail = fmt.Sprintf("both spoke at once for %s in total (max %s), longest %s", fmtDur(total), fmtDur(r.MaxTalkOver), fmtDur(longest.Len()))
			if longest.Len() > 0 {
				rr.Evidence = []Evidence{{Text: wordsIn(tr, longest), Start: longest.Start, End: longest.End}}
			}
		case KindDuration:
			d := act.Duration
			ok := (r.MinDuration == 0 || d >= r.MinDuration) && (r.MaxDuration == 0 || d <= r.MaxDuration)
			rr.Status = passIf(ok)
			rr.Detail = fmt.Sprintf("call lasted %s (%s)", fmtDur(d), durationBounds(r))
			rr.Evidence = []Evidence{{Text: "(whole call)", Start: 0, End: d}}
		}
		if rr.Status != NotMeasured {
			measured += r.Weight
			if rr.Status == Pass {
				passed += r.Weight
			} else if r.Critical {
				critical = append(critical, r.Name)
			}
		}
		res.Rules = append(res.Rules, rr)
	}
	res.Score = 100
	if measured > 0 {
		res.Score = math.Round(passed/measured*1000) / 10
	}
	res.Passed = res.Score >= res.PassScore && len(critical) == 0
	switch {
	case len(critical) > 0:
		res.Reason = "critical rule failed: " + strings.Join(critical, ", ")
	case !res.Passed:
		res.Reason = fmt.Sprintf("score %.1f below %.1f", res.Score, res.PassScore)
	}
	return res
}

func scoreSay(rr *RuleResult, r *Rule, toks []token, timed bool) {
	by := len(toks)
	note := ""
	if r.Within > 0 {
		if timed {
			by = 0
			for by < len(toks) && toks[by].start <= r.Within {
				by++
			}
		} else {
			note = " (no word timings: `within` not checked)"
		}
	}
	for _, p := range r.Say {
		if m, ok := findPhraseStartingBy(toks, phraseTokens(p), by); ok {
			rr.Status = Pass
			rr.Evidence = []Evidence{evidenceOf(toks, m)}
			rr.Detail = fmt.Sprintf("said %q (%d of %d words)%s", p, m.matched, m.words, note)
			return
		}
	}
	rr.Status = Fail
	where := ""
	if r.Within > 0 && timed {
		where = " within the first " + fmtDur(r.Within)
	}
	rr.Detail = fmt.Sprintf("not said%s: %s%s", where, quoteList(r.Say), note)
}

func scoreNeverSay(rr *RuleResult, r *Rule, toks []token) {
	var said []string
	for _, p := range r.NeverSay {
		if m, ok := findPhrase(toks, phraseTokens(p)); ok {
			rr.Evidence = append(rr.Evidence, evidenceOf(toks, m))
			said = append(said, fmt.Sprintf("%q", p))
		}
	}
	if len(said) > 0 {
		rr.Status = Fail
		rr.Detail = "said " + strings.Join(said, ", ")
		return
	}
	rr.Status = Pass
	rr.Detail = "none said of " + quoteList(r.NeverSay)
}

func passIf(ok bool) Status {
	if ok {
		return Pass
	}
	return Fail
}

func quoteList(ps []string) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = fmt.Sprintf("%q", p)
	}
	return strings.Join(q, " or ")
}

func durationBounds(r *Rule) string {
	switch {
	case r.MinDuration > 0 && r.MaxDuration > 0:
		return fmt.Sprintf("allowed %s to %s", fmtDur(r.MinDuration), fmtDur(r.MaxDuration))
	case r.MinDuration > 0:
		return "min " + fmtDur(r.MinDuration)
	default:
		return "max " + fmtDur(r.MaxDuration)
	}
}

// wordsIn is the transcript's words overlapping span.
func wordsIn(tr *Transcript, s Span) string {
	var ws []string
	for _, w := range tr.Words {
		if w.End > s.Start && w.Start < s.End {
			ws = append(ws, w.Text)
		}
	}
	if len(ws) == 0 {
		return "(no words recognised)"
	}
	return strings.Join(ws, " ")
}

func fmtDur(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
