package fstest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// EventKind names what happened on a scripted call's channel.
type EventKind string

// Kinds of CallEvent.
const (
	KindApp          EventKind = "app"           // an application started (App, Data)
	KindAppDone      EventKind = "app_done"      // it completed (App, Data, Response)
	KindAnswered     EventKind = "answered"      // the channel was answered
	KindPlayback     EventKind = "playback"      // a prompt started playing (Data = file, Length)
	KindSpeak        EventKind = "speak"         // TTS started (Data = text, Length)
	KindDTMF         EventKind = "dtmf"          // a digit reached the channel (Data)
	KindDigits       EventKind = "digits"        // play_and_get_digits/read result (Data = digits, Response = read_result)
	KindRecordStart  EventKind = "record_start"  // record_session started (Data = path)
	KindRecordStop   EventKind = "record_stop"   // the recording was written (Data = path, Length)
	KindBridge       EventKind = "bridge"        // bridge started dialling (Data = dial string)
	KindBridged      EventKind = "bridged"       // the far end answered (Data = its uuid)
	KindBridgeFailed EventKind = "bridge_failed" // the bridge failed (Cause)
	KindUnbridged    EventKind = "unbridged"     // the bridge ended (Cause)
	KindHangup       EventKind = "hangup"        // the channel hung up (Cause)
)

// CallEvent is one thing that happened on the channel a scripted caller is connected to, in
// order: what ivrd made the switch do (apps and prompts) and what the caller did (digits).
type CallEvent struct {
	Kind     EventKind
	App      string
	Data     string
	Response string
	Cause    string
	Length   time.Duration // prompt or recording length
	At       time.Time     // emulated time
}

func (e CallEvent) String() string {
	s := string(e.Kind)
	for _, p := range []string{e.App, e.Data, e.Response, e.Cause} {
		if p != "" {
			s += " " + p
		}
	}
	return s
}

// CallSpec describes a scripted caller dialling into the switch.
type CallSpec struct {
	CallerNumber string // caller ID number; "1000" when empty
	CallerName   string // caller ID name; none when empty
	CalledNumber string // destination; "5000" (the socket extension) when empty
	Context      string // dialplan context; "default" when empty
	UUID         string // the caller leg's uuid (origination_uuid); random when empty
	Wideband     bool   // 16 kHz channel (recordings at 16 kHz)
	Vars         map[string]string
	// Audio is what the caller says, as mono 16-bit PCM at AudioRate (8000 when zero), from the
	// moment the call is answered; record_session mixes it into the file. AudioFile loads it from
	// a WAV file instead.
	Audio     []int16
	AudioRate int
	AudioFile string
	// Script runs once the call is placed: each step waits for its event, then its delay, then
	// presses keys or hangs up.
	Script []Step
}

// Step is one scripted caller action.
type Step struct {
	On     func(CallEvent) bool // wait for a matching event (nil: do not wait)
	Wait   time.Duration        // then wait this long (emulated time)
	DTMF   string               // then press these keys
	Hangup bool                 // or hang up
}

// OnPrompt matches the start of a prompt (playback file, speak text, or the prompt of
// play_and_get_digits) containing substr.
func OnPrompt(substr string) func(CallEvent) bool {
	return func(e CallEvent) bool {
		return (e.Kind == KindPlayback || e.Kind == KindSpeak) && strings.Contains(e.Data, substr)
	}
}

// OnApp matches the start of application app.
func OnApp(app string) func(CallEvent) bool {
	return func(e CallEvent) bool { return e.Kind == KindApp && e.App == app }
}

// Result is how a scripted call ended.
type Result struct {
	Cause    string        // hangup cause of the controlled channel
	HungUpBy string        // "caller" or "switch" (ivrd or the dialplan hung up)
	Answered bool          // the controlled channel was answered
	Apps     []string      // applications run, in order
	Duration time.Duration // from placing the call to the hangup (emulated time)
	// Originate is what the caller's originate returned: "+OK <uuid>" once the call was
	// answered, "-ERR <CAUSE>" if it never was (e.g. ivrd hung up before answering).
	Originate string
}

// Call is a scripted caller's call: the caller leg (loopback A-leg) and the channel the
// dialplan runs (loopback B-leg, the one ivrd controls through the outbound socket).
type Call struct {
	srv  *Server
	spec CallSpec

	mu         sync.Mutex
	cond       *sync.Cond
	a, b       *channel
	events     []CallEvent
	cursor     int
	hungUpBy   string
	placed     time.Time
	endedAt    time.Time
	ended      bool
	attached   chan struct{}
	done       chan struct{}
	err        error
	originate  string
	originated chan struct{}
}

