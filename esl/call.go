package esl

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Call is one channel FreeSWITCH handed to ivrd's outbound socket (`socket <addr> async full`).
// It is safe for concurrent use, but a call's commands run one after another on FreeSWITCH's
// side (every sendmsg carries event-lock: true), so a handler usually drives it from one
// goroutine.
//
// Every method that talks to FreeSWITCH takes a ctx; its deadline bounds the whole operation
// (reply and completion). Once the caller hangs up, pending and later commands fail at once
// with a *HangupError (errors.Is(err, ErrHangup)).
type Call struct {
	conn *conn
	uuid string
	data *Event
	log  *slog.Logger

	mu          sync.Mutex
	vars        *Event // latest event that carries channel variables
	apps        map[string]*appRun
	running     *appRun // our DTMF-consuming app between its EXECUTE and EXECUTE_COMPLETE
	dtmf        []string
	dtmfWake    chan struct{}
	done        chan struct{}
	endOnce     sync.Once
	cause       Cause
	subs        []*Subscription
	subsEnded   bool // after CHANNEL_HANGUP_COMPLETE or the socket closed
	lastSeq     uint64
	seqGaps     int
	playbackTrm string // playback_terminators as last set (or inherited)
}

// appRun is one application we asked FreeSWITCH to execute, keyed by the Event-UUID we sent,
// which FreeSWITCH echoes as Application-UUID in CHANNEL_EXECUTE(_COMPLETE).
type appRun struct {
	id           string
	app          string
	arg          string
	consumesDTMF bool
	done         chan struct{}
	result       *Event // CHANNEL_EXECUTE_COMPLETE
	bridge       *Event // CHANNEL_BRIDGE seen while a bridge ran
	recordStop   *Event // RECORD_STOP of arg seen while stop_record_session ran
	afterHangup  bool   // completed after the channel hung up
}

// Apps whose completion consumes the DTMF that arrives while they run (FreeSWITCH dequeues it
// for terminators and digit collection), so those digits are not also buffered for WaitDTMF.
var dtmfConsumingApps = map[string]bool{
	"playback": true, "play_and_get_digits": true, "speak": true, "read": true,
}

