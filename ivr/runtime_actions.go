package ivr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/recordings/recname"
	"github.com/ivrd/ivrd/sms"
)

// execTransfer bridges the caller to an endpoint or number: answered, the call is
// "transferred" and goes on at Next when the bridge ends; not answered, OnFail.
func (c *call) execTransfer(ctx context.Context, s *Step) (*Step, error) {
	t := s.Transfer
	to, err := t.To.Render(c)
	if err != nil || strings.TrimSpace(to) == "" {
		c.event(EventError, fmt.Sprintf("transfer to %q: no destination (%v)", t.To.String(), err))
		return t.OnFail, nil
	}
	to = strings.TrimSpace(to)
	endpoint := to
	if !strings.Contains(to, "/") {
		endpoint = c.rt.cfg.DialNumber(to)
	}
	req := BridgeRequest{Endpoint: endpoint, Timeout: orDefault(t.Timeout, DefaultTransferWait), ContinueOnFail: true}
	if t.CallerID != nil {
		if cid, err := t.CallerID.Render(c); err == nil {
			req.CallerIDNumber = cid
		}
	}
	c.recState.agent = endpoint
	c.startBridgeRecording(ctx)
	c.recState.agent = ""
	bctx, cancel := context.WithTimeout(ctx, talkTimeout)
	res, err := c.ch.Bridge(bctx, req)
	cancel()
	c.stopBridgeRecording(ctx)
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", endpoint, err)
	}
	if !res.Answered {
		c.event(EventBridge, fmt.Sprintf("%s: %s", endpoint, res.Cause))
		return t.OnFail, nil
	}
	c.reach(OutcomeTransferred)
	c.rec.Talk += res.Talk
	c.event(EventBridge, fmt.Sprintf("%s answered, talked %s (%s)", endpoint, roundDur(res.Talk), res.Cause))
	return s.Next, nil
}

// execCallback registers a callback; refused or failed, OnError (or Next).
func (c *call) execCallback(ctx context.Context, s *Step) (*Step, error) {
	cb := s.Callback
	onErr := func(err error) (*Step, error) {
		c.event(EventCallback, "failed: "+describeErr(err))
		if cb.OnError != nil {
			return cb.OnError, nil
		}
		return s.Next, nil
	}
	if c.rt.cfg.Callbacks == nil {
		return onErr(errors.New("no callback service configured"))
	}
	number := c.ch.Caller()
	if cb.Number != nil {
		n, err := cb.Number.Render(c)
		if err != nil {
			return onErr(fmt.Errorf("number %q: %w", cb.Number.String(), err))
		}
		number = n
	}
	reason := ""
	if cb.Reason != nil {
		reason, _ = cb.Reason.Render(c)
	}
	qctx, cancel := c.quick(ctx)
	defer cancel()
	receipt, err := c.rt.cfg.Callbacks.RegisterCallback(qctx, CallbackRequest{
		Key:    "call:" + c.ch.ID() + ":" + s.Name,
		Number: number, Reason: reason, Queue: cb.Queue, Calendar: cb.CalendarName,
		CallID: c.ch.ID(), Caller: c.ch.Caller(), Flow: c.flow.Name, Step: s.Name, Language: c.lang,
		Vars: c.varsText(), RequestedAt: c.clock.Now(),
	})
	if err != nil {
		return onErr(err)
	}
	c.reach(OutcomeCallback)
	detail := fmt.Sprintf("registered %s for %s", receipt.ID, number)
	if reason != "" {
		detail += " (" + reason + ")"
	}
	if !receipt.ETA.IsZero() {
		detail += ", ETA " + receipt.ETA.Format("2006-01-02 15:04 MST")
	}
	c.event(EventCallback, detail)
	return s.Next, nil
}

