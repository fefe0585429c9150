package esl

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Answer answers the call.
func (c *Call) Answer(ctx context.Context) error {
	_, err := c.run(ctx, "answer", "", nil)
	return err
}

// PlaybackOpts tunes Playback.
type PlaybackOpts struct {
	// Terminators are the DTMF digits that stop the playback ("#", "0123456789*#"); "" means
	// none: the prompt cannot be interrupted. Digits pressed during the playback are consumed
	// by it (FreeSWITCH dequeues them), so they do not reach WaitDTMF.
	Terminators string
}

// PlaybackResult is how a playback ended.
type PlaybackResult struct {
	// Terminator is the digit that stopped the playback, "" if it played to the end.
	Terminator string
	// Interrupted is true when a terminator stopped the playback.
	Interrupted bool
}

// Playback plays file (a path, tone_stream://..., silence_stream://..., say:..., http URL)
// and waits until it finished or a terminator digit stopped it.
func (c *Call) Playback(ctx context.Context, file string, opts PlaybackOpts) (PlaybackResult, error) {
	if file == "" {
		return PlaybackResult{}, fmt.Errorf("%w: playback of an empty file name", ErrBadArgument)
	}
	want := opts.Terminators
	if want == "" {
		want = "none"
	}
	var pre []*command
	c.mu.Lock()
	if c.playbackTrm != want {
		pre = append(pre, setCommand("playback_terminators", want))
		c.playbackTrm = want
	}
	c.mu.Unlock()
	r, err := c.run(ctx, "playback", file, pre)
	if err != nil {
		if len(pre) > 0 && !errors.Is(err, ErrHangup) {
			c.mu.Lock()
			c.playbackTrm = "" // unknown now: set it again next time
			c.mu.Unlock()
		}
		return PlaybackResult{}, err
	}
	term := r.result.Var("playback_terminator_used")
	if resp := r.result.Get("Application-Response"); resp != "FILE PLAYED" {
		return PlaybackResult{Terminator: term, Interrupted: term != ""},
			&AppError{App: "playback", Arg: file, Response: resp}
	}
	return PlaybackResult{Terminator: term, Interrupted: term != ""}, nil
}

// PAGD is a play_and_get_digits request.
type PAGD struct {
	Min, Max int // digits wanted; Max >= 1
	Tries    int // prompts before giving up; 0 means 1
	// Timeout is how long to wait for the first digit after the prompt (default 5 s).
	Timeout time.Duration
	// Terminators end input early ("#" by default).
	Terminators string
	File        string // the prompt (quoted for FreeSWITCH if it has spaces, e.g. say:...)
	InvalidFile string // played after invalid input (default silence_stream://250)
	Var         string // channel variable that receives the digits (default ivrd_digits)
	Regexp      string // valid input (default \d+, or \d* when Min is 0)
	// DigitTimeout is the wait between digits (default: Timeout).
	DigitTimeout time.Duration
}

// PAGDResult is what play_and_get_digits collected.
type PAGDResult struct {
	Digits     string // the digits, without the terminator; "" on failure
	Terminator string // the terminator that ended input, "" if none
	// Result is FreeSWITCH's read_result: "success", "failure" (tries used up) or "timeout".
	Result string
}

// PlayAndGetDigits plays a prompt and collects digits (barge-in: the first digit stops the
// prompt). Running out of tries is not an error: Result says "failure".
func (c *Call) PlayAndGetDigits(ctx context.Context, p PAGD) (PAGDResult, error) {
	arg, err := p.arg()
	if err != nil {
		return PAGDResult{}, err
	}
	v := p.varName()
	// Variables are sticky: clear what an earlier collection left, so a failure cannot report
	// stale digits.
	var pre []*command
	for _, name := range []string{v, "read_terminator_used"} {
		if c.Var(name) != "" {
			pre = append(pre, setCommand(name, ""))
		}
	}
	r, err := c.run(ctx, "play_and_get_digits", arg, pre)
	if err != nil {
		return PAGDResult{}, err
	}
	return PAGDResult{
		Digits:     r.result.Var(v),
		Terminator: r.result.Var("read_terminator_used"),
		Result:     r.result.Var("read_result"),
	}, nil
}

func (p PAGD) varName() string {
	if p.Var == "" {
		return "ivrd_digits"
	}
	return p.Var
}

