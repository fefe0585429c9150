package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
)

// call is one call's state. Only the call's goroutine touches it.
type call struct {
	rt    *Runtime
	ch    Channel
	clock Clock
	log   *slog.Logger
	opts  CallOptions

	flow    *Flow
	version string
	stack   []frame // subflows entered (call:), innermost last
	vars    map[string]expr.Value
	lang    string
	rec     *CallRecord
	cur     *Step

	// pending is a key that interrupted a play step: the next menu or input gets it first.
	pending string
	// recording is the path of the recording running ("" none); bridgeRec asks to record
	// the next bridge only.
	recording    string
	recordStereo bool
	bridgeRec    bool
	recN         int
	recState     recordState // what the queue policy and the channel's RECORD_* variables are

	outcome    Outcome // the business outcome reached so far ("" none yet)
	selfServed bool    // a step tagged self-served ran
	over       bool    // the flow ended the call (hangup, transfer): stop walking
	hungUp     bool    // the caller hung up
	failed     error   // a fault ended the call
}

// frame is where a subflow returns to.
type frame struct {
	flow    *Flow
	version string
	next    *Step
}

// maxSubflowDepth bounds nested call: steps (a flow calling itself forever).
const maxSubflowDepth = 16

// talkTimeout bounds bridges and queues, which last as long as a conversation. Quick channel
// commands get Config.CommandTimeout, prompts and digit collection Config.MediaTimeout.
const talkTimeout = 12 * time.Hour

func (rt *Runtime) newCall(ch Channel, opts CallOptions) *call {
	clock := opts.Clock
	if clock == nil {
		clock = rt.cfg.Clock
	}
	if opts.Direction == "" {
		opts.Direction = "inbound"
	}
	c := &call{
		rt: rt, ch: ch, clock: clock, opts: opts,
		log:  rt.log.With("call", ch.ID(), "flow", opts.Flow),
		vars: make(map[string]expr.Value, 8),
	}
	c.rec = &CallRecord{
		ID:        ch.ID(),
		Caller:    ch.Caller(),
		Called:    ch.Called(),
		Flow:      opts.Flow,
		StartedAt: clock.Now(),
		Events:    make([]CallEvent, 0, 32),
	}
	return c
}

// Lookup implements expr.Env: vars.*, caller.number, caller.name, call.called, call.id,
// call.language, call.direction and now.
func (c *call) Lookup(ns, name string) (expr.Value, bool) {
	switch ns {
	case "vars":
		v, ok := c.vars[name]
		return v, ok
	case "caller":
		switch name {
		case "number":
			return expr.StringValue(c.ch.Caller()), true
		case "name":
			return expr.StringValue(c.opts.CallerName), true
		}
	case "call":
		switch name {
		case "called":
			return expr.StringValue(c.ch.Called()), true
		case "id":
			return expr.StringValue(c.ch.ID()), true
		case "language":
			return expr.StringValue(c.lang), true
		case "direction":
			return expr.StringValue(c.opts.Direction), true
		}
	case "now":
		return expr.TimeValue(c.now()), true
	}
	return expr.NullValue, false
}

// now is the clock's time in the flow's time zone.
func (c *call) now() time.Time {
	t := c.clock.Now()
	if c.flow != nil && c.flow.Location != nil {
		t = t.In(c.flow.Location)
	}
	return t
}

// event appends to the call record's timeline.
func (c *call) event(kind EventKind, detail string) {
	step := ""
	if c.cur != nil {
		step = c.cur.Name
	}
	c.rec.Events = append(c.rec.Events, CallEvent{At: c.clock.Now(), Kind: kind, Step: step, Detail: detail})
}

// setVar stores a flow variable and records it.
func (c *call) setVar(name string, v expr.Value) {
	c.vars[name] = v
	c.event(EventVar, name+"="+v.String())
}

// quick returns a context for a command that does not wait for the caller.
func (c *call) quick(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.rt.cfg.CommandTimeout)
}

// run walks the flow until the call ends.
func (c *call) run(ctx context.Context) {
	defer c.finish(ctx)
	flow, version, err := c.rt.cfg.Flows.Flow(c.opts.Flow)
	if err != nil {
		c.fail(fmt.Errorf("start flow: %w", err))
		return
	}
	c.flow, c.version = flow, version
	c.rec.Flow, c.rec.FlowVersion = flow.Name, version
	c.lang = c.opts.Language
	if c.lang == "" {
		c.lang = flow.DefaultLanguage
	}
	if c.lang == "" {
		c.lang = DefaultLanguage
	}
	c.rec.Language = c.lang
	c.initVars(flow)
	for k, v := range c.opts.Vars {
		c.vars[k] = v
	}

	if !c.opts.NoAnswer {
		qctx, cancel := c.quick(ctx)
		err := c.ch.Answer(qctx)
		cancel()
		if err != nil {
			c.channelErr(fmt.Errorf("answer: %w", err))
			return
		}
	}

	step := flow.Start
	for n := 0; step != nil; n++ {
		if n >= c.rt.cfg.MaxSteps {
			c.fail(fmt.Errorf("loop guard: the call ran %d steps without ending (last %s at %s); check the flow for a loop without an exit",
				n, step.Name, step.Pos))
			return
		}
		if err := ctx.Err(); err != nil {
			c.fail(fmt.Errorf("ivrd is stopping: %w", err))
			return
		}
		c.enter(step)
		next, err := c.exec(ctx, step)
		if err != nil {
			c.channelErr(fmt.Errorf("step %s (%s at %s): %w", step.Name, step.Kind, step.Pos, err))
			return
		}
		if c.over || c.failed != nil {
			return
		}
		step = next
	}
	// The flow ran out of steps: a dead end ends the call politely.
	c.endFlow(ctx, DefaultHangupCause)
}

