package ivr

import (
	"context"
	"fmt"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
)

// exec runs one step and returns the next one (nil: the flow ends and the call hangs up).
// An error is a channel failure (the caller hung up, FreeSWITCH went away); problems of the
// flow itself (an expression that fails, a lookup that times out) are recorded and the flow
// takes its failure branch.
func (c *call) exec(ctx context.Context, s *Step) (*Step, error) {
	switch s.Kind {
	case KindPlay:
		return c.execPlay(ctx, s)
	case KindMenu:
		return c.execMenu(ctx, s)
	case KindInput:
		return c.execInput(ctx, s)
	case KindLanguage:
		return c.execLanguage(ctx, s)
	case KindSet:
		for _, a := range s.Set.Assign {
			v, err := a.Value.Value(c)
			if err != nil {
				c.event(EventError, fmt.Sprintf("set %s: %v", a.Var, err))
				v = expr.NullValue
			}
			c.setVar(a.Var, v)
		}
		return s.Next, nil
	case KindIf:
		if c.cond(s.If.Cond) {
			return s.If.Then, nil
		}
		return s.If.Else, nil
	case KindSwitch:
		for _, cs := range s.Switch.Cases {
			if c.cond(cs.When) {
				return cs.Step, nil
			}
		}
		return s.Switch.Else, nil
	case KindHours:
		return c.execHours(s)
	case KindLookup:
		return c.execLookup(ctx, s)
	case KindQueue:
		return c.execQueue(ctx, s)
	case KindTransfer:
		return c.execTransfer(ctx, s)
	case KindCallback:
		return c.execCallback(ctx, s)
	case KindSMS:
		return c.execSMS(ctx, s)
	case KindRecord:
		return c.execRecord(ctx, s)
	case KindCall:
		return c.execSubflow(s)
	case KindReturn:
		if len(c.stack) == 0 {
			// return in a flow that was not called: the call ends.
			c.endFlow(ctx, DefaultHangupCause)
			return nil, nil
		}
		f := c.stack[len(c.stack)-1]
		c.stack = c.stack[:len(c.stack)-1]
		c.flow, c.version = f.flow, f.version
		c.event(EventFlow, "return to "+f.flow.Name)
		return f.next, nil
	case KindGoto:
		return s.Goto.Target, nil
	case KindHangup:
		cause := s.Hangup.Cause
		if cause == "" {
			cause = DefaultHangupCause
		}
		c.endFlow(ctx, cause)
		return nil, nil
	}
	return nil, fmt.Errorf("step kind %q is not supported by this ivrd", s.Kind)
}

// cond evaluates a condition; an evaluation error counts as false and is recorded.
func (c *call) cond(e *expr.Expr) bool {
	if e == nil {
		return false
	}
	ok, err := e.EvalBool(c)
	if err != nil {
		c.event(EventError, fmt.Sprintf("condition %q: %v (taken as false)", e.String(), err))
		return false
	}
	return ok
}

// execPlay plays audio; with barge-in a key stops it and is kept for the next menu or input.
func (c *call) execPlay(ctx context.Context, s *Step) (*Step, error) {
	media := c.media(s.Play.Audio)
	term := ""
	if s.Play.BargeIn {
		term = allDigits
	}
	pctx, cancel := context.WithTimeout(ctx, c.rt.cfg.MediaTimeout)
	defer cancel()
	d, err := c.ch.Play(pctx, media, term)
	if err != nil {
		return nil, fmt.Errorf("play: %w", err)
	}
	if d != "" {
		c.pending = d
		c.event(EventDigits, d+" (barge-in)")
	}
	return s.Next, nil
}

// execHours branches on the calendar at the clock's time.
func (c *call) execHours(s *Step) (*Step, error) {
	h := s.Hours
	cal := h.Calendar
	if cal == nil {
		cal = c.rt.cfg.Calendars[h.CalendarName]
	}
	if cal == nil {
		c.event(EventError, fmt.Sprintf("calendar %q is not configured (calendars: in ivrd.yaml); taken as closed", h.CalendarName))
		return h.Closed, nil
	}
	now := c.clock.Now()
	state, holiday := cal.State(now)
	next := h.Closed
	switch state {
	case CalendarOpen:
		next = h.Open
	case CalendarHoliday:
		next = h.Holiday
	}
	loc := cal.Location
	if loc == nil {
		loc = time.UTC
	}
	detail := fmt.Sprintf("calendar %s at %s: %s", h.CalendarName, now.In(loc).Format("Mon 2006-01-02 15:04 MST"), state)
	if holiday != nil && holiday.Name != "" {
		detail += " (" + holiday.Name + ")"
	}
	c.event(EventHours, detail)
	return next, nil
}

// execSubflow enters another flow; its return step comes back to s.Next.
func (c *call) execSubflow(s *Step) (*Step, error) {
	if len(c.stack) >= maxSubflowDepth {
		c.fail(fmt.Errorf("subflow %s: more than %d nested calls (a flow calling itself?)", s.Call.FlowName, maxSubflowDepth))
		return nil, nil
	}
	target, version := s.Call.Flow, c.version
	if target == nil {
		f, v, err := c.rt.cfg.Flows.Flow(s.Call.FlowName)
		if err != nil {
			c.fail(fmt.Errorf("subflow: %w", err))
			return nil, nil
		}
		target, version = f, v
	}
	c.stack = append(c.stack, frame{flow: c.flow, version: c.version, next: s.Next})
	c.flow, c.version = target, version
	c.initVars(target)
	c.event(EventFlow, "enter "+target.Name)
	return target.Start, nil
}