// execSMS sends a text; refused or failed, OnError (or Next).
func (c *call) execSMS(ctx context.Context, s *Step) (*Step, error) {
	st := s.SMS
	onErr := func(err error) (*Step, error) {
		c.event(EventSMS, "failed: "+describeErr(err))
		if st.OnError != nil {
			return st.OnError, nil
		}
		return s.Next, nil
	}
	if c.rt.cfg.Texter == nil {
		return onErr(errors.New("no SMS sender configured"))
	}
	to := c.ch.Caller()
	if st.To != nil {
		t, err := st.To.Render(c)
		if err != nil {
			return onErr(fmt.Errorf("to %q: %w", st.To.String(), err))
		}
		to = t
	}
	text := sms.Text{To: to, Key: "flow:" + c.ch.ID() + ":" + s.Name, Purpose: sms.PurposeFlow,
		Template: st.Template, Lang: c.lang}
	if st.Text != nil {
		body, err := st.Text.Render(c)
		if err != nil {
			return onErr(fmt.Errorf("text %q: %w", st.Text.String(), err))
		}
		text.Body = body
	}
	text.Vars = c.templateVars()
	for _, a := range st.Vars {
		v, err := a.Value.Value(c)
		if err != nil {
			return onErr(fmt.Errorf("var %s: %w", a.Var, err))
		}
		text.Vars[a.Var] = v.Any()
	}
	qctx, cancel := c.quick(ctx)
	defer cancel()
	q, err := c.rt.cfg.Texter.Send(qctx, text)
	if err != nil {
		return onErr(err)
	}
	what := st.Template
	if what == "" {
		what = fmt.Sprintf("%q", q.Body)
	}
	c.event(EventSMS, fmt.Sprintf("to %s: %s", q.To, what))
	return s.Next, nil
}

// templateVars are the variables every SMS template sees: vars.*, caller.*, call.* (nested,
// as {{vars.balance}}), and each flow variable at the top level too ({{balance}}).
func (c *call) templateVars() map[string]any {
	vars := make(map[string]any, len(c.vars))
	top := make(map[string]any, len(c.vars)+3)
	for k, v := range c.vars {
		vars[k] = v.Any()
		top[k] = v.Any()
	}
	top["vars"] = vars
	top["caller"] = map[string]any{"number": c.ch.Caller(), "name": c.opts.CallerName}
	top["call"] = map[string]any{"called": c.ch.Called(), "id": c.ch.ID(), "language": c.lang, "direction": c.opts.Direction}
	return top
}

// execRecord starts or stops recording. Mode "bridge" records each later bridge (queue or
// transfer) into its own file, until a record stop. Any record step (a stop too) is the
// flow's choice: the queues' record policies no longer apply to the call.
func (c *call) execRecord(ctx context.Context, s *Step) (*Step, error) {
	r := s.Record
	c.recState.flowChose = true
	if r.Stop {
		c.bridgeRec = false
		if err := c.stopRecordingErr(ctx); err != nil {
			return nil, err
		}
		return s.Next, nil
	}
	c.recordStereo = r.Stereo
	if r.Mode == RecordBridge {
		c.bridgeRec = true
		c.event(EventRecord, "will record conversations with agents")
		return s.Next, nil
	}
	if err := c.startRecording(ctx); err != nil {
		return nil, err
	}
	return s.Next, nil
}

// recordState is a call's recording bookkeeping beyond the running file.
type recordState struct {
	// flowChose: a record step ran, so queue policies do not apply.
	flowChose bool
	// queueBridge: the running recording is a queue's record: bridge, stopped after the queue.
	queueBridge bool
	// stereo and bridgeReq are what RECORD_STEREO and RECORD_BRIDGE_REQ are set to on the
	// channel (FreeSWITCH's defaults: false).
	stereo, bridgeReq bool
	// agent is the endpoint of the transfer being recorded ("" none), for {{agent}}.
	agent string
}

// flatRecordingName is the runtime's default name: <call id>-<n>.wav in RecordingsDir.
var flatRecordingName = recname.MustParse("{{call.id}}-{{n}}.wav")

// recordingPath names the call's next recording with the configured template (see
// recname): made safe, inside RecordingsDir, its folder created when it is local.
func (c *call) recordingPath() string {
	v := recname.Vars{
		CallID: c.ch.ID(), Called: c.ch.Called(), Direction: c.opts.Direction,
		Caller: c.ch.Caller(), CallerName: c.opts.CallerName,
		Agent: c.recState.agent, N: c.recN, Time: c.now(),
	}
	if c.flow != nil {
		v.Flow = c.flow.Name
	}
	if c.cur != nil && c.cur.Queue != nil {
		v.Queue = c.cur.Queue.Name
	}
	dir := c.rt.cfg.RecordingsDir
	path, err := c.rt.cfg.RecordingName.Path(dir, v)
	if err != nil {
		c.event(EventError, describeErr(err)+" (using the default name)")
		path, _ = flatRecordingName.Path(dir, v) // call ids are made safe: cannot fail
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		// FreeSWITCH may run on another host and make the folder itself: only a hint.
		c.log.Warn("cannot create the recording's folder here", "path", path, "err", err)
	}
	return path
}

