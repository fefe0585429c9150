package ivr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// QueueConfig is one named queue in ivrd.yaml under queues: agents and limits. What callers
// hear while they wait (music, announcements, promotions, keys) is the flow's hold treatment;
// the queue says who answers and how long callers may wait.
//
//	queues:
//	  cards:
//	    agents: [user/1001, user/1002]
//	    ring_timeout: 15s
//	    wrap_up: 10s
//	    max_wait: 10m
//	    max_length: 50
//	    text_key: "1"
//	    variants: [A, B]
//	    record: bridge
//	    stereo: true
type QueueConfig struct {
	// Agents are FreeSWITCH endpoints such as user/1001 or sofia/gateway/carrier/5551234.
	// They start logged in; the HTTP API and `ivrd queue login|logout` change that.
	Agents []string `yaml:"agents"`
	// RingTimeout is how long one agent rings before the next is tried (default 15s).
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// WrapUp is the time an agent gets after a call before the next one (default 0).
	WrapUp time.Duration `yaml:"wrap_up"`
	// BusyDelay is how long an agent who did not answer, was busy or failed rests before it
	// is rung again (default 10s), so a queue does not hammer an agent who is away.
	BusyDelay time.Duration `yaml:"busy_delay"`
	// MaxWait bounds every caller's wait when the flow's step sets none (0: no limit); then
	// the step's on_timeout (the overflow step) runs.
	MaxWait time.Duration `yaml:"max_wait"`
	// MaxLength is the most callers waiting at once (0: no limit); a caller arriving at a
	// full queue goes straight to the step's on_timeout.
	MaxLength int `yaml:"max_length"`
	// KeepPlace is how long a caller who left with a hold key (for a text, or to book a
	// callback) keeps their place (default 2m): coming back to the queue within it, or a
	// callback booked within it, resumes at that place.
	KeepPlace time.Duration `yaml:"keep_place"`
	// TextKey and CallbackKey name the hold keys that mean "text me" and "call me back"
	// (defaults "1" and "2"), for the service-level figures and the promotion report.
	TextKey     string `yaml:"text_key"`
	CallbackKey string `yaml:"callback_key"`
	// Variants are the promotion variants (A/B) callers are assigned to, in turn by a hash of
	// the call id. Variant i (0-based) hears the hold's promotions starting at promotion i.
	// Empty: one variant "A".
	Variants []string `yaml:"variants"`
	// Record is what is recorded of a caller who joins the queue when the flow ran no
	// record step (a flow's record step wins): "bridge" (default) the conversation with the
	// agent only, "whole" from joining the queue to the end of the call, "none" nothing.
	Record RecordMode `yaml:"record"`
	// Stereo records the caller left and the agent right (default true); false: mono.
	Stereo *bool `yaml:"stereo"`
}

// RecordNone is queues.<q>.record: none, recording nothing.
const RecordNone RecordMode = "none"

// QueueRecording is a queue's recording policy (queues.<q>.record and stereo).
type QueueRecording struct {
	Mode   RecordMode // RecordBridge, RecordWhole or RecordNone
	Stereo bool
}

// QueueRecordingPolicy is implemented by a QueueJoiner that knows its queues' recording
// policies; the runtime applies the policy when a caller whose flow ran no record step joins
// the queue. ok is false for a queue it does not know.
type QueueRecordingPolicy interface {
	QueueRecording(queue string) (p QueueRecording, ok bool)
}

// recording is the queue's policy with its defaults (bridge, stereo).
func (q *QueueConfig) recording() QueueRecording {
	p := QueueRecording{Mode: orDefault(q.Record, RecordBridge), Stereo: true}
	if q.Stereo != nil {
		p.Stereo = *q.Stereo
	}
	return p
}

var (
	_ QueueRecordingPolicy = (*QueueEngine)(nil)
	_ QueueRecordingPolicy = (*AgentRollover)(nil)
)

// QueueRecording implements QueueRecordingPolicy (the config is read-only after NewQueueEngine).
func (e *QueueEngine) QueueRecording(queue string) (QueueRecording, bool) {
	qc, ok := e.opts.Queues[queue]
	if !ok {
		return QueueRecording{}, false
	}
	if qc == nil {
		qc = &QueueConfig{}
	}
	return qc.recording(), true
}

// QueueRecording implements QueueRecordingPolicy.
func (a *AgentRollover) QueueRecording(queue string) (QueueRecording, bool) {
	qc := a.Queues[queue]
	if qc == nil {
		return QueueRecording{}, false
	}
	return qc.recording(), true
}

// Validate implements config's Validator.
func (q *QueueConfig) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, a := range q.Agents {
		at := func(err error) error { return &queueFieldError{path: []any{"agents", i}, err: err} }
		switch {
		case a == "" || strings.ContainsAny(a, " \t\r\n"):
			errs = append(errs, at(fmt.Errorf("agent %q: write a FreeSWITCH endpoint without spaces, e.g. user/1001", a)))
		case !strings.Contains(a, "/"):
			errs = append(errs, at(fmt.Errorf("agent %q: write a FreeSWITCH endpoint such as user/%s or sofia/gateway/NAME/%s", a, a, a)))
		case seen[a]:
			errs = append(errs, at(fmt.Errorf("agent %q is listed twice", a)))
		}
		seen[a] = true
	}
	if q.RingTimeout < 0 || q.WrapUp < 0 || q.MaxWait < 0 || q.KeepPlace < 0 || q.BusyDelay < 0 {
		errs = append(errs, errors.New("ring_timeout, wrap_up, busy_delay, max_wait and keep_place must not be negative"))
	}
	switch q.Record {
	case "", RecordBridge, RecordWhole, RecordNone:
	default:
		errs = append(errs, &queueFieldError{path: []any{"record"}, err: fmt.Errorf("record %q: write bridge (the agent conversation), whole (the whole call from the queue on) or none", q.Record)})
	}
	if q.MaxLength < 0 {
		errs = append(errs, errors.New("max_length must not be negative (0: no limit)"))
	}
	if q.TextKey != "" && q.TextKey == q.CallbackKey {
		errs = append(errs, fmt.Errorf("text_key and callback_key are both %q: give them different keys", q.TextKey))
	}
	for _, k := range []string{q.TextKey, q.CallbackKey} {
		if len(k) > 1 || !validDigits(k) {
			errs = append(errs, fmt.Errorf("hold key %q: use one key of 0-9, * or #", k))
		}
	}
	return errors.Join(errs...)
}

// queueFieldError is a problem with one value of a QueueConfig. FieldPath (YAML keys and list
// indexes below the queue) lets `ivrd config check` point at that value in ivrd.yaml.
type queueFieldError struct {
	path []any
	err  error
}

func (e *queueFieldError) Error() string    { return e.err.Error() }
func (e *queueFieldError) Unwrap() error    { return e.err }
func (e *queueFieldError) FieldPath() []any { return e.path }

func (q *QueueConfig) ringTimeout() time.Duration { return orDefault(q.RingTimeout, 15*time.Second) }
func (q *QueueConfig) busyDelay() time.Duration   { return orDefault(q.BusyDelay, 10*time.Second) }
func (q *QueueConfig) keepPlace() time.Duration   { return orDefault(q.KeepPlace, 2*time.Minute) }
func (q *QueueConfig) textKey() string            { return orDefault(q.TextKey, "1") }
func (q *QueueConfig) callbackKey() string        { return orDefault(q.CallbackKey, "2") }
func (q *QueueConfig) variants() []string {
	if len(q.Variants) == 0 {
		return []string{"A"}
	}
	return q.Variants
}
