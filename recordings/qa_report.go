package recordings

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteResult prints a call's result as a table: one row per rule with its outcome, weight,
// detail and evidence (the transcript span and its time).
func WriteResult(w io.Writer, title string, res *Result) error {
	verdict := "PASS"
	if !res.Passed {
		verdict = "FAIL"
		if res.Reason != "" {
			verdict += " (" + res.Reason + ")"
		}
	}
	if _, err := fmt.Fprintf(w, "%s  queue %s  score %.1f (pass %.1f)  %s\n", title, orDash(res.Queue), res.Score, res.PassScore, verdict); err != nil {
		return err
	}
	if len(res.Rules) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tRESULT\tWEIGHT\tDETAIL\tEVIDENCE")
	for _, r := range res.Rules {
		status := string(r.Status)
		if r.Status == Fail && r.Critical {
			status = "FAIL*"
		}
		ev := "-"
		if len(r.Evidence) > 0 {
			parts := make([]string, len(r.Evidence))
			for i, e := range r.Evidence {
				parts[i] = fmt.Sprintf("%s-%s %q", clock(e.Start), clock(e.End), e.Text)
			}
			ev = strings.Join(parts, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%s\t%s\n", r.Rule, status, r.Weight, r.Detail, ev)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range res.Rules {
		if r.Status == Fail && r.Critical {
			_, err := fmt.Fprintln(w, "* critical: failing it fails the call")
			return err
		}
	}
	return nil
}

// WriteBatchSummary prints a batch's summary table (one row per file) and the list of failures
// with their reasons.
func WriteBatchSummary(w io.Writer, items []BatchItem) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tLENGTH\tSCORE\tRESULT")
	passed, failed, errored := 0, 0, 0
	var audio, took time.Duration
	for _, it := range items {
		name := filepath.Base(it.Path)
		audio += it.Audio
		took += it.Took
		switch {
		case it.Err != nil:
			errored++
			fmt.Fprintf(tw, "%s\t%s\t-\tERROR\n", name, clock(it.Audio))
		case it.Result.Passed:
			passed++
			fmt.Fprintf(tw, "%s\t%s\t%.1f\tpass\n", name, clock(it.Audio), it.Result.Score)
		default:
			failed++
			fmt.Fprintf(tw, "%s\t%s\t%.1f\tFAIL\n", name, clock(it.Audio), it.Result.Score)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d recordings: %d passed, %d failed, %d could not be scored (%s of audio)\n",
		len(items), passed, failed, errored, audio.Round(time.Second))
	if failed+errored == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nFailures:")
	for _, it := range items {
		name := filepath.Base(it.Path)
		switch {
		case it.Err != nil:
			fmt.Fprintf(w, "  %s: %s\n", name, errorReason(it.Err))
		case !it.Result.Passed:
			var rules []string
			for _, r := range it.Result.Failed() {
				ev := ""
				if len(r.Evidence) > 0 && r.Kind == KindNeverSay {
					ev = fmt.Sprintf(" at %s %q", clock(r.Evidence[0].Start), r.Evidence[0].Text)
				}
				rules = append(rules, r.Rule+ev)
			}
			_, err := fmt.Fprintf(w, "  %s: %s; failed: %s\n", name, orDash(it.Result.Reason), strings.Join(rules, ", "))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// clock formats d as m:ss.cc.
func clock(d time.Duration) string {
	cs := d.Round(10*time.Millisecond) / (10 * time.Millisecond)
	return fmt.Sprintf("%d:%02d.%02d", cs/6000, cs/100%60, cs%100)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
