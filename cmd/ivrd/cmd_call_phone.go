package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/sipcall"
)

// phone is a caller in the terminal: it places a call into FreeSWITCH (or the emulator)
// through the inbound event socket exactly as an operator would with fs_cli:
//
//	bgapi originate {origination_uuid=U,origination_caller_id_number=N}loopback/5000/default &park()
//	api uuid_send_dtmf U 1        (keys: the loopback leg passes them to ivrd's leg)
//	api uuid_kill U NORMAL_CLEARING
//
// and follows the call's legs (event filter variable_origination_uuid=U: both loopback legs
// carry it) to show what the caller hears: each prompt as text (file name or TTS text) when
// it starts, hold music, transfers, agents ringing and answering, and the hangup cause.
type phone struct {
	client *esl.Client
	out    io.Writer
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	uuid   string
	called string
	caller string

	mu        sync.Mutex
	start     time.Time
	lines     []string
	questions chan struct{} // a play_and_get_digits / read started (buffered, scripted mode)
	hungUpBy  string        // "caller" when we hung up
	cause     string
	answered  bool

	inProcess bool // no database behind ivrd: do not point at ivrd calls show
	done      chan struct{}
}

// callEvents are the events the phone follows.
var callEvents = []string{"CHANNEL_ANSWER", "CHANNEL_EXECUTE", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP_COMPLETE"}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// dial subscribes to the call's events, then originates it and waits until it is answered
// (or fails). Events are printed from then on until the call ends (Done).
func (p *phone) dial(ctx context.Context) error {
	p.uuid = newUUID()
	p.done = make(chan struct{})
	p.questions = make(chan struct{}, 64)
	sub, err := p.client.Subscribe(ctx, esl.SubscribeOptions{Events: callEvents,
		Filters: []esl.Filter{{Header: "variable_origination_uuid", Value: p.uuid}, {Header: "Unique-ID", Value: p.uuid}}})
	if err != nil {
		return fmt.Errorf("subscribe to the call's events: %w", err)
	}
	p.start = p.now()
	p.printf("calling %s from %s (call %s)", p.called, p.caller, p.uuid)
	go p.follow(sub)
	octx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	_, err = p.client.Originate(octx, esl.OriginateRequest{
		Dial: "loopback/" + p.called + "/default", UUID: p.uuid, CallerIDNumber: p.caller, App: "&park()",
	})
	if err != nil {
		sub.Close()
		<-p.done
		return fmt.Errorf("the call did not go through: %w", err)
	}
	return nil
}

// follow prints the call's events until its legs are gone.
func (p *phone) follow(sub *esl.Subscription) {
	defer close(p.done)
	defer sub.Close()
	legs := map[string]bool{}
	for e := range sub.Events() {
		leg := e.UUID()
		ivrdLeg := leg != p.uuid
		switch e.Name() {
		case "CHANNEL_ANSWER":
			if ivrdLeg {
				p.setAnswered()
				if p.inProcess {
					p.printf("answered (ivrd's call id %s)", leg)
				} else {
					p.printf("answered (ivrd's call id %s: ivrd calls show %s)", leg, leg)
				}
			}
			legs[leg] = true
		case "CHANNEL_EXECUTE":
			legs[leg] = true
			if ivrdLeg {
				p.onExecute(e)
			}
		case "CHANNEL_BRIDGE":
			if ivrdLeg {
				p.printf("connected to %s", orElse(e.Get("variable_last_bridge_to"), e.Get("Other-Leg-Channel-Name"), e.Get("Bridge-B-Unique-ID")))
			}
		case "CHANNEL_UNBRIDGE":
			if ivrdLeg {
				p.printf("the other party hung up (%s); back with ivrd", orElse(e.Var("bridge_hangup_cause"), e.Var("last_bridge_hangup_cause"), "NORMAL_CLEARING"))
			}
		case "CHANNEL_HANGUP_COMPLETE":
			cause := e.Get("Hangup-Cause")
			p.mu.Lock()
			first := p.cause == ""
			if first {
				p.cause = cause
			}
			by := p.hungUpBy
			p.mu.Unlock()
			if first {
				if by == "caller" {
					p.printf("you hung up (%s)", cause)
				} else {
					p.printf("ivrd hung up: %s", cause)
				}
			}
			delete(legs, leg)
			legs[leg+":gone"] = true
			if len(p.openLegs(legs)) == 0 {
				return
			}
		}
	}
}

func (p *phone) openLegs(legs map[string]bool) []string {
	var out []string
	for l := range legs {
		if !strings.HasSuffix(l, ":gone") && !legs[l+":gone"] {
			out = append(out, l)
		}
	}
	return out
}

func (p *phone) setAnswered() {
	p.mu.Lock()
	p.answered = true
	p.mu.Unlock()
}

// onExecute shows an application ivrd runs on its leg as what the caller experiences.
func (p *phone) onExecute(e *esl.Event) {
	app, arg := e.Get("Application"), e.Get("Application-Data")
	switch app {
	case "playback", "endless_playback":
		p.printf("hears: %s", describeAudio(arg))
	case "speak":
		parts := strings.SplitN(arg, "|", 3)
		p.printf("hears: %q", parts[len(parts)-1])
	case "play_and_get_digits":
		args := splitArgs(arg)
		prompt := ""
		if len(args) > 5 {
			prompt = args[5]
		}
		if prompt == "" || strings.HasPrefix(prompt, "silence_stream://") {
			p.printf("(ivrd waits for keys)")
		} else {
			p.printf("hears: %s  [keys]", describeAudio(prompt))
		}
		p.question()
	case "read":
		args := splitArgs(arg)
		if len(args) > 2 {
			p.printf("hears: %s  [keys]", describeAudio(args[2]))
		}
		p.question()
	case "bridge":
		p.printf("ringing %s ...", arg)
	case "transfer":
		p.printf("transferred to %s", arg)
	case "record_session":
		p.printf("(the call is being recorded)")
	case "stop_record_session":
		p.printf("(recording stopped)")
	case "sleep":
		p.printf("(silence, %s ms)", arg)
	case "send_dtmf":
		p.printf("(ivrd sends keys %s)", arg)
	}
}

func (p *phone) question() {
	select {
	case p.questions <- struct{}{}:
	default:
	}
}

// describeAudio turns a playback argument into what the caller hears.
func describeAudio(arg string) string {
	arg = strings.Trim(arg, "'")
	pieces := []string{arg}
	if rest, ok := strings.CutPrefix(arg, "file_string://"); ok {
		pieces = strings.Split(rest, "!")
	}
	var out []string
	for _, s := range pieces {
		switch {
		case strings.HasPrefix(s, "say:"):
			out = append(out, fmt.Sprintf("%q", strings.ReplaceAll(strings.TrimPrefix(s, "say:"), `\'`, "'")))
		case strings.HasPrefix(s, "silence_stream://"):
			out = append(out, "(silence "+strings.TrimPrefix(s, "silence_stream://")+" ms)")
		case strings.HasPrefix(s, "tone_stream://"):
			out = append(out, "(tone "+strings.TrimPrefix(s, "tone_stream://")+")")
		case strings.HasPrefix(s, "local_stream://"):
			out = append(out, "(hold music "+strings.TrimPrefix(s, "local_stream://")+")")
		default:
			out = append(out, "["+s+"]")
		}
	}
	return strings.Join(out, " ")
}

// splitArgs splits application arguments as FreeSWITCH does: on blanks, except inside single
// quotes, where \' and \\ are escapes.
func splitArgs(s string) []string {
	var out []string
	var b strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '\'':
			inQuote = !inQuote
			have = true
		case c == ' ' && !inQuote:
			if have {
				out = append(out, b.String())
				b.Reset()
				have = false
			}
		default:
			b.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, b.String())
	}
	return out
}

