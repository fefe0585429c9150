package recname

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
)

// Default is the template used when recordings.name is empty: one folder per day, and the
// call id and the recording's number within the call, so no two recordings share a name.
const Default = "{{date}}/{{call.id}}-{{n}}.wav"

// Names are the names a template may use.
var Names = []string{
	"call.id", "call.called", "call.direction", "caller.number", "caller.name",
	"flow", "queue", "agent", "n",
	"date", "time", "year", "month", "day", "hour", "minute", "now",
}

// Template is a parsed recordings.name template, safe for concurrent use.
type Template struct {
	t *expr.Template
}

// Error is a problem with a template at byte Offset of its source (-1: the whole template).
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	return fmt.Sprintf("at character %d: %s", e.Offset+1, e.Msg)
}

// Parse checks src: a valid template that uses only Names, includes {{call.id}} and {{n}} (so
// recordings never overwrite each other), is relative, has no ".." and ends in ".wav".
// Empty src is Default.
func Parse(src string) (*Template, error) {
	if strings.TrimSpace(src) == "" {
		src = Default
	}
	t, err := expr.ParseTemplate(src)
	if err != nil {
		var xe *expr.Error
		if errors.As(err, &xe) {
			return nil, &Error{Offset: max(xe.Offset, 0), Msg: xe.Msg}
		}
		return nil, &Error{Offset: -1, Msg: err.Error()}
	}
	seen := map[string]bool{}
	for _, r := range t.Refs() {
		name := r.NS
		if r.Name != "" {
			name += "." + r.Name
		}
		if !slices.Contains(Names, name) {
			return nil, &Error{Offset: r.Offset, Msg: fmt.Sprintf("unknown name %q: use %s", name, strings.Join(Names, ", "))}
		}
		seen[name] = true
	}
	switch {
	case !seen["call.id"] || !seen["n"]:
		return nil, &Error{Offset: -1, Msg: "include {{call.id}} and {{n}} so that no two recordings get one name, e.g. " + Default}
	case strings.HasPrefix(src, "/") || filepath.IsAbs(src):
		return nil, &Error{Offset: 0, Msg: "write a path relative to recordings.dir (no leading /)"}
	case slices.Contains(strings.Split(src, "/"), ".."):
		return nil, &Error{Offset: strings.Index(src, ".."), Msg: `".." is not allowed: recordings stay inside recordings.dir`}
	case !strings.HasSuffix(src, ".wav"):
		return nil, &Error{Offset: len(src) - 1, Msg: `end the name with ".wav" (FreeSWITCH picks the format by the extension)`}
	}
	return &Template{t: t}, nil
}

// MustParse is Parse that panics, for templates in Go code and tests.
func MustParse(src string) *Template {
	t, err := Parse(src)
	if err != nil {
		panic(fmt.Sprintf("recname.MustParse(%q): %v", src, err))
	}
	return t
}

// String returns the template's source.
func (t *Template) String() string { return t.t.String() }

// Vars are what a recording's name may say about its call. Empty values render as "".
type Vars struct {
	CallID, Called, Direction string
	Caller, CallerName        string
	Flow, Queue, Agent        string
	// N is the recording's number within the call (1, 2, ...).
	N int
	// Time is when the recording starts, in the zone the date and time parts are wanted in.
	Time time.Time
}

// Lookup implements expr.Env, with every text value made safe for a file name.
func (v Vars) Lookup(ns, name string) (expr.Value, bool) {
	s := ""
	switch ns + "." + name {
	case "call.id":
		s = v.CallID
	case "call.called":
		s = v.Called
	case "call.direction":
		s = v.Direction
	case "caller.number":
		s = v.Caller
	case "caller.name":
		s = v.CallerName
	case "flow.":
		s = v.Flow
	case "queue.":
		s = v.Queue
	case "agent.":
		s = v.Agent
	case "n.":
		return expr.NumberValue(float64(v.N)), true
	case "now.":
		return expr.TimeValue(v.Time), true
	case "date.":
		s = v.Time.Format("2006-01-02")
	case "time.":
		s = v.Time.Format("150405")
	case "year.":
		s = v.Time.Format("2006")
	case "month.":
		s = v.Time.Format("01")
	case "day.":
		s = v.Time.Format("02")
	case "hour.":
		s = v.Time.Format("15")
	case "minute.":
		s = v.Time.Format("04")
	default:
		return expr.NullValue, false
	}
	return expr.StringValue(Safe(s)), true
}

// Path renders the template for v under dir. Every segment of the result is checked: a
// value cannot add a folder or climb out of dir.
func (t *Template) Path(dir string, v Vars) (string, error) {
	name, err := t.t.Render(v)
	if err != nil {
		return "", fmt.Errorf("recording name %q: %w", t.t.String(), err)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." || strings.HasPrefix(seg, "..") {
			return "", fmt.Errorf("recording name %q renders to %q, which leaves the recordings folder", t.t.String(), name)
		}
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("recording name %q renders to %q, which is not a file inside %s", t.t.String(), name, dir)
	}
	return p, nil
}

// Safe keeps the letters, digits, '+', '-' and '_' of s and writes '_' for anything else
// (a '/', '.', space or control character), so s is one harmless file-name part.
func Safe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '+':
			return r
		}
		return '_'
	}, s)
}