// initVars sets the flow's declared variables to their defaults.
func (c *call) initVars(f *Flow) {
	for k, v := range f.Vars {
		if _, set := c.vars[k]; !set {
			c.vars[k] = v
		}
	}
}

// enter records a step being entered.
func (c *call) enter(s *Step) {
	c.cur = s
	c.event(EventStep, string(s.Kind))
	if c.opts.OnStep != nil {
		c.opts.OnStep(c.flow, s)
	}
	if s.Tag != "" {
		if !c.rec.HasTag(s.Tag) {
			c.rec.Tags = append(c.rec.Tags, s.Tag)
		}
		if s.Tag == "self-served" || s.Tag == "self_served" {
			c.selfServed = true
		}
	}
}

// channelErr ends the walk after a channel command failed: a hangup is the caller leaving,
// anything else a fault.
func (c *call) channelErr(err error) {
	if errors.Is(err, ErrHangup) {
		c.hungUp = true
		c.event(EventHangup, "caller hung up")
		return
	}
	c.fail(err)
}

// fail records a fault that ends the call.
func (c *call) fail(err error) {
	if c.failed == nil {
		c.failed = err
		c.event(EventError, err.Error())
		c.log.Error("call ended by a fault", "err", err)
	}
}

// reach records a business outcome (the last one reached wins).
func (c *call) reach(o Outcome) {
	c.outcome = o
	if o == OutcomeQueued || o == OutcomeTransferred {
		if c.rec.IVREndedAt.IsZero() {
			c.rec.IVREndedAt = c.clock.Now()
		}
	}
}

// endFlow hangs up because the flow ended the call.
func (c *call) endFlow(ctx context.Context, cause string) {
	c.over = true
	c.stopRecording(ctx)
	qctx, cancel := c.quick(ctx)
	defer cancel()
	if err := c.ch.Hangup(qctx, cause); err != nil && !errors.Is(err, ErrHangup) {
		c.log.Warn("hangup failed", "err", err)
	}
}

// finish completes the record: outcome, durations, final variables.
func (c *call) finish(ctx context.Context) {
	if c.hungUp && c.recording != "" {
		// FreeSWITCH closes the file itself when the call ends.
		c.rec.Recordings = append(c.rec.Recordings, Recording{Path: c.recording})
		c.recording = ""
	}
	if !c.over && !c.hungUp {
		// A fault ended the walk: do not leave the caller in silence.
		c.stopRecording(ctx)
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.rt.cfg.CommandTimeout)
		cause := DefaultHangupCause
		if c.failed != nil {
			cause = "NORMAL_TEMPORARY_FAILURE"
		}
		if err := c.ch.Hangup(hctx, cause); err != nil && !errors.Is(err, ErrHangup) {
			c.log.Warn("hangup after the flow failed", "err", err)
		}
		cancel()
	}
	r := c.rec
	r.EndedAt = c.clock.Now()
	r.Language = c.lang
	r.HangupCause = c.ch.HangupCause()
	switch {
	case c.failed != nil:
		r.Outcome = OutcomeError
		r.Error = c.failed.Error()
	case c.outcome != "":
		r.Outcome = c.outcome
	case c.hungUp && !c.selfServed:
		r.Outcome = OutcomeAbandoned
	default:
		r.Outcome = OutcomeSelfServed
	}
	if r.IVREndedAt.IsZero() {
		r.IVREndedAt = r.EndedAt
	}
	r.Vars = make(map[string]string, len(c.vars))
	for k, v := range c.vars {
		r.Vars[k] = v.String()
	}
	c.event(EventHangup, fmt.Sprintf("%s (%s)", r.Outcome, r.HangupCause))
}

// varsText renders the call's variables as text.
func (c *call) varsText() map[string]string {
	m := make(map[string]string, len(c.vars))
	for k, v := range c.vars {
		m[k] = v.String()
	}
	return m
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// describeErr shortens an error for the timeline.
func describeErr(err error) string {
	s := err.Error()
	if len(s) > 160 {
		return s[:157] + "..."
	}
	return s
}
