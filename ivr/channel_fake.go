package ivr

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CallerAction is one thing a simulated caller does, in order. A FakeChannel consumes them as
// the call listens:
//   - Press: keys pressed when the IVR next listens for them: a menu or an input (after its
//     prompt, or during it with Barge), or a prompt that those keys interrupt (during it).
//   - Wait: the caller stays silent for that long of listening time (a 6 s wait at a menu with
//     a 5 s timeout is one timeout plus 1 s of silence at the retry).
//   - Hangup: the caller hangs up at the next thing the IVR does.
type CallerAction struct {
	Press  string
	Barge  bool
	Wait   time.Duration
	Hangup bool
	// At, when set, holds the action back until the call is in the step of that name (the
	// caller is silent until then); the runtime reports steps through CallOptions.OnStep.
	At string
	// Line is where the action was written (scenario files), for messages.
	Line int
}

// FakeEvent is one line of a FakeChannel's transcript.
type FakeEvent struct {
	// At is the virtual time since the call started.
	At time.Duration
	// Kind is answer, play, digits, timeout, invalid, bridge, record_start, record_stop,
	// transfer, set, dtmf or hangup.
	Kind string
	// Text is the detail: the audio heard, the digits, the endpoint and its outcome...
	Text string
}

func (e FakeEvent) String() string {
	return fmt.Sprintf("%7s %-12s %s", fmtOffset(e.At), e.Kind, e.Text)
}

func fmtOffset(d time.Duration) string {
	return fmt.Sprintf("+%.1fs", d.Seconds())
}

// FakeAgent decides what happens when the FakeChannel bridges to an endpoint.
type FakeAgent func(req BridgeRequest) BridgeResult

// FakeChannel is an in-memory call with a virtual clock: no network, no sleeping, the same
// result every run. Time advances only as the call does: prompts take their playing time,
// silence takes the caller's waits, ringing takes the ring timeout. It is what
// `ivrd flows test` runs scenarios on, and a handy Channel for unit tests.
//
// FakeChannel is also the Clock of the runtime that drives it (see Now).
type FakeChannel struct {
	// Agents answers bridges; nil means every endpoint answers and talks for 60 s.
	Agents FakeAgent
	// PromptLength is the playing time of one audio; nil uses DefaultPromptLength.
	PromptLength func(Media) time.Duration
	// MaxDuration makes the caller hang up once the call has lasted that long (virtual time),
	// so a flow that loops on a silent caller ends. Default one hour.
	MaxDuration time.Duration

	mu       sync.Mutex
	id       string
	caller   string
	called   string
	start    time.Time
	now      time.Time
	script   []CallerAction
	events   []FakeEvent
	heard    []string
	vars     map[string]string
	done     chan struct{}
	cause    string
	answered bool
	records  map[string]time.Time
	step     string
}

// NewFakeChannel returns a call from caller to called that starts at start and whose caller
// acts out script.
func NewFakeChannel(id, caller, called string, start time.Time, script []CallerAction) *FakeChannel {
	return &FakeChannel{
		id: id, caller: caller, called: called, start: start, now: start,
		script:  append([]CallerAction(nil), script...),
		vars:    map[string]string{},
		done:    make(chan struct{}),
		records: map[string]time.Time{},
	}
}

var _ Channel = (*FakeChannel)(nil)
var _ Clock = (*FakeChannel)(nil)

// ID implements Channel.
func (f *FakeChannel) ID() string { return f.id }

// Caller implements Channel.
func (f *FakeChannel) Caller() string { return f.caller }

// Called implements Channel.
func (f *FakeChannel) Called() string { return f.called }

// Now is the call's virtual time.
func (f *FakeChannel) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the virtual clock (e.g. for a slow HTTP lookup).
func (f *FakeChannel) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// Done implements Channel.
func (f *FakeChannel) Done() <-chan struct{} { return f.done }

// HangupCause implements Channel.
func (f *FakeChannel) HangupCause() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cause
}

// Events returns the transcript so far.
func (f *FakeChannel) Events() []FakeEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeEvent(nil), f.events...)
}

// Heard returns the prompts the caller heard, in order (Media.Text of each piece).
func (f *FakeChannel) Heard() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.heard...)
}

// Vars returns the channel variables set on the call.
func (f *FakeChannel) Vars() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]string, len(f.vars))
	for k, v := range f.vars {
		m[k] = v
	}
	return m
}

// SetStep tells the channel which step the call is in (for actions with At).
func (f *FakeChannel) SetStep(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.step = name
}

// headLocked is the caller's next action, or nil when there is none or it waits for
// another step.
func (f *FakeChannel) headLocked() *CallerAction {
	if len(f.script) == 0 {
		return nil
	}
	if a := &f.script[0]; a.At == "" || a.At == f.step {
		return a
	}
	return nil
}

// Unused returns the caller actions the call never got to.
func (f *FakeChannel) Unused() []CallerAction {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]CallerAction(nil), f.script...)
}

