package esl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Event is one FreeSWITCH event (or the channel data of an outbound connection). It is
// immutable once delivered and safe to share between goroutines.
type Event struct {
	headers []Header
	body    string
	// encoded is true when header values are URL-encoded as on the wire (text/event-plain and
	// channel data); JSON events carry literal values.
	encoded bool
	name    string
	hasVars bool
}

// newEventPlain parses a text/event-plain body.
func newEventPlain(s string) (*Event, error) {
	hs, body, err := parseHeaderString(s)
	if err != nil {
		return nil, fmt.Errorf("text/event-plain: %w", err)
	}
	return newEvent(hs, body, true), nil
}

// newEventJSON parses a text/event-json body: one JSON object of string values, "_body" being
// the event body.
func newEventJSON(s string) (*Event, error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		return nil, fmt.Errorf("%w: text/event-json: %v", ErrProtocol, err)
	}
	hs := make([]Header, 0, len(obj))
	body := ""
	for k, v := range obj {
		var sv string
		switch t := v.(type) {
		case string:
			sv = t
		case nil:
		default:
			b, _ := json.Marshal(t)
			sv = string(b)
		}
		if k == "_body" {
			body = sv
			continue
		}
		hs = append(hs, Header{Name: k, Value: sv})
	}
	// JSON objects have no order; Event-Name first, the rest sorted, so output is stable.
	sort.Slice(hs, func(i, j int) bool {
		if (hs[i].Name == "Event-Name") != (hs[j].Name == "Event-Name") {
			return hs[i].Name == "Event-Name"
		}
		return hs[i].Name < hs[j].Name
	})
	return newEvent(hs, body, false), nil
}

func newEvent(hs []Header, body string, encoded bool) *Event {
	e := &Event{headers: hs, body: body, encoded: encoded}
	for i := range hs {
		if hs[i].Name == "Event-Name" && e.name == "" {
			e.name = hs[i].Value
		}
		if !e.hasVars && strings.HasPrefix(hs[i].Name, "variable_") {
			e.hasVars = true
		}
	}
	return e
}

// NewEvent builds an event from decoded header values, for tests and tools.
func NewEvent(headers []Header, body string) *Event {
	return newEvent(append([]Header(nil), headers...), body, false)
}

// Name is the Event-Name header (CHANNEL_EXECUTE_COMPLETE, DTMF, ...).
func (e *Event) Name() string { return e.name }

// Get returns the decoded value of the first header with that name, or "".
func (e *Event) Get(name string) string {
	v, _ := e.Lookup(name)
	return v
}

// Lookup is Get that also says whether the header is present.
func (e *Event) Lookup(name string) (string, bool) {
	v, ok := lookup(e.headers, name)
	if ok && e.encoded {
		v = decodeValue(v)
	}
	return v, ok
}

// Var returns the channel variable name (header variable_<name>), or "".
func (e *Event) Var(name string) string { return e.Get("variable_" + name) }

// LookupVar is Var that also says whether the variable is set.
func (e *Event) LookupVar(name string) (string, bool) { return e.Lookup("variable_" + name) }

// Body is the event body (BACKGROUND_JOB's result, API output, ...), or "".
func (e *Event) Body() string { return e.body }

// UUID is the channel the event is about (Unique-ID), or "".
func (e *Event) UUID() string { return e.Get("Unique-ID") }

// Seq is Event-Sequence, FreeSWITCH's per-process event counter, or 0 if absent.
func (e *Event) Seq() uint64 {
	v, _ := lookup(e.headers, "Event-Sequence")
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}

// Headers returns the headers in wire order, values decoded.
func (e *Event) Headers() []Header {
	out := make([]Header, len(e.headers))
	for i, h := range e.headers {
		if e.encoded {
			h.Value = decodeValue(h.Value)
		}
		out[i] = h
	}
	return out
}

// String is a short description for logs: name, channel and sequence.
func (e *Event) String() string {
	return fmt.Sprintf("%s uuid=%s seq=%d", e.name, e.UUID(), e.Seq())
}