func newCall(cn *conn, data *Event, log *slog.Logger) *Call {
	c := &Call{
		conn:     cn,
		data:     data,
		vars:     data,
		uuid:     data.Get("Unique-ID"),
		apps:     make(map[string]*appRun),
		dtmfWake: make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if c.uuid == "" {
		c.uuid = data.Get("Channel-Unique-ID")
	}
	c.log = log.With("call", c.uuid)
	c.playbackTrm = "*" // mod_dptools' default
	if v, ok := data.LookupVar("playback_terminators"); ok {
		c.playbackTrm = v
	}
	return c
}

// UUID is the channel's Unique-ID.
func (c *Call) UUID() string { return c.uuid }

// ChannelData is the channel data FreeSWITCH sent in reply to `connect`.
func (c *Call) ChannelData() *Event { return c.data }

// CallerNumber is the caller ID number (Caller-Caller-ID-Number).
func (c *Call) CallerNumber() string {
	if v := c.data.Get("Caller-Caller-ID-Number"); v != "" {
		return v
	}
	return c.data.Get("Channel-Caller-ID-Number")
}

// CallerName is the caller ID name.
func (c *Call) CallerName() string { return c.data.Get("Caller-Caller-ID-Name") }

// CalledNumber is the number the caller dialed (Caller-Destination-Number).
func (c *Call) CalledNumber() string {
	if v := c.data.Get("Caller-Destination-Number"); v != "" {
		return v
	}
	return c.data.Get("Channel-Destination-Number")
}

// Var returns a channel variable as FreeSWITCH last reported it: the channel data, updated by
// every later event that carries variables (so it includes what Set changed once Set returned).
func (c *Call) Var(name string) string {
	v, _ := c.LookupVar(name)
	return v
}

// LookupVar is Var that also says whether the variable is set.
func (c *Call) LookupVar(name string) (string, bool) {
	c.mu.Lock()
	e := c.vars
	c.mu.Unlock()
	return e.LookupVar(name)
}

// Done is closed when the call is over for us: the caller hung up (CHANNEL_HANGUP) or the
// socket closed.
func (c *Call) Done() <-chan struct{} { return c.done }

// HangupCause is why the call ended ("" while it is up, or if the socket closed without a
// hangup event).
func (c *Call) HangupCause() Cause {
	select {
	case <-c.done:
	default:
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// SeqGaps counts jumps in Event-Sequence between consecutive events of this call's socket.
// myevents filters to this channel, so jumps are normal; the count is for diagnostics.
func (c *Call) SeqGaps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seqGaps
}

// Subscribe returns every later event of this call, in order. Close it when done; it also
// ends, after delivering what was queued, with CHANNEL_HANGUP_COMPLETE (the channel's last
// event on its socket) or when the socket closes.
func (c *Call) Subscribe() *Subscription {
	s := newSubscription(nil, c.unsubscribe)
	c.mu.Lock()
	if c.subsEnded {
		c.mu.Unlock()
		s.end()
		return s
	}
	c.subs = append(c.subs, s)
	c.mu.Unlock()
	return s
}

func (c *Call) unsubscribe(s *Subscription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.subs {
		if x == s {
			c.subs = append(c.subs[:i:i], c.subs[i+1:]...)
			return
		}
	}
}

// onEvent runs on the connection's reader goroutine: it only updates state and signals, never
// waits.
func (c *Call) onEvent(e *Event) {
	c.mu.Lock()
	if seq := e.Seq(); seq != 0 {
		if c.lastSeq != 0 && seq > c.lastSeq+1 {
			c.seqGaps++
		}
		c.lastSeq = seq
	}
	if e.hasVars {
		c.vars = e
	}
	var hangup Cause
	switch e.name {
	case "CHANNEL_EXECUTE":
		if r := c.apps[e.Get("Application-UUID")]; r != nil && r.consumesDTMF {
			c.running = r
		}
	case "CHANNEL_EXECUTE_COMPLETE":
		id := e.Get("Application-UUID")
		if r := c.apps[id]; r != nil {
			r.result = e
			select {
			case <-c.done:
				r.afterHangup = true // cut short by the hangup (PLAYBACK ERROR, failed bridge)
			default:
			}
			delete(c.apps, id)
			if c.running == r {
				c.running = nil
			}
			close(r.done)
		}
	case "DTMF":
		if c.running == nil {
			c.dtmf = append(c.dtmf, e.Get("DTMF-Digit"))
			select {
			case c.dtmfWake <- struct{}{}:
			default:
			}
		}
	case "CHANNEL_BRIDGE":
		for _, r := range c.apps {
			if r.app == "bridge" {
				r.bridge = e
			}
		}
	case "RECORD_STOP":
		path := e.Get("Record-File-Path")
		for _, r := range c.apps {
			if r.app == "stop_record_session" && (r.arg == path || r.arg == "all") {
				r.recordStop = e
			}
		}
	case "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE":
		hangup = Cause(e.Get("Hangup-Cause"))
		if hangup == "" {
			hangup = CauseNormalClearing
		}
	}
	subs := c.subs
	last := e.name == "CHANNEL_HANGUP_COMPLETE" // the channel's last event on an outbound socket
	if last {
		c.subs = nil
		c.subsEnded = true
	}
	c.mu.Unlock()
	if hangup != "" {
		c.end(hangup)
	}
	for _, s := range subs {
		s.push(e)
		if last {
			s.end()
		}
	}
}

// end marks the call over, once. cause is "" when the socket closed without a hangup event.
func (c *Call) end(cause Cause) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.cause = cause
		c.mu.Unlock()
		close(c.done)
	})
}

// connClosed runs when the socket is gone: the call is over and subscriptions drain and close.
func (c *Call) connClosed() {
	cause := Cause("")
	if v := c.Var("hangup_cause"); v != "" {
		cause = Cause(v)
	}
	c.end(cause)
	c.mu.Lock()
	subs := c.subs
	c.subs = nil
	c.subsEnded = true
	c.mu.Unlock()
	for _, s := range subs {
		s.end()
	}
}

// endErr is the error for commands on a call that is over.
func (c *Call) endErr() error {
	c.mu.Lock()
	cause := c.cause
	c.mu.Unlock()
	return &HangupError{UUID: c.uuid, Cause: cause, Err: c.conn.Err()}
}

func (c *Call) ended() error {
	select {
	case <-c.done:
		return c.endErr()
	default:
		return nil
	}
}

// sendmsgExecute builds the sendmsg that runs app with arg, event-locked, with our Event-UUID.
func sendmsgExecute(app, arg, id string) (*command, error) {
	if strings.ContainsAny(app, " \r\n") || app == "" {
		return nil, fmt.Errorf("%w: application name %q", ErrBadArgument, app)
	}
	cmd := &command{line: "sendmsg", headers: make([]Header, 0, 5)}
	cmd.headers = append(cmd.headers,
		Header{"call-command", "execute"},
		Header{"execute-app-name", app})
	switch {
	case strings.ContainsAny(arg, "\r\n") || len(arg) > 2048:
		// FreeSWITCH takes a long or multi-line argument from a text/plain body.
		cmd.headers = append(cmd.headers, Header{"content-type", "text/plain"})
		cmd.body = arg
	case arg != "":
		cmd.headers = append(cmd.headers, Header{"execute-app-arg", arg})
	}
	cmd.headers = append(cmd.headers, Header{"event-lock", "true"}, Header{"Event-UUID", id})
	return cmd, nil
}