// HangupNow hangs the caller up from outside (any goroutine), like a caller putting the phone
// down in the middle of whatever plays.
func (f *FakeChannel) HangupNow(cause string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endLocked(cause)
}

func (f *FakeChannel) logLocked(kind, text string) {
	f.events = append(f.events, FakeEvent{At: f.now.Sub(f.start), Kind: kind, Text: text})
}

func (f *FakeChannel) endLocked(cause string) {
	if f.cause != "" {
		return
	}
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	f.cause = cause
	f.logLocked("hangup", cause)
	close(f.done)
}

// checkLocked fails when the call is over, or makes the caller hang up when the next action
// says so or the call ran too long.
func (f *FakeChannel) checkLocked(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fake channel: %w", err)
	}
	if f.cause == "" {
		max := f.MaxDuration
		if max == 0 {
			max = time.Hour
		}
		switch h := f.headLocked(); {
		case h != nil && h.Hangup:
			f.script = f.script[1:]
			f.endLocked("NORMAL_CLEARING")
		case f.now.Sub(f.start) >= max:
			f.endLocked("NORMAL_CLEARING")
		}
	}
	if f.cause != "" {
		return &HangupError{Cause: f.cause}
	}
	return nil
}

// Answer implements Channel.
func (f *FakeChannel) Answer(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return err
	}
	if !f.answered {
		f.answered = true
		f.logLocked("answer", "")
	}
	return nil
}

// DefaultPromptLength is a FakeChannel's playing time of audio: the silence's or tone's own
// length when it says, a word every 0.4 s of speech, 3 s for a file.
func DefaultPromptLength(a Media) time.Duration {
	switch a.Kind {
	case MediaSilence:
		ms, err := strconv.Atoi(strings.TrimPrefix(a.Src, "silence_stream://"))
		if err == nil {
			return time.Duration(ms) * time.Millisecond
		}
		return time.Second
	case MediaStream:
		return toneLength(a.Src)
	case MediaSpeech:
		n := len(strings.Fields(a.Src))
		return time.Duration(n) * 400 * time.Millisecond
	}
	return 3 * time.Second
}

var toneSpec = regexp.MustCompile(`%\((\d+),(\d+)`)

// toneLength sums the on+off times of a tone_stream's %(on,off,freq) segments (1 s if none).
func toneLength(src string) time.Duration {
	var total time.Duration
	for _, m := range toneSpec.FindAllStringSubmatch(src, -1) {
		on, _ := strconv.Atoi(m[1])
		off, _ := strconv.Atoi(m[2])
		total += time.Duration(on+off) * time.Millisecond
	}
	if total == 0 {
		return time.Second
	}
	return total
}

func (f *FakeChannel) lengthOf(a Media) time.Duration {
	if f.PromptLength != nil {
		return f.PromptLength(a)
	}
	return DefaultPromptLength(a)
}

// playLocked plays audio; when the caller barges in with a key in terminators it stops there
// and returns that key (the key is consumed).
func (f *FakeChannel) playLocked(audio []Media, terminators string) string {
	for i, a := range audio {
		// A named prompt of several pieces is heard as one prompt.
		if i == 0 || a.Prompt == "" || a.Prompt != audio[i-1].Prompt {
			f.heard = append(f.heard, a.Label())
		}
		f.logLocked("play", a.Text())
		if h := f.headLocked(); terminators != "" && h != nil && h.Barge && h.Press != "" {
			d := h.Press[:1]
			if strings.Contains(terminators, d) {
				f.consumeDigitLocked()
				f.logLocked("barge-in", d)
				return d
			}
		}
		f.now = f.now.Add(f.lengthOf(a))
		f.listenLocked(a, terminators, f.lengthOf(a))
	}
	return ""
}

// listenLocked spends d of a caller's wait while music or silence that listens for keys plays
// (queue hold), so "wait: 90s" then "press: 1" presses 1 after 90 s on hold. Prompts (speech,
// files) do not spend waits: those are for menus and inputs.
func (f *FakeChannel) listenLocked(a Media, terminators string, d time.Duration) {
	h := f.headLocked()
	if terminators == "" || h == nil || h.Press != "" || h.Hangup || h.Wait <= 0 || (a.Kind != MediaStream && a.Kind != MediaSilence) {
		return
	}
	h.Wait -= d
	if h.Wait <= 0 {
		f.script = f.script[1:]
	}
}

func (f *FakeChannel) consumeDigitLocked() {
	f.script[0].Press = f.script[0].Press[1:]
	if f.script[0].Press == "" {
		f.script = f.script[1:]
	}
}

// Play implements Channel.
func (f *FakeChannel) Play(ctx context.Context, audio []Media, terminators string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return "", err
	}
	// A caller whose next key is one the prompt listens for presses it while it plays.
	if h := f.headLocked(); terminators != "" && h != nil && h.Press != "" && strings.Contains(terminators, h.Press[:1]) {
		h.Barge = true
	}
	return f.playLocked(audio, terminators), nil
}

