package daemon

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/metrics"
	"github.com/ivrd/ivrd/sms"
	"github.com/ivrd/ivrd/web"
)

// activeCall is a call in progress, for the status page.
type activeCall struct {
	id, caller, called, flow, direction string
	started                             time.Time
}

// callTable tracks the calls in progress.
type callTable struct {
	mu sync.Mutex
	m  map[string]*activeCall
}

func (t *callTable) add(c *activeCall) {
	t.mu.Lock()
	t.m[c.id] = c
	t.mu.Unlock()
}

func (t *callTable) remove(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

func (t *callTable) list() []web.CallStatus {
	t.mu.Lock()
	out := make([]web.CallStatus, 0, len(t.m))
	for _, c := range t.m {
		out = append(out, web.CallStatus{ID: c.id, Direction: c.direction, Caller: c.caller, Called: c.called, Flow: c.flow, StartedAt: c.started})
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out
}

// Count is how many calls are in progress.
func (d *Daemon) ActiveCalls() int {
	d.calls.mu.Lock()
	defer d.calls.mu.Unlock()
	return len(d.calls.m)
}

// handleCall runs one call FreeSWITCH sent to the outbound socket: route it to its flow and
// run the flow on it. Calls run under callsCtx, not the server's context, so that Stop lets
// them finish until the grace period ends.
func (d *Daemon) handleCall(_ context.Context, call *esl.Call) {
	data := call.ChannelData()
	flow := call.Var(FlowVar)
	if flow == "" {
		flow = d.router.Flow(call.CalledNumber())
	}
	// A callback leg carries its request's reason, queue and language for the callback flow.
	opts := ivr.CallOptions{Flow: flow, CallerName: call.CallerName(), Vars: callback.FlowVars(call.Var)}
	if data.Get("Call-Direction") == "outbound" {
		opts.Direction = "outbound"
		opts.NoAnswer = data.Get("Answer-State") == "answered"
	}
	ac := &activeCall{id: call.UUID(), caller: call.CallerNumber(), called: call.CalledNumber(), flow: flow,
		direction: orDefault(opts.Direction, "inbound"), started: time.Now()}
	d.calls.add(ac)
	defer d.calls.remove(ac.id)
	gauge := d.metrics.CallsInProgress.WithLabelValues(orDefault(data.Get("FreeSWITCH-Switchname"), "freeswitch"))
	gauge.Inc()
	defer gauge.Dec()
	log := d.log.With("call", call.UUID())
	if flow == "" {
		log.Error("no flow for this call: no route matches the called number and there is no default flow; hanging up",
			"called", call.CalledNumber(), "check", "flows.routes and flows.default in ivrd.yaml")
	}
	d.rt.Run(d.callsCtx, ivr.NewESLChannel(call, log), opts)
}

// callEnded counts the call and hands it to the follow-up text rules.
func (d *Daemon) callEnded(ctx context.Context, rec *ivr.CallRecord) {
	d.metrics.CallsTotal.WithLabelValues(rec.Flow, metricOutcome(rec.Outcome)).Inc()
	d.log.Info("call ended", "call", rec.ID, "caller", rec.Caller, "called", rec.Called, "flow", rec.Flow+"@"+rec.FlowVersion,
		"outcome", string(rec.Outcome), "hangup", rec.HangupCause, "duration", rec.Duration().Round(100*time.Millisecond),
		"steps", len(rec.Steps()))
	if d.db == nil || !d.db.ready.Load() {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := d.db.sms.FollowUps.OnCallEnded(fctx, FinishedCall(rec))
	if err != nil {
		d.log.Warn("follow-up texts for the call failed", "call", rec.ID, "err", err)
		return
	}
	for _, r := range res {
		if r.Skipped != "" {
			d.log.Info("follow-up text not sent", "call", rec.ID, "rule", r.Rule, "why", r.Skipped)
		}
	}
}

// FinishedCall is the sms follow-up rules' view of a call record. Outcomes are the rules'
// words: completed (self-served), abandoned, transferred, queued, callback, failed; a call
// that passed a step tagged after_hours and was not served by a person is after_hours.
func FinishedCall(rec *ivr.CallRecord) sms.FinishedCall {
	outcome := map[ivr.Outcome]string{
		ivr.OutcomeSelfServed:  "completed",
		ivr.OutcomeAbandoned:   "abandoned",
		ivr.OutcomeTransferred: "transferred",
		ivr.OutcomeQueued:      "queued",
		ivr.OutcomeCallback:    "callback",
		ivr.OutcomeError:       "failed",
	}[rec.Outcome]
	if rec.HasTag("after_hours") && rec.Outcome != ivr.OutcomeTransferred && rec.Outcome != ivr.OutcomeQueued {
		outcome = "after_hours"
	}
	vars := make(map[string]any, len(rec.Vars))
	for k, v := range rec.Vars {
		vars[k] = v
	}
	return sms.FinishedCall{CallID: rec.ID, Caller: rec.Caller, Outcome: outcome, Steps: rec.Steps(), Tags: rec.Tags,
		Lang: rec.Language, EndedAt: rec.EndedAt, Vars: vars}
}

func metricOutcome(o ivr.Outcome) string {
	switch o {
	case ivr.OutcomeSelfServed:
		return metrics.OutcomeCompleted
	case ivr.OutcomeAbandoned:
		return metrics.OutcomeAbandoned
	case ivr.OutcomeTransferred, ivr.OutcomeQueued:
		return metrics.OutcomeTransfered
	case ivr.OutcomeCallback:
		return metrics.OutcomeCallback
	}
	return metrics.OutcomeFailed
}

// mountSMS mounts the SMS webhooks (Kannel, Twilio, delivery reports).
func (d *Daemon) mountSMS() {
	in := d.db.sms.Inbound
	d.web.Mount(sms.PathKannelInbound, in.KannelHandler())
	d.web.Mount(sms.PathKannelDLR, in.KannelDLRHandler())
	d.web.Mount(sms.PathTwilioInbound, in.TwilioHandler())
	d.web.Mount(sms.PathTwilioStatus, in.TwilioStatusHandler())
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