func (p PAGD) arg() (string, error) {
	if p.Max < 1 || p.Min < 0 || p.Min > p.Max {
		return "", fmt.Errorf("%w: play_and_get_digits wants 0 <= min <= max and max >= 1 (got min %d, max %d)", ErrBadArgument, p.Min, p.Max)
	}
	tries := p.Tries
	if tries <= 0 {
		tries = 1
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	digitTimeout := p.DigitTimeout
	if digitTimeout <= 0 {
		digitTimeout = timeout
	}
	term := p.Terminators
	if term == "" {
		term = "#"
	}
	invalid := p.InvalidFile
	if invalid == "" {
		invalid = "silence_stream://250"
	}
	re := p.Regexp
	if re == "" {
		re = `\d+`
		if p.Min == 0 {
			re = `\d*`
		}
	}
	if p.File == "" {
		return "", fmt.Errorf("%w: play_and_get_digits needs a prompt file", ErrBadArgument)
	}
	for name, val := range map[string]string{"var": p.varName(), "terminators": term} {
		if strings.ContainsAny(val, " \t\r\n'") {
			return "", fmt.Errorf("%w: play_and_get_digits %s %q may not contain spaces or quotes", ErrBadArgument, name, val)
		}
	}
	var quoted [3]string
	for i, val := range []string{p.File, invalid, re} {
		if strings.ContainsAny(val, "\r\n'") {
			return "", fmt.Errorf("%w: play_and_get_digits argument %q may not contain quotes or newlines", ErrBadArgument, val)
		}
		quoted[i] = quoteArg(val)
	}
	return fmt.Sprintf("%d %d %d %d %s %s %s %s %s %d", p.Min, p.Max, tries, durationMillis(timeout), term,
		quoted[0], quoted[1], p.varName(), quoted[2], durationMillis(digitTimeout)), nil
}

// quoteArg single-quotes a value with blanks: FreeSWITCH splits application arguments on
// blanks outside single quotes.
func quoteArg(s string) string {
	if strings.ContainsAny(s, " \t") {
		return "'" + s + "'"
	}
	return s
}

// Speak says text with a TTS engine (e.g. "flite", voice "kal").
func (c *Call) Speak(ctx context.Context, engine, voice, text string) error {
	if engine == "" || strings.Contains(engine, "|") || strings.Contains(voice, "|") {
		return fmt.Errorf("%w: speak engine %q / voice %q", ErrBadArgument, engine, voice)
	}
	text = strings.Join(strings.Fields(text), " ")
	_, err := c.run(ctx, "speak", engine+"|"+voice+"|"+text, nil)
	return err
}

// RecordSession starts recording the call (both directions) to path on the FreeSWITCH host.
// It returns as soon as recording started; StopRecordSession (or hangup) ends it.
func (c *Call) RecordSession(ctx context.Context, path string) error {
	if path == "" || strings.ContainsAny(path, " \t\r\n") {
		return fmt.Errorf("%w: record_session path %q must be non-empty without spaces", ErrBadArgument, path)
	}
	_, err := c.run(ctx, "record_session", path, nil)
	return err
}

// RecordResult describes a finished recording.
type RecordResult struct {
	Path    string
	Ms      int64 // length in milliseconds
	Samples int64
	Size    int64 // file size in bytes
	// CompletionCause is FreeSWITCH's Record-Completion-Cause (it says "success-maxtime" even
	// for a plain stop).
	CompletionCause string
}

// StopRecordSession stops the recording to path and reports its size and length.
func (c *Call) StopRecordSession(ctx context.Context, path string) (RecordResult, error) {
	if path == "" || strings.ContainsAny(path, " \t\r\n") {
		return RecordResult{}, fmt.Errorf("%w: stop_record_session path %q must be non-empty without spaces", ErrBadArgument, path)
	}
	r, err := c.run(ctx, "stop_record_session", path, nil)
	if err != nil {
		return RecordResult{}, err
	}
	return recordResult(path, r.result, r.recordStop), nil
}

func recordResult(path string, complete, stop *Event) RecordResult {
	src := complete
	if stop != nil {
		src = stop
	}
	res := RecordResult{
		Path:    path,
		Ms:      atoi64(src.Var("record_ms")),
		Samples: atoi64(src.Var("record_samples")),
		Size:    atoi64(src.Var("record_file_size")),
	}
	if stop != nil {
		res.CompletionCause = stop.Get("Record-Completion-Cause")
	}
	if res.CompletionCause == "" {
		res.CompletionCause = src.Var("record_completion_cause")
	}
	return res
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// BridgeOpts tunes Bridge.
type BridgeOpts struct {
	// Timeout is how long the other side may ring (call_timeout, whole seconds); 0 leaves
	// FreeSWITCH's default (60 s).
	Timeout time.Duration
	// ContinueOnFail keeps the caller up when the bridge fails with a cause other than
	// NO_ANSWER / NO_USER_RESPONSE / ORIGINATOR_CANCEL (FreeSWITCH otherwise hangs the
	// caller up, e.g. on USER_BUSY).
	ContinueOnFail bool
	// Vars are set on the new leg ({k=v,...} in front of the dial string).
	Vars map[string]string
}

// BridgeResult is how a bridge went.
type BridgeResult struct {
	// Answered is true when the other side answered and was connected.
	Answered bool
	// Cause: for an answered bridge, how it ended (last_bridge_hangup_cause); otherwise why it
	// failed (NO_ANSWER, USER_BUSY, ...).
	Cause Cause
	// OtherLeg is the UUID of the leg the caller was bridged to ("" if none answered).
	OtherLeg string
	// Disposition is originate_disposition: SUCCESS, or the failure cause. (Not
	// originate_failed_cause, which keeps a stale value after a later success.)
	Disposition string
}

// Bridge connects the caller to dial (an endpoint like "sofia/gateway/gw/123" or
// "loopback/5210/default/XML") and returns when the bridge ended: after the other side hung
// up, or when it failed. The caller stays up after the other side hangs up. If the caller is
// hung up (bridge failure without ContinueOnFail, or the caller left), the result is returned
// with a *HangupError.
func (c *Call) Bridge(ctx context.Context, dial string, opts BridgeOpts) (BridgeResult, error) {
	if dial == "" || strings.ContainsAny(dial, " \r\n") {
		return BridgeResult{}, fmt.Errorf("%w: bridge dial string %q must be non-empty without spaces", ErrBadArgument, dial)
	}
	vars, err := formatVars('{', '}', opts.Vars)
	if err != nil {
		return BridgeResult{}, err
	}
	var pre []*command
	if c.Var("originate_disposition") != "" {
		pre = append(pre, setCommand("originate_disposition", "")) // sticky; cleared so a hangup mid-ring cannot report the last bridge's
	}
	if opts.Timeout > 0 {
		secs := strconv.FormatInt(int64((opts.Timeout+time.Second-1)/time.Second), 10)
		if c.Var("call_timeout") != secs {
			pre = append(pre, setCommand("call_timeout", secs))
		}
	}
	cof := strconv.FormatBool(opts.ContinueOnFail)
	if cur := c.Var("continue_on_fail"); cur != cof && (cur != "" || opts.ContinueOnFail) {
		pre = append(pre, setCommand("continue_on_fail", cof))
	}
	r, err := c.run(ctx, "bridge", vars+dial, pre)
	if r == nil {
		return BridgeResult{}, err
	}
	src := r.result
	if src == nil {
		c.mu.Lock()
		src = c.vars // hung up mid-bridge: the hangup event carries the originate variables
		c.mu.Unlock()
	}
	res := BridgeResult{Disposition: src.Var("originate_disposition")}
	if r.bridge != nil {
		res.Answered = true
		res.OtherLeg = r.bridge.Get("Other-Leg-Unique-ID")
		if res.OtherLeg == "" {
			res.OtherLeg = r.bridge.Get("Bridge-B-Unique-ID")
		}
	}
	if res.Disposition == "SUCCESS" || res.Disposition == "ANSWER" {
		res.Answered = true
	}
	if res.Answered {
		res.Cause = Cause(src.Var("last_bridge_hangup_cause"))
	} else {
		res.Cause = Cause(res.Disposition)
	}
	return res, err
}

// Transfer sends the call to another extension of the dialplan ("5220", "XML", "default");
// dialplan and context may be "". It also sends `resume`, so when the handler returns and the
// socket closes, the call stays up in the dialplan instead of being hung up.
func (c *Call) Transfer(ctx context.Context, dest, dialplan, dpContext string) error {
	args := []string{dest}
	for _, a := range []string{dialplan, dpContext} {
		if a != "" {
			args = append(args, a)
		}
	}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\r\n") {
			return fmt.Errorf("%w: transfer %q: destination, dialplan and context must be single words", ErrBadArgument, strings.Join(args, " "))
		}
	}
	// resume: when ivrd then releases the socket, FreeSWITCH keeps the call in the dialplan
	// instead of hanging it up.
	_, err := c.run(ctx, "transfer", strings.Join(args, " "), []*command{{line: "resume"}})
	if err != nil && c.HangupCause() == "" && errors.Is(err, ErrHangup) {
		return nil // the socket was released by the transfer: that is success
	}
	return err
}

