package ivr

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says how bad a Diagnostic is.
type Severity uint8

// Severities, worst first.
const (
	// SevError: the flow cannot be used until it is fixed.
	SevError Severity = iota
	// SevWarning: the flow works but is probably not what the designer meant (dead ends,
	// unreachable steps, ...). `ivrd flows lint --strict` fails on warnings too.
	SevWarning
	// SevNote: information, such as the worst-case time until a caller reaches a person.
	SevNote
)

func (s Severity) String() string {
	switch s {
	case SevError:
		return "error"
	case SevWarning:
		return "warning"
	}
	return "note"
}

// Diagnostic is one finding about a flow file, printed as
// "flows/x.yaml:12:5: error: unknown step "mian" in menu option 1 (did you mean "main"?)".
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// Diagnostics is a list of findings. As an error it reads as its errors, one per line.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	return ds.Count(SevError) > 0
}

// Count returns how many diagnostics have severity s.
func (ds Diagnostics) Count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Err returns the diagnostics as an error when there are errors among them, else nil.
func (ds Diagnostics) Err() error {
	if !ds.HasErrors() {
		return nil
	}
	return &FlowError{Diagnostics: ds}
}

// Sort orders diagnostics by file, line and column (stable for equal places).
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}

// FlowError is returned when flows have errors; it lists every error, one per line.
type FlowError struct {
	Diagnostics Diagnostics
}

func (e *FlowError) Error() string {
	var b strings.Builder
	n := 0
	for _, d := range e.Diagnostics {
		if d.Severity != SevError {
			continue
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
		n++
	}
	return b.String()
}

// diags collects diagnostics while a file is parsed.
type diags struct {
	file string
	list Diagnostics
}

func (d *diags) add(sev Severity, p Pos, format string, args ...any) {
	if p.File == "" {
		p.File = d.file
	}
	d.list = append(d.list, Diagnostic{Pos: p, Severity: sev, Msg: fmt.Sprintf(format, args...)})
}

func (d *diags) errorf(p Pos, format string, args ...any) { d.add(SevError, p, format, args...) }

func (d *diags) warnf(p Pos, format string, args ...any) { d.add(SevWarning, p, format, args...) }

// didYouMean returns ` (did you mean "x"?)` when a candidate is close to word, else "".
func didYouMean(word string, candidates []string) string {
	if c := closest(word, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}
