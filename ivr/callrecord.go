package ivr

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Outcome is how a call ended, from the business's point of view.
type Outcome string

// The outcomes a call record can have.
const (
	// OutcomeSelfServed: the flow finished the call itself (the caller got what they needed
	// from the IVR, e.g. their balance).
	OutcomeSelfServed Outcome = "self-served"
	// OutcomeTransferred: the caller was bridged or transferred to a person or number.
	OutcomeTransferred Outcome = "transferred"
	// OutcomeQueued: the caller went to an agent queue.
	OutcomeQueued Outcome = "queued"
	// OutcomeCallback: a callback was registered for the caller.
	OutcomeCallback Outcome = "callback registered"
	// OutcomeAbandoned: the caller hung up before the flow finished.
	OutcomeAbandoned Outcome = "abandoned"
	// OutcomeError: the call ended because of a fault (a broken flow, FreeSWITCH gone).
	OutcomeError Outcome = "error"
)

// EventKind says what a call event records.
type EventKind string

// The kinds of event in a call record's timeline.
const (
	EventStep     EventKind = "step"     // a step was entered (Step = its name, Detail = its kind)
	EventDigits   EventKind = "digits"   // digits pressed (Detail = the digits, or timeout/invalid)
	EventVar      EventKind = "var"      // a variable set (Detail = name=value)
	EventLanguage EventKind = "language" // the caller's language chosen
	EventHours    EventKind = "hours"    // a calendar checked, and what it said
	EventLookup   EventKind = "lookup"   // an HTTP lookup and its result
	EventBridge   EventKind = "bridge"   // a bridge attempt and its result
	EventQueue    EventKind = "queue"    // queue joined / left
	EventCallback EventKind = "callback" // a callback registered
	EventSMS      EventKind = "sms"      // a text sent
	EventRecord   EventKind = "record"   // recording started / stopped
	EventFlow     EventKind = "flow"     // subflow entered / returned
	EventError    EventKind = "error"    // something failed (the flow may go on)
	EventHangup   EventKind = "hangup"   // the call ended
)

// CallEvent is one line of a call's timeline.
type CallEvent struct {
	At     time.Time
	Kind   EventKind
	Step   string // the step running when it happened ("" outside steps)
	Detail string
}

// CallRecord is everything ivrd keeps about one call: who called which number, which flow
// version answered, every step entered, digit pressed and variable set, and the outcome.
// The runtime builds it on the call goroutine; CallRecordWriter stores it in PostgreSQL when
// the call ends; LoadCallRecord reads it back.
type CallRecord struct {
	ID          string
	Caller      string
	Called      string
	Flow        string
	FlowVersion string
	Language    string

	StartedAt time.Time
	EndedAt   time.Time
	// IVREndedAt is when the caller left self-service (queued, transferred, or the end).
	IVREndedAt time.Time
	// Talk is the time bridged to an agent or endpoint.
	Talk time.Duration

	Outcome     Outcome
	HangupCause string
	// Error is the fault behind OutcomeError ("" otherwise).
	Error string
	// Tags are the step tags the call passed (follow-up rules and reports match them).
	Tags []string
	// Vars are the flow variables at the end of the call, rendered as text.
	Vars map[string]string
	// Recordings made during the call (record steps). Not stored with the record: the
	// recordings lifecycle (an OnCallEnded hook) takes them from here.
	Recordings []Recording

	Events []CallEvent
}

// Duration is the whole call's length.
func (r *CallRecord) Duration() time.Duration { return r.EndedAt.Sub(r.StartedAt) }

// IVRDuration is the time the caller spent in the IVR before reaching a person (or the end).
func (r *CallRecord) IVRDuration() time.Duration {
	if r.IVREndedAt.IsZero() {
		return r.Duration()
	}
	return r.IVREndedAt.Sub(r.StartedAt)
}

// HasTag reports whether the call passed a step tagged tag.
func (r *CallRecord) HasTag(tag string) bool {
	for _, t := range r.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Steps returns the names of the steps entered, in order.
func (r *CallRecord) Steps() []string {
	var out []string
	for _, e := range r.Events {
		if e.Kind == EventStep {
			out = append(out, e.Step)
		}
	}
	return out
}

// WriteTimeline prints the record for people (what `ivrd calls show ID` shows): a header,
// then one line per event with its offset from the start of the call.
func (r *CallRecord) WriteTimeline(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "call      %s\n", r.ID)
	fmt.Fprintf(&b, "from      %s\n", r.Caller)
	fmt.Fprintf(&b, "to        %s\n", r.Called)
	fmt.Fprintf(&b, "flow      %s (version %s)\n", r.Flow, r.FlowVersion)
	if r.Language != "" {
		fmt.Fprintf(&b, "language  %s\n", r.Language)
	}
	fmt.Fprintf(&b, "started   %s\n", r.StartedAt.Format(time.RFC3339))
	fmt.Fprintf(&b, "duration  %s (IVR %s, talk %s)\n", roundDur(r.Duration()), roundDur(r.IVRDuration()), roundDur(r.Talk))
	fmt.Fprintf(&b, "outcome   %s", r.Outcome)
	if r.HangupCause != "" {
		fmt.Fprintf(&b, " (hangup %s)", r.HangupCause)
	}
	b.WriteString("\n")
	if r.Error != "" {
		fmt.Fprintf(&b, "error     %s\n", r.Error)
	}
	if len(r.Tags) > 0 {
		fmt.Fprintf(&b, "tags      %s\n", strings.Join(r.Tags, ", "))
	}
	if len(r.Vars) > 0 {
		names := make([]string, 0, len(r.Vars))
		for k := range r.Vars {
			names = append(names, k)
		}
		sort.Strings(names)
		b.WriteString("vars     ")
		for _, k := range names {
			fmt.Fprintf(&b, " %s=%q", k, r.Vars[k])
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, e := range r.Events {
		off := e.At.Sub(r.StartedAt)
		step := e.Step
		if step == "" {
			step = "-"
		}
		fmt.Fprintf(&b, "%8s  %-9s %-18s %s\n", fmtOffset(off), e.Kind, step, e.Detail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func roundDur(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