// Set sets a channel variable.
func (c *Call) Set(ctx context.Context, name, value string) error {
	return c.setLike(ctx, "set", name, value)
}

// Export sets a channel variable and exports it to legs this call creates (bridge).
func (c *Call) Export(ctx context.Context, name, value string) error {
	return c.setLike(ctx, "export", name, value)
}

// Unset removes a channel variable.
func (c *Call) Unset(ctx context.Context, name string) error {
	if err := checkVarName(name); err != nil {
		return err
	}
	_, err := c.run(ctx, "unset", name, nil)
	c.noteVar(name, "")
	return err
}

func (c *Call) setLike(ctx context.Context, app, name, value string) error {
	if err := checkVarName(name); err != nil {
		return err
	}
	_, err := c.run(ctx, app, name+"="+value, nil)
	if err == nil {
		c.noteVar(name, value)
	}
	return err
}

func (c *Call) noteVar(name, value string) {
	if name == "playback_terminators" {
		c.mu.Lock()
		c.playbackTrm = value
		if value == "" {
			c.playbackTrm = "*"
		}
		c.mu.Unlock()
	}
}

func checkVarName(name string) error {
	if name == "" || strings.ContainsAny(name, "= \t\r\n") {
		return fmt.Errorf("%w: variable name %q", ErrBadArgument, name)
	}
	return nil
}