// PlaceCall dials spec.CalledNumber like `originate loopback/<number>/<context> &park` from a
// caller, so the dialplan (e.g. socket to ivrd) runs on the B-leg exactly as in trace 05b. It
// returns once the channels exist; use the Call to follow and drive the call.
func (s *Server) PlaceCall(ctx context.Context, spec CallSpec) (*Call, error) {
	if spec.CalledNumber == "" {
		spec.CalledNumber = "5000"
	}
	if spec.Context == "" {
		spec.Context = "default"
	}
	if spec.CallerNumber == "" {
		spec.CallerNumber = "1000"
	}
	if spec.AudioFile != "" {
		pcm, rate, err := readWAV(spec.AudioFile)
		if err != nil {
			return nil, fmt.Errorf("fstest: place call: caller audio %s: %w (need a 16-bit PCM WAV)", spec.AudioFile, err)
		}
		spec.Audio, spec.AudioRate = pcm, rate
	}
	if spec.AudioRate == 0 {
		spec.AudioRate = 8000
	}
	if _, found, ok := s.dialplan.lookup(spec.Context, spec.CalledNumber); !ok || !found {
		return nil, fmt.Errorf("fstest: place call: no extension %q in context %q: add it with Dialplan().Add", spec.CalledNumber, spec.Context)
	}
	call := &Call{srv: s, spec: spec, attached: make(chan struct{}), done: make(chan struct{}),
		originated: make(chan struct{}), placed: s.clock.Now()}
	call.cond = sync.NewCond(&call.mu)
	vars := []string{}
	if spec.UUID != "" {
		vars = append(vars, "origination_uuid="+spec.UUID)
	}
	vars = append(vars, "origination_caller_id_number="+spec.CallerNumber)
	if spec.CallerName != "" {
		vars = append(vars, "origination_caller_id_name="+spec.CallerName)
	}
	keys := make([]string, 0, len(spec.Vars))
	for k := range spec.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vars = append(vars, k+"='"+spec.Vars[k]+"'")
	}
	args := "{" + strings.Join(vars, ",") + "}loopback/" + spec.CalledNumber + "/" + spec.Context + " &park"
	go func() {
		out := s.apiOriginate(args, call)
		call.mu.Lock()
		call.originate = strings.TrimSpace(out)
		call.mu.Unlock()
		close(call.originated)
		if strings.HasPrefix(out, "-ERR") && !isClosed(call.attached) {
			call.mu.Lock()
			call.err = fmt.Errorf("fstest: call to %s failed: %s", spec.CalledNumber, strings.TrimSpace(out))
			call.mu.Unlock()
			close(call.attached)
		}
	}()
	select {
	case <-call.attached:
	case <-ctx.Done():
		return nil, fmt.Errorf("fstest: place call to %s: %w", spec.CalledNumber, ctx.Err())
	}
	call.mu.Lock()
	err := call.err
	call.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if len(spec.Script) > 0 {
		go call.runScript(spec.Script)
	}
	return call, nil
}

// attach is called by the loopback leg factory with the two new channels.
func (call *Call) attach(a, b *channel) {
	call.mu.Lock()
	call.a, call.b = a, b
	b.callerAudio = call.spec.Audio
	b.audioRate = call.spec.AudioRate
	a.call = call
	call.mu.Unlock()
	call.srv.mu.Lock()
	call.srv.calls[b.uuid] = call
	call.srv.mu.Unlock()
	if !isClosed(call.attached) {
		close(call.attached)
	}
}

// noteCall records ev for the scripted call c belongs to.
func (s *Server) noteCall(c *channel, ev CallEvent) {
	call := c.call
	if call == nil {
		return
	}
	ev.At = s.clock.Now()
	call.mu.Lock()
	defer call.mu.Unlock()
	if c == call.a {
		if ev.Kind == KindHangup && call.hungUpBy == "" {
			call.hungUpBy = "caller"
		}
		return
	}
	if ev.Kind == KindHangup && call.hungUpBy == "" {
		call.hungUpBy = "switch"
	}
	call.events = append(call.events, ev)
	call.cond.Broadcast()
}