// startRecording starts a recording of the whole call from now (no-op if one runs), with
// the flow's stereo and bridge settings.
func (c *call) startRecording(ctx context.Context) error {
	return c.startRecordingAs(ctx, c.recordStereo, c.bridgeRec)
}

// startRecordingAs starts a recording (no-op if one runs); bridgeOnly asks FreeSWITCH to
// write audio only while the caller is bridged (not the hold or the ringing).
func (c *call) startRecordingAs(ctx context.Context, stereo, bridgeOnly bool) error {
	if c.recording != "" {
		return nil
	}
	c.recN++
	path := c.recordingPath()
	qctx, cancel := c.quick(ctx)
	defer cancel()
	if stereo != c.recState.stereo {
		if err := c.ch.SetVar(qctx, "RECORD_STEREO", strconv.FormatBool(stereo)); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		c.recState.stereo = stereo
	}
	if bridgeOnly != c.recState.bridgeReq {
		if err := c.ch.SetVar(qctx, "RECORD_BRIDGE_REQ", strconv.FormatBool(bridgeOnly)); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		c.recState.bridgeReq = bridgeOnly
	}
	if err := c.ch.RecordStart(qctx, path); err != nil {
		return fmt.Errorf("record %s: %w", path, err)
	}
	c.recording = path
	c.event(EventRecord, "start "+path)
	return nil
}

// stopRecordingErr stops the running recording and keeps it in the record.
func (c *call) stopRecordingErr(ctx context.Context) error {
	if c.recording == "" {
		return nil
	}
	path := c.recording
	c.recording = ""
	c.recState.queueBridge = false
	qctx, cancel := c.quick(ctx)
	defer cancel()
	rec, err := c.ch.RecordStop(qctx, path)
	if err != nil {
		if errors.Is(err, ErrHangup) {
			// FreeSWITCH closes the file itself when the call ends.
			c.rec.Recordings = append(c.rec.Recordings, Recording{Path: path})
		}
		return fmt.Errorf("stop recording %s: %w", path, err)
	}
	c.rec.Recordings = append(c.rec.Recordings, rec)
	c.event(EventRecord, fmt.Sprintf("stop %s (%s, %d bytes)", path, roundDur(rec.Duration), rec.Bytes))
	return nil
}

// stopRecording stops a running recording at the end of the call, best effort.
func (c *call) stopRecording(ctx context.Context) {
	if c.recording == "" {
		return
	}
	if err := c.stopRecordingErr(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, ErrHangup) {
		c.log.Warn("stop recording", "err", err)
	}
}

// startBridgeRecording starts a recording before a bridge (queue or transfer): the flow's
// record mode "bridge", or, when the flow has no record step and this is a queue step, the
// queue's record policy (whole: from here to the end of the call; bridge: the agent
// conversation only).
func (c *call) startBridgeRecording(ctx context.Context) {
	if c.recording != "" {
		return
	}
	var err error
	switch {
	case c.bridgeRec:
		err = c.startRecording(ctx)
	case !c.recState.flowChose && c.cur != nil && c.cur.Queue != nil:
		pol, ok := c.queueRecording(c.cur.Queue.Name)
		switch {
		case !ok || pol.Mode == RecordNone:
		case pol.Mode == RecordWhole:
			err = c.startRecordingAs(ctx, pol.Stereo, false)
		default:
			if err = c.startRecordingAs(ctx, pol.Stereo, true); err == nil {
				c.recState.queueBridge = true
			}
		}
	}
	if err != nil {
		c.event(EventError, describeErr(err))
	}
}

// queueRecording is the queue's record policy, when the queue joiner knows it.
func (c *call) queueRecording(queue string) (QueueRecording, bool) {
	p, ok := c.rt.cfg.Queues.(QueueRecordingPolicy)
	if !ok {
		return QueueRecording{}, false
	}
	return p.QueueRecording(queue)
}

// stopBridgeRecording stops it after the bridge (the next bridge records again).
func (c *call) stopBridgeRecording(ctx context.Context) {
	if !c.bridgeRec && !c.recState.queueBridge {
		return
	}
	c.stopRecording(ctx)
}