// Sleep keeps the channel waiting for d (FreeSWITCH's sleep application).
func (c *Call) Sleep(ctx context.Context, d time.Duration) error {
	_, err := c.run(ctx, "sleep", strconv.FormatInt(durationMillis(d), 10), nil)
	return err
}

// Hangup hangs the call up with cause ("" means NORMAL_CLEARING) and waits until FreeSWITCH
// reports the hangup. Hanging up a call that is already over is not an error.
func (c *Call) Hangup(ctx context.Context, cause Cause) error {
	if c.ended() != nil {
		return nil
	}
	if cause == "" {
		cause = CauseNormalClearing
	}
	if strings.ContainsAny(string(cause), " \r\n") {
		return fmt.Errorf("%w: hangup cause %q", ErrBadArgument, cause)
	}
	cmd := &command{line: "sendmsg", headers: []Header{{"call-command", "hangup"}, {"hangup-cause", string(cause)}}}
	if err := c.sendAll(ctx, []*command{cmd}); err != nil {
		if c.ended() != nil {
			return nil
		}
		return fmt.Errorf("call %s: hangup: %w", c.uuid, err)
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("call %s: waiting for hangup: %w", c.uuid, ctx.Err())
	}
}

// WaitDTMF returns the next digit the caller pressed. Digits pressed while nobody waited are
// buffered in order (except those consumed by Playback / PlayAndGetDigits / Speak).
func (c *Call) WaitDTMF(ctx context.Context) (string, error) {
	for {
		c.mu.Lock()
		if len(c.dtmf) > 0 {
			d := c.dtmf[0]
			c.dtmf = c.dtmf[1:]
			c.mu.Unlock()
			return d, nil
		}
		c.mu.Unlock()
		select {
		case <-c.dtmfWake:
		case <-c.done:
			c.mu.Lock()
			n := len(c.dtmf)
			c.mu.Unlock()
			if n == 0 {
				return "", c.endErr()
			}
		case <-ctx.Done():
			return "", fmt.Errorf("call %s: waiting for DTMF: %w", c.uuid, ctx.Err())
		}
	}
}

// FlushDTMF drops and returns the buffered digits.
func (c *Call) FlushDTMF() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dtmf
	c.dtmf = nil
	return d
}