func (s *Server) noteCallEnded(c *channel) {
	call := c.call
	if call == nil {
		return
	}
	call.mu.Lock()
	defer call.mu.Unlock()
	aDone := call.a == nil || isClosed(call.a.ended) || c == call.a
	bDone := call.b == nil || isClosed(call.b.ended) || c == call.b
	if aDone && bDone && !call.ended {
		call.ended = true
		call.endedAt = s.clock.Now()
		close(call.done)
		call.cond.Broadcast()
		s.mu.Lock()
		delete(s.calls, call.b.uuid)
		s.mu.Unlock()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// UUID is the uuid of the channel the dialplan (and ivrd) controls: the loopback B-leg.
func (call *Call) UUID() string { return call.b.uuid }

// CallerUUID is the uuid of the caller's leg (the loopback A-leg), as uuid_send_dtmf takes it.
func (call *Call) CallerUUID() string { return call.a.uuid }

// SendDTMF presses keys: they reach the controlled channel as DTMF events, like
// `uuid_send_dtmf <caller-uuid> <digits>`.
func (call *Call) SendDTMF(digits string) error {
	if call.b.isHungup() {
		return fmt.Errorf("fstest: send DTMF %q: call %s already hung up", digits, call.b.uuid)
	}
	call.b.receiveDTMF(digits)
	return nil
}

// Hangup hangs up from the caller's side (NORMAL_CLEARING when cause is empty).
func (call *Call) Hangup(cause string) {
	call.a.hangup(cause)
}

// Events returns a snapshot of everything that happened on the controlled channel so far.
func (call *Call) Events() []CallEvent {
	call.mu.Lock()
	defer call.mu.Unlock()
	return append([]CallEvent(nil), call.events...)
}

// Heard lists the prompts played to the caller so far: playback files and spoken texts.
func (call *Call) Heard() []string {
	var out []string
	for _, e := range call.Events() {
		if e.Kind == KindPlayback || e.Kind == KindSpeak {
			out = append(out, e.Data)
		}
	}
	return out
}

// ErrCallEnded is returned by WaitFor when the call ended before a matching event.
var ErrCallEnded = errors.New("fstest: call ended")

// WaitFor waits for the next event matching pred after the last one WaitFor returned, so a test
// can follow a call step by step. It fails with ErrCallEnded if the call ends first.
func (call *Call) WaitFor(ctx context.Context, pred func(CallEvent) bool) (CallEvent, error) {
	stop := context.AfterFunc(ctx, func() {
		call.mu.Lock()
		call.cond.Broadcast()
		call.mu.Unlock()
	})
	defer stop()
	call.mu.Lock()
	defer call.mu.Unlock()
	for {
		for call.cursor < len(call.events) {
			e := call.events[call.cursor]
			call.cursor++
			if pred(e) {
				return e, nil
			}
		}
		if call.ended {
			return CallEvent{}, ErrCallEnded
		}
		if err := ctx.Err(); err != nil {
			return CallEvent{}, fmt.Errorf("fstest: waiting for a call event: %w (seen: %v)", err, call.events)
		}
		call.cond.Wait()
	}
}

// Wait waits until both legs of the call have ended and reports how it ended.
func (call *Call) Wait(ctx context.Context) (Result, error) {
	for _, ch := range []chan struct{}{call.done, call.originated} {
		select {
		case <-ch:
		case <-ctx.Done():
			return Result{}, fmt.Errorf("fstest: waiting for call %s to end: %w", call.b.uuid, ctx.Err())
		}
	}
	call.mu.Lock()
	defer call.mu.Unlock()
	r := Result{HungUpBy: call.hungUpBy, Duration: call.endedAt.Sub(call.placed), Originate: call.originate}
	r.Cause = call.b.hangupCause()
	r.Answered = call.b.isAnswered()
	for _, e := range call.events {
		if e.Kind == KindApp {
			r.Apps = append(r.Apps, e.App)
		}
	}
	return r, nil
}

// Done is closed when the call has ended.
func (call *Call) Done() <-chan struct{} { return call.done }

func (call *Call) runScript(steps []Step) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-call.done
		cancel()
	}()
	defer cancel()
	for _, st := range steps {
		if st.On != nil {
			if _, err := call.WaitFor(ctx, st.On); err != nil {
				return
			}
		}
		if st.Wait > 0 {
			select {
			case <-call.srv.clock.After(st.Wait):
			case <-call.done:
				return
			}
		}
		if st.DTMF != "" {
			if err := call.SendDTMF(st.DTMF); err != nil {
				return
			}
		}
		if st.Hangup {
			call.Hangup("NORMAL_CLEARING")
			return
		}
	}
}

// apiFstestCall is the emulator's own api command to start a scripted caller:
// "fstest_call <number> [caller_number] [dtmf-after-answer]".
func (s *Server) apiFstestCall(args string) string {
	f := strings.Fields(args)
	if len(f) == 0 {
		return "-USAGE: fstest_call <number> [caller_number] [digits]\n"
	}
	spec := CallSpec{CalledNumber: f[0]}
	if len(f) > 1 {
		spec.CallerNumber = f[1]
	}
	if len(f) > 2 {
		spec.Script = []Step{{On: func(e CallEvent) bool { return e.Kind == KindAnswered }, Wait: time.Second, DTMF: f[2]}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := s.PlaceCall(ctx, spec)
	if err != nil {
		return "-ERR " + err.Error() + "\n"
	}
	return "+OK " + call.UUID() + "\n"
}