// Execute runs a dialplan application on the channel and returns its CHANNEL_EXECUTE_COMPLETE
// event (Application-Response and the channel variables after it ran). If ctx ends first, the
// application is interrupted (uuid_break) and ctx's error returned.
func (c *Call) Execute(ctx context.Context, app, arg string) (*Event, error) {
	r, err := c.run(ctx, app, arg, nil)
	if err != nil {
		return nil, err
	}
	return r.result, nil
}

// run sends pre (pipelined set/unset sendmsgs whose completion nobody waits for) then app,
// and waits for app's completion.
func (c *Call) run(ctx context.Context, app, arg string, pre []*command) (*appRun, error) {
	if err := c.ended(); err != nil {
		return nil, err
	}
	r := &appRun{id: newUUID(), app: app, arg: arg, consumesDTMF: dtmfConsumingApps[app], done: make(chan struct{})}
	cmd, err := sendmsgExecute(app, arg, r.id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.apps[r.id] = r
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.apps, r.id)
		if c.running == r {
			c.running = nil
		}
		c.mu.Unlock()
	}
	if err := c.sendAll(ctx, append(pre, cmd)); err != nil {
		forget()
		if e := c.ended(); e != nil {
			return nil, e
		}
		if ctx.Err() != nil {
			c.breakApps() // the application may be queued or running already
		}
		return nil, fmt.Errorf("call %s: %s: %w", c.uuid, app, err)
	}
	select {
	case <-r.done:
		if r.afterHangup {
			return r, c.endErr()
		}
		return r, nil
	case <-c.done:
		select {
		case <-r.done: // completed just before the end
			if r.afterHangup {
				return r, c.endErr()
			}
			return r, nil
		default:
		}
		forget()
		return r, c.endErr()
	case <-ctx.Done():
		forget()
		c.breakApps()
		return nil, fmt.Errorf("call %s: %s: %w", c.uuid, app, ctx.Err())
	}
}

// sendAll writes cmds back to back (pipelined) and checks every reply, with the command
// deadline applied to the replies.
func (c *Call) sendAll(ctx context.Context, cmds []*command) error {
	rctx, cancel := c.replyContext(ctx)
	defer cancel()
	chans := make([]chan reply, 0, len(cmds))
	var firstErr error
	for _, cmd := range cmds {
		if err := cmd.validate(); err != nil {
			firstErr = err
			break
		}
		ch, err := c.conn.write(rctx, cmd)
		if err != nil {
			firstErr = err
			break
		}
		chans = append(chans, ch)
	}
	for i, ch := range chans {
		m, err := c.conn.await(rctx, cmds[i], ch)
		if err == nil {
			_, err = checkReply(cmds[i], m)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// replyContext bounds the wait for replies by the command timeout, within ctx.
func (c *Call) replyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.conn.commandTimeout)
}

// breakApps stops what the channel is doing (uuid_break ... all), best effort, after a caller
// gave up on an application.
func (c *Call) breakApps() {
	if c.ended() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.conn.commandTimeout)
	defer cancel()
	if _, err := c.api(ctx, "uuid_break "+c.uuid+" all"); err != nil {
		c.log.Warn("esl: uuid_break after a cancelled command failed", "err", err)
	}
}

// api runs an api command on the call's socket.
func (c *Call) api(ctx context.Context, cmdline string) (string, error) {
	cmd := &command{line: "api " + cmdline}
	m, err := c.conn.send(ctx, cmd)
	if err != nil {
		return "", err
	}
	return checkReply(cmd, m)
}

// API runs an api command ("uuid_getvar <uuid> x") on the call's own socket and returns its
// output; a "-ERR ..." output is a *CommandError.
func (c *Call) API(ctx context.Context, cmdline string) (string, error) {
	out, err := c.api(ctx, cmdline)
	if err != nil {
		return out, fmt.Errorf("call %s: %w", c.uuid, err)
	}
	return out, nil
}

// setCommand builds a pipelined `set name=value` (or `unset name` when value is "").
func setCommand(name, value string) *command {
	cmd, _ := sendmsgExecute("set", name+"="+value, newUUID())
	if value == "" {
		cmd, _ = sendmsgExecute("unset", name, newUUID())
	}
	return cmd
}

func durationMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
