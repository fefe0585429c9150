package ivr

import (
	"fmt"
	"io"
	"strings"
)

// WriteScenarioReport prints results for people: a PASS or FAIL line per scenario with its
// file:line, and for each failure the expectation's line, what was expected, what happened,
// and the call's transcript. verbose prints transcripts of passing scenarios too. It returns
// how many failed.
func WriteScenarioReport(w io.Writer, results []*ScenarioResult, verbose bool) (failed int, err error) {
	var b strings.Builder
	for _, r := range results {
		if r.Passed() {
			fmt.Fprintf(&b, "PASS %s:%d %s\n", r.File, r.Scenario.Line, r.Scenario.Name)
			if verbose {
				writeTranscript(&b, r)
			}
			continue
		}
		failed++
		fmt.Fprintf(&b, "FAIL %s:%d %s\n", r.File, r.Scenario.Line, r.Scenario.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "  %s:%d: %s\n", r.File, f.Line, f.What)
			if f.Expected != "" || f.Got != "" {
				fmt.Fprintf(&b, "    expected: %s\n", f.Expected)
				fmt.Fprintf(&b, "    got:      %s\n", f.Got)
			}
			if f.Note != "" {
				fmt.Fprintf(&b, "    %s\n", f.Note)
			}
		}
		writeTranscript(&b, r)
	}
	_, err = io.WriteString(w, b.String())
	return failed, err
}

func writeTranscript(b *strings.Builder, r *ScenarioResult) {
	b.WriteString("  what happened:\n")
	for _, e := range r.Transcript {
		fmt.Fprintf(b, "    %s\n", e)
	}
	rec := r.Record
	if rec == nil {
		return
	}
	fmt.Fprintf(b, "    steps:   %s\n", listText(rec.Steps()))
	fmt.Fprintf(b, "    outcome: %s", rec.Outcome)
	if rec.Error != "" {
		fmt.Fprintf(b, " (%s)", rec.Error)
	}
	b.WriteString("\n")
	for _, e := range rec.Events {
		switch e.Kind {
		case EventError, EventLookup, EventSMS, EventCallback, EventQueue, EventBridge:
			fmt.Fprintf(b, "    %-8s %s: %s\n", e.Kind, e.Step, e.Detail)
		}
	}
}
