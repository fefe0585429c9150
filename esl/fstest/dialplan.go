package fstest

import (
	"strconv"
	"sync"
	"time"
)

// Action is one dialplan action: an application and its data, e.g. {"socket", "127.0.0.1:8084 async full"}.
type Action struct {
	App, Data string
}

// Dialplan maps (context, destination number) to actions, like FreeSWITCH's XML dialplan. It is
// safe for concurrent use and may be changed while the server runs.
type Dialplan struct {
	mu       sync.RWMutex
	contexts map[string]map[string][]Action
	fallback map[string][]Action
}

// NewDialplan returns a dialplan with empty "default" and "public" contexts. A number with no
// extension hangs up NO_ROUTE_DESTINATION; a context that does not exist likewise.
func NewDialplan() *Dialplan {
	return &Dialplan{
		contexts: map[string]map[string][]Action{"default": {}, "public": {}},
		fallback: map[string][]Action{},
	}
}

// Add sets the actions of extension ext in context (created if needed).
func (d *Dialplan) Add(context, ext string, actions ...Action) *Dialplan {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.contexts[context] == nil {
		d.contexts[context] = map[string][]Action{}
	}
	d.contexts[context][ext] = actions
	return d
}

// SetFallback sets the actions for any number of context that has no extension of its own
// (a catch-all, like the vanilla dialplan's last extensions).
func (d *Dialplan) SetFallback(context string, actions ...Action) *Dialplan {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.contexts[context] == nil {
		d.contexts[context] = map[string][]Action{}
	}
	d.fallback[context] = actions
	return d
}

// lookup finds the actions for ext in context; ok is false when the context does not exist.
func (d *Dialplan) lookup(context, ext string) (actions []Action, found, ok bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	exts, ok := d.contexts[context]
	if !ok {
		return nil, false, false
	}
	if a, found := exts[ext]; found {
		return a, true, true
	}
	if a, found := d.fallback[context]; found {
		return a, true, true
	}
	return nil, false, true
}

// Socket is the action "socket <addr> async full" that hands a call to an outbound ESL server.
func Socket(addr string) Action { return Action{"socket", addr + " async full"} }

// Answer answers the call.
func Answer() Action { return Action{"answer", ""} }

// Park parks the call until it is hung up, transferred or killed.
func Park() Action { return Action{"park", ""} }

// RingReady signals ringing (180) without answering.
func RingReady() Action { return Action{"ring_ready", ""} }

// Sleep waits d.
func Sleep(d time.Duration) Action { return Action{"sleep", strconv.FormatInt(d.Milliseconds(), 10)} }

// Playback plays a file or tone_stream.
func Playback(file string) Action { return Action{"playback", file} }

// EndlessPlayback plays a file or tone_stream forever (queue music).
func EndlessPlayback(file string) Action { return Action{"endless_playback", file} }

// Hangup hangs up with a cause such as USER_BUSY.
func Hangup(cause string) Action { return Action{"hangup", cause} }

// Respond sends a SIP response (a no-op on loopback legs, as in FreeSWITCH).
func Respond(code string) Action { return Action{"respond", code} }

// PreAnswer sets up early media without answering.
func PreAnswer() Action { return Action{"pre_answer", ""} }

// TraceDialplan returns the dialplan the transcripts in shared/freeswitch/traces were captured
// with: 5000 -> socket to socketAddr; 5101 the IVR of traces 03/04; 5201..5220 the set-2
// extensions; and the vanilla catch-alls (default: acknowledge_call with early media; public:
// outside_call) so unknown numbers end NORMAL_CLEARING as they did there.
func TraceDialplan(socketAddr string) *Dialplan {
	d := NewDialplan()
	for _, ctx := range []string{"default", "public"} {
		d.Add(ctx, "5000", Socket(socketAddr))
		d.Add(ctx, "5101", Answer(), Playback("tone_stream://%(1000,0,440)"),
			Action{"play_and_get_digits", "1 4 2 8000 # tone_stream://%(300,0,800) silence_stream://250 ivr_digits \\d+ 3000"},
			Action{"log", "INFO esl_trace_ivr got digits [${ivr_digits}]"}, Hangup("NORMAL_CLEARING"))
		d.Add(ctx, "5201", Answer(), Park())
		d.Add(ctx, "5202", Respond("486"))
		d.Add(ctx, "5203", RingReady(), Sleep(60*time.Second))
		d.Add(ctx, "5204", Respond("404"))
		d.Add(ctx, "5205", Respond("603"))
		d.Add(ctx, "5206", Hangup("USER_BUSY"))
		d.Add(ctx, "5207", Hangup("UNALLOCATED_NUMBER"))
		d.Add(ctx, "5208", Hangup("CALL_REJECTED"))
		d.Add(ctx, "5210", RingReady(), Sleep(2*time.Second), Answer(), Playback("tone_stream://%(3000,0,440)"), Hangup("NORMAL_CLEARING"))
		d.Add(ctx, "5211", RingReady(), Sleep(60*time.Second))
		d.Add(ctx, "5220", Answer(), EndlessPlayback("tone_stream://%(400,600,480)"))
	}
	match := Action{RouteVar, "DP_MATCH=ARRAY::${destination_number}|:${destination_number}"}
	d.SetFallback("default", match, PreAnswer(), Playback("local_stream://moh"))
	d.SetFallback("public", Action{"set", "outside_call=true"}, Action{"export", "RFC2822_DATE=${strftime(%a, %d %b %Y %T %z)}"})
	return d
}