func orElse(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func (p *phone) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("%8s  %s", fmt.Sprintf("+%.1fs", p.now().Sub(p.start).Seconds()), fmt.Sprintf(format, args...))
	p.lines = append(p.lines, line)
	fmt.Fprintln(p.out, line)
}

// press sends keys to ivrd's leg (through the loopback leg, like a phone's keypad).
func (p *phone) press(ctx context.Context, digits string) error {
	p.printf("you press %s", digits)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := p.client.API(cctx, "uuid_send_dtmf "+p.uuid+" "+digits)
	if err != nil {
		return fmt.Errorf("send keys %s: %w", digits, err)
	}
	if strings.HasPrefix(res, "-ERR") {
		return fmt.Errorf("send keys %s: %s", digits, strings.TrimSpace(res))
	}
	return nil
}

// hangup ends the call from the caller's side.
func (p *phone) hangup(ctx context.Context) error {
	p.mu.Lock()
	if p.cause != "" {
		p.mu.Unlock()
		return nil
	}
	p.hungUpBy = "caller"
	p.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.client.Hangup(cctx, p.uuid, esl.CauseNormalClearing); err != nil {
		select {
		case <-p.done:
			return nil // it ended meanwhile
		default:
		}
		return fmt.Errorf("hang up: %w", err)
	}
	return nil
}

// runScript acts out a digit script: each group of keys is pressed at the next question
// ivrd asks (play_and_get_digits), after the waits written before it; waits after the last
// keys keep the caller on the line that long, then the caller hangs up. Without trailing
// waits the caller stays until ivrd ends the call.
func (p *phone) runScript(ctx context.Context, steps []sipcall.Step) error {
	var wait time.Duration
	for _, st := range steps {
		if st.Digits == "" {
			wait += st.Wait
			continue
		}
		select {
		case <-p.questions:
		case <-p.done:
			return fmt.Errorf("the call ended before keys %s could be pressed", st.Digits)
		case <-ctx.Done():
			return ctx.Err()
		}
		if wait > 0 {
			if err := p.sleep(ctx, wait); err != nil {
				return err
			}
			wait = 0
		}
		if err := p.press(ctx, st.Digits); err != nil {
			return err
		}
	}
	if wait > 0 {
		if err := p.sleep(ctx, wait); err != nil {
			return err
		}
		return p.hangup(ctx)
	}
	return nil
}

// Done is closed when the call's legs are gone.
func (p *phone) Done() <-chan struct{} { return p.done }

// result is the hangup cause and who hung up.
func (p *phone) result() (cause string, byCaller, answered bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cause, p.hungUpBy == "caller", p.answered
}