// PlayAndGetDigits implements Channel the way FreeSWITCH's play_and_get_digits does with one
// try: any key stops the prompt, collection ends at Max digits, a terminator, the first-digit
// timeout or the inter-digit timeout.
func (f *FakeChannel) PlayAndGetDigits(ctx context.Context, req DigitsRequest) (DigitsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return DigitsResult{}, err
	}
	var digits, term string
	if d := f.playLocked(req.Prompt, allDigits+"ABCD"); d != "" {
		if strings.Contains(req.Terminators, d) {
			term = d
		} else {
			digits = d
		}
	}
	max := req.Max
	if max <= 0 {
		max = 1
	}
collect:
	for term == "" && len(digits) < max {
		if f.cause != "" {
			return DigitsResult{}, &HangupError{Cause: f.cause}
		}
		limit := req.Timeout
		if digits != "" {
			limit = req.DigitTimeout
		}
		a := f.headLocked()
		if a == nil {
			f.now = f.now.Add(limit)
			break
		}
		switch {
		case a.Hangup:
			if err := f.checkLocked(ctx); err != nil {
				return DigitsResult{}, err
			}
		case a.Press != "":
			d := a.Press[:1]
			f.consumeDigitLocked()
			if strings.Contains(req.Terminators, d) {
				term = d
				break collect
			}
			digits += d
		default: // a wait
			if a.Wait >= limit {
				f.now = f.now.Add(limit)
				a.Wait -= limit
				if a.Wait == 0 {
					f.script = f.script[1:]
				}
				break collect
			}
			f.now = f.now.Add(a.Wait)
			f.script = f.script[1:]
		}
	}
	res := DigitsResult{Digits: digits, Terminator: term}
	if res.TimedOut() {
		f.logLocked("timeout", "")
	} else {
		f.logLocked("digits", digits+term)
	}
	return res, nil
}

// RecordStart implements Channel.
func (f *FakeChannel) RecordStart(ctx context.Context, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return err
	}
	f.records[path] = f.now
	f.logLocked("record_start", path)
	return nil
}

// RecordStop implements Channel.
func (f *FakeChannel) RecordStop(ctx context.Context, path string) (Recording, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return Recording{}, err
	}
	began, ok := f.records[path]
	if !ok {
		return Recording{}, fmt.Errorf("record stop %s: no recording of that path was started", path)
	}
	delete(f.records, path)
	d := f.now.Sub(began)
	f.logLocked("record_stop", path)
	// 8 kHz 16-bit mono PCM plus the 44-byte WAV header, as FreeSWITCH writes on a narrowband leg.
	return Recording{Path: path, Duration: d, Bytes: 44 + 16000*int64(d/time.Second)}, nil
}

// Bridge implements Channel with Agents deciding the outcome. Like FreeSWITCH, a failure other
// than no answer hangs the caller up unless ContinueOnFail is set.
func (f *FakeChannel) Bridge(ctx context.Context, req BridgeRequest) (BridgeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return BridgeResult{}, err
	}
	res := BridgeResult{Answered: true, Cause: "NORMAL_CLEARING", Talk: time.Minute}
	if f.Agents != nil {
		res = f.Agents(req)
	}
	if res.Answered {
		f.now = f.now.Add(2 * time.Second)
		f.logLocked("bridge", req.Endpoint+" answered")
		f.now = f.now.Add(res.Talk)
		f.logLocked("unbridge", req.Endpoint+" "+res.Cause)
		return res, nil
	}
	ring := req.Timeout
	if ring == 0 {
		ring = 60 * time.Second
	}
	if res.Cause == "NO_ANSWER" {
		f.now = f.now.Add(ring)
	} else {
		f.now = f.now.Add(time.Second)
	}
	f.logLocked("bridge", req.Endpoint+" "+res.Cause)
	if !req.ContinueOnFail && !continuesAfter(res.Cause) {
		f.endLocked(res.Cause)
		return res, &HangupError{Cause: res.Cause}
	}
	return res, nil
}

// continuesAfter reports the bridge failure causes after which FreeSWITCH keeps the caller up
// even without continue_on_fail (switch_channel_handle_cause).
func continuesAfter(cause string) bool {
	switch cause {
	case "NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL":
		return true
	}
	return false
}

// Transfer implements Channel: the call leaves the IVR.
func (f *FakeChannel) Transfer(ctx context.Context, extension string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return err
	}
	f.logLocked("transfer", extension)
	return nil
}

// SetVar implements Channel.
func (f *FakeChannel) SetVar(ctx context.Context, name, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return err
	}
	f.vars[name] = value
	return nil
}

// SendDTMF implements Channel.
func (f *FakeChannel) SendDTMF(ctx context.Context, digits string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLocked(ctx); err != nil {
		return err
	}
	if !validDigits(digits) {
		return fmt.Errorf("send dtmf %q: only 0-9, *, #, A-D can be sent", digits)
	}
	f.logLocked("dtmf", digits)
	return nil
}

// Hangup implements Channel.
func (f *FakeChannel) Hangup(ctx context.Context, cause string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cause != "" {
		return nil
	}
	f.endLocked(cause)
	return nil
}
