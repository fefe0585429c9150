package fstest

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

type waitResult int

const (
	waitDone waitResult = iota
	waitHangup
	waitDigit
	waitBreak
)

// wait waits d of emulated time (forever if d == forever), returning early on hangup, on a
// DTMF digit when digits is set, or when the app is broken (transfer, bridge partner gone).
func (c *channel) wait(d time.Duration, digits bool) (byte, waitResult) {
	var tc <-chan time.Time
	if d != forever {
		t := c.srv.clock.NewTimer(d)
		defer t.Stop()
		tc = t.C()
	}
	var dq chan byte
	if digits {
		dq = c.dtmfQ
	}
	select {
	case <-c.hungup:
		return 0, waitHangup
	case <-tc:
		return 0, waitDone
	case b := <-dq:
		return b, waitDigit
	case <-c.broken:
		return 0, waitBreak
	}
}

// execute runs one application the way switch_core_session_exec does: variables, CHANNEL_EXECUTE,
// the application, CHANNEL_EXECUTE_COMPLETE.
func (c *channel) execute(req *appRequest) {
	if c.isHungup() {
		return
	}
	if req.hangup != "" {
		c.hangup(req.hangup)
		return
	}
	app := strings.ToLower(strings.TrimSpace(req.app))
	appUUID := req.eventUUID
	if appUUID == "" {
		appUUID = newUUID()
	}
	loops := req.loops
	if loops < 1 {
		loops = 1
	}
	req.arg = c.expand(req.arg)
	for loop := 1; loop <= loops && !c.isHungup(); loop++ {
		c.mu.Lock()
		if req.viaSocket {
			c.vars.set("current_loop", strconv.Itoa(loop))
			c.vars.set("total_loops", strconv.Itoa(loops))
		}
		c.vars.set("current_application", app)
		c.vars.set("current_application_data", req.arg)
		c.vars.set("current_application_response", "")
		post := []Header{{"Application", app}}
		if req.arg != "" {
			post = append(post, Header{"Application-Data", req.arg})
		}
		post = append(post, Header{"Application-UUID", appUUID})
		e := c.eventLocked("CHANNEL_EXECUTE", siteExecute, nil, true, true, post)
		c.srv.fireLocked(e, c)
		c.vars.set("current_application", app)
		c.lastApp, c.lastArg = app, req.arg
		c.mu.Unlock()
		c.srv.noteCall(c, CallEvent{Kind: KindApp, App: app, Data: req.arg})

		c.runApp(app, req.arg)

		c.mu.Lock()
		resp, ok := c.vars.get("current_application_response")
		if !ok {
			resp = "_none_"
		}
		post = []Header{{"Application", app}}
		if req.arg != "" {
			post = append(post, Header{"Application-Data", req.arg})
		}
		post = append(post, Header{"Application-Response", resp}, Header{"Application-UUID", appUUID})
		e = c.eventLocked("CHANNEL_EXECUTE_COMPLETE", siteExecuteComplete, nil, true, true, post)
		c.srv.fireLocked(e, c)
		if req.viaSocket {
			c.vars.set("current_loop", "")
			c.vars.set("total_loops", "")
		}
		c.mu.Unlock()
		c.srv.noteCall(c, CallEvent{Kind: KindAppDone, App: app, Data: req.arg, Response: resp})
	}
	if req.done != nil {
		close(req.done)
	}
}

// runApp dispatches to the emulated application.
func (c *channel) runApp(app, arg string) {
	switch app {
	case "answer":
		c.appAnswer()
	case "pre_answer":
		c.appPreAnswer()
	case "ring_ready":
		if c.peer != nil {
			c.peer.markProgress()
		}
		c.markProgress()
	case "park":
		c.park(nil)
	case "socket":
		c.appSocket(arg)
	case "playback":
		c.appPlayback(arg, false)
	case "endless_playback":
		c.appPlayback(arg, true)
	case "speak":
		c.appSpeak(arg)
	case "play_and_get_digits":
		c.appPlayAndGetDigits(arg)
	case "read":
		c.appRead(arg)
	case "set", "export":
		name, val, _ := strings.Cut(arg, "=")
		name = strings.TrimSpace(name)
		if strings.Contains(val, "${strftime(") {
			val = c.srv.clock.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")
		}
		c.setVar(name, val)
		if app == "export" {
			c.mu.Lock()
			ev, _ := c.vars.get("export_vars")
			if ev != "" {
				ev += ","
			}
			c.vars.set("export_vars", ev+name)
			c.mu.Unlock()
		}
	case "unset":
		c.setVar(strings.TrimSpace(arg), "")
	case "multiset":
		for _, kv := range strings.Fields(arg) {
			name, val, _ := strings.Cut(kv, "=")
			c.setVar(name, val)
		}
	case "sleep":
		ms, _ := strconv.Atoi(strings.TrimSpace(arg))
		c.wait(time.Duration(ms)*time.Millisecond, false)
	case "hangup":
		c.hangup(strings.TrimSpace(arg))
	case "respond":
		// a no-op on loopback channels (no SIP); on an incoming SIP leg a 4xx-6xx ends the call
		if !c.isLoopback && c.peer != nil {
			c.sipRespond(strings.TrimSpace(arg))
		}
	case "record_session":
		c.appRecordSession(arg)
	case "stop_record_session":
		c.appStopRecordSession(arg)
	case "bridge":
		c.appBridge(arg)
	case "transfer":
		f := strings.Fields(arg)
		t := &transferTarget{dialplan: "XML", context: c.prof.context}
		if len(f) > 0 {
			t.ext = f[0]
		}
		if len(f) > 1 {
			t.dialplan = f[1]
		}
		if len(f) > 2 {
			t.context = f[2]
		}
		c.requestTransfer(t)
	case "log", "info", "event", "send_dtmf", "ring", "echo", "hold", "unhold", "uuid_break":
		if app == "echo" {
			c.wait(forever, false)
		}
	default:
		c.srv.log.Warn("fstest: application not emulated", "app", app, "arg", arg)
	}
}

func (c *channel) appAnswer() {
	if c.peer != nil {
		c.peer.markAnswered()
	}
	c.markAnswered()
}

func (c *channel) appPreAnswer() {
	for _, ch := range []*channel{c.peer, c} {
		if ch == nil {
			continue
		}
		ch.mu.Lock()
		if ch.prof.progressMedia != 0 || ch.isAnswered() {
			ch.mu.Unlock()
			continue
		}
		now := ch.srv.clock.Now().UnixMicro()
		ch.prof.progressMedia = now
		if ch.prof.progress == 0 {
			ch.prof.progress = now
		}
		if ch.callState == "DOWN" {
			ch.callState = "EARLY"
		}
		ch.answerState = "early"
		ch.vars.set("endpoint_disposition", "EARLY MEDIA")
		select {
		case <-ch.early:
		default:
			close(ch.early)
		}
		e := ch.eventLocked("CHANNEL_PROGRESS_MEDIA", siteProgressMedia, nil, true, true, nil)
		ch.srv.fireLocked(e, ch)
		ch.mu.Unlock()
	}
}

// park holds the channel, running applications queued by sendmsg or uuid_broadcast, until it
// hangs up, is transferred, or stop (the controlling socket) goes away.
func (c *channel) park(stop <-chan struct{}) {
	if stop == nil {
		c.fire("CHANNEL_PARK", sitePark)
	}
	for {
		select {
		case req := <-c.cmdQ:
			c.execute(req)
			continue
		default:
		}
		if c.isHungup() || c.transferPending() {
			break
		}
		select {
		case req := <-c.cmdQ:
			c.execute(req)
			continue
		case <-c.hungup:
		case <-stop:
		case <-c.broken:
			if !c.transferPending() {
				continue
			}
		case <-c.dtmfQ:
			continue // park eats digits nobody asked for
		}
		break
	}
	c.fire("CHANNEL_UNPARK", siteUnpark)
}

func (c *channel) transferPending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transferTo != nil
}

func (c *channel) requestTransfer(t *transferTarget) {
	c.mu.Lock()
	c.transferTo = t
	// a new caller profile for the new destination (switch_ivr_session_transfer)
	now := c.srv.clock.Now()
	p := &c.prof
	src := strconv.FormatInt(now.Unix(), 10) + ":" + newUUID() + ":bl_xfer:" + t.ext + "/" + t.context + "/" + t.dialplan
	if p.chanCreated == 0 {
		p.chanCreated = p.created
	}
	p.created = now.UnixMicro()
	if p.index == 0 {
		p.index = 1
	}
	p.index++
	p.rdnis = p.dest
	p.dest, p.context, p.dialplan = t.ext, t.context, t.dialplan
	p.logicalDirection = "inbound"
	p.transferSource = src
	if _, ok := c.vars.get("max_forwards"); !ok {
		c.vars.set("max_forwards", "70")
	}
	c.vars.set("transfer_history", src)
	c.vars.set("transfer_source", src)
	c.state = csRouting
	c.mu.Unlock()
	select {
	case c.broken <- struct{}{}:
	default:
	}
}

// terminators returns the digits that stop a playback (playback_terminators, default "*").
func (c *channel) terminators() string {
	t, ok := c.getVar("playback_terminators")
	if !ok {
		return "*"
	}
	switch strings.ToLower(t) {
	case "none":
		return ""
	case "any":
		return "0123456789*#ABCD"
	}
	return t
}

// play plays one prompt. With stopOnAny the first digit stops it and is returned to the caller
// (play_and_get_digits barge-in); otherwise only terminators stop it. It fires PLAYBACK_START/STOP.
func (c *channel) play(file string, stopOnAny bool, endless bool) (elapsed time.Duration, digit byte, status waitResult) {
	p := parsePrompt(file)
	if endless {
		p.length = forever
	}
	c.fire("PLAYBACK_START", sitePlaybackStart, Header{"Playback-File-Type", fileType(file)}, Header{"Playback-File-Path", file})
	c.srv.noteCall(c, CallEvent{Kind: KindPlayback, Data: file, Length: p.length})
	start := c.srv.clock.Now()
	terms := c.terminators()
	status = waitDone
	for {
		remaining := forever
		if p.length != forever {
			remaining = p.length - c.srv.clock.Now().Sub(start)
			if remaining <= 0 {
				break
			}
		}
		d, why := c.wait(remaining, true)
		if why == waitDigit {
			if stopOnAny || strings.IndexByte(terms, d) >= 0 {
				digit, status = d, waitDigit
				break
			}
			continue
		}
		status = why
		break
	}
	elapsed = c.srv.clock.Now().Sub(start)
	if elapsed > p.length {
		elapsed = p.length
	}
	c.notePlayed(start, elapsed, p)
	st := "done"
	if status == waitDigit || status == waitBreak {
		st = "break"
	}
	c.mu.Lock()
	if status == waitDigit && !stopOnAny {
		c.vars.set("playback_terminator_used", string(digit))
	}
	ms := elapsed.Milliseconds()
	samples := ms * int64(c.rate) / 1000
	c.vars.set("playback_last_offset_pos", strconv.FormatInt(samples, 10))
	c.vars.set("playback_seconds", strconv.FormatInt(ms/1000, 10))
	c.vars.set("playback_ms", strconv.FormatInt(ms, 10))
	c.vars.set("playback_samples", strconv.FormatInt(samples, 10))
	e := c.eventLocked("PLAYBACK_STOP", sitePlaybackStop, nil, true, true,
		[]Header{{"Playback-File-Type", fileType(file)}, {"Playback-File-Path", file}, {"Playback-Status", st}})
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
	return elapsed, digit, status
}

func fileType(file string) string {
	if i := strings.Index(file, "://"); i > 0 {
		return file[:i]
	}
	return "native"
}

func (c *channel) appPlayback(arg string, endless bool) {
	if strings.HasPrefix(arg, "local_stream://") {
		c.setVar("current_application_response", "FILE NOT FOUND") // no music on hold here
		return
	}
	c.setVar("playback_terminator_used", "")
	_, digit, status := c.play(arg, false, endless)
	resp := "FILE PLAYED"
	if status == waitHangup {
		resp = "PLAYBACK ERROR"
	}
	_ = digit
	c.mu.Lock()
	c.vars.set("current_application_response", resp)
	c.mu.Unlock()
}

func (c *channel) appSpeak(arg string) {
	text := arg
	if f := strings.SplitN(arg, "|", 3); len(f) == 3 {
		text = f[2]
	}
	d := speakLength(text)
	c.srv.noteCall(c, CallEvent{Kind: KindSpeak, Data: text, Length: d})
	start := c.srv.clock.Now()
	terms := c.terminators()
	for {
		remaining := d - c.srv.clock.Now().Sub(start)
		if remaining <= 0 {
			return
		}
		digit, why := c.wait(remaining, true)
		if why == waitDigit && strings.IndexByte(terms, digit) < 0 {
			continue
		}
		return
	}
}

// collectDigits reads digits after a prompt: up to max, ending on a terminator, after timeout
// for the first digit or digitTimeout between digits.
func (c *channel) collectDigits(first byte, max int, terms string, timeout, digitTimeout time.Duration) (digits string, term byte, why waitResult) {
	var b []byte
	if first != 0 {
		if strings.IndexByte(terms, first) >= 0 {
			return "", first, waitDigit
		}
		b = append(b, first)
	}
	for len(b) < max {
		t := timeout
		if len(b) > 0 {
			t = digitTimeout
		}
		d, w := c.wait(t, true)
		switch w {
		case waitDigit:
			if strings.IndexByte(terms, d) >= 0 {
				return string(b), d, waitDigit
			}
			b = append(b, d)
		case waitDone:
			return string(b), 0, waitDone
		default:
			return string(b), 0, w
		}
	}
	return string(b), 0, waitDone
}

// appPlayAndGetDigits: min max tries timeout terminators file invalid_file var regexp [digit_timeout] [transfer_on_failure]
func (c *channel) appPlayAndGetDigits(arg string) {
	f := splitAppArgs(arg) // quotes group words, as in FreeSWITCH
	get := func(i int, def string) string {
		if i < len(f) {
			return f[i]
		}
		return def
	}
	minD, _ := strconv.Atoi(get(0, "0"))
	maxD, _ := strconv.Atoi(get(1, "128"))
	tries, _ := strconv.Atoi(get(2, "1"))
	timeoutMs, _ := strconv.Atoi(get(3, "5000"))
	terms := get(4, "#")
	if terms == "none" {
		terms = ""
	}
	file := get(5, "")
	invalid := get(6, "")
	varName := get(7, "")
	re := get(8, "")
	digitTimeoutMs, err := strconv.Atoi(get(9, ""))
	if err != nil {
		digitTimeoutMs = timeoutMs
	}
	var rx *regexp.Regexp
	if re != "" {
		rx, _ = regexp.Compile(re)
	}
	if tries < 1 {
		tries = 1
	}
	result := "failure"
	var got string
	var term byte
	for try := 0; try < tries && !c.isHungup(); try++ {
		var first byte
		if file != "" {
			_, d, st := c.play(file, true, false)
			if st == waitHangup {
				result = "failure"
				break
			}
			if st == waitDigit {
				first = d
			}
		}
		digits, t, why := c.collectDigits(first, maxD, terms, time.Duration(timeoutMs)*time.Millisecond, time.Duration(digitTimeoutMs)*time.Millisecond)
		if why == waitHangup {
			break
		}
		if len(digits) >= minD && (rx == nil || rx.MatchString(digits)) && (digits != "" || minD == 0) {
			got, term, result = digits, t, "success"
			break
		}
		if digits == "" && t == 0 {
			result = "timeout"
		} else {
			result = "failure"
		}
		if invalid != "" && invalid != "''" && try+1 < tries {
			c.play(invalid, true, false)
		}
	}
	c.mu.Lock()
	if term != 0 {
		c.vars.set("read_terminator_used", string(term))
	}
	c.vars.set("read_result", result)
	if varName != "" {
		c.vars.set(varName, got)
	}
	c.mu.Unlock()
	c.srv.noteCall(c, CallEvent{Kind: KindDigits, Data: got, Response: result})
}

// appRead: min max sound_file variable_name timeout terminators
func (c *channel) appRead(arg string) {
	f := splitAppArgs(arg) // quotes group words, as in FreeSWITCH
	get := func(i int, def string) string {
		if i < len(f) {
			return f[i]
		}
		return def
	}
	minD, _ := strconv.Atoi(get(0, "0"))
	maxD, _ := strconv.Atoi(get(1, "128"))
	file := get(2, "")
	varName := get(3, "")
	timeoutMs, _ := strconv.Atoi(get(4, "5000"))
	terms := get(5, "#")
	var first byte
	if file != "" {
		_, d, st := c.play(file, true, false)
		if st == waitHangup {
			return
		}
		if st == waitDigit {
			first = d
		}
	}
	digits, t, why := c.collectDigits(first, maxD, terms, time.Duration(timeoutMs)*time.Millisecond, time.Duration(timeoutMs)*time.Millisecond)
	result := "success"
	switch {
	case why == waitHangup:
		result = "failure"
	case digits == "" && t == 0:
		result = "timeout"
	case len(digits) < minD:
		result = "failure"
	}
	c.mu.Lock()
	if t != 0 {
		c.vars.set("read_terminator_used", string(t))
	}
	c.vars.set("read_result", result)
	if varName != "" {
		c.vars.set(varName, digits)
	}
	c.mu.Unlock()
	c.srv.noteCall(c, CallEvent{Kind: KindDigits, Data: digits, Response: result})
}

// receiveDTMF delivers digits to the channel: a DTMF event each, digits_dialed, and the queue
// the running application reads.
func (c *channel) receiveDTMF(digits string) {
	for i := 0; i < len(digits); i++ {
		d := digits[i]
		if d == 'w' || d == 'W' || d == ' ' {
			continue
		}
		c.mu.Lock()
		if c.isHungup() {
			c.mu.Unlock()
			return
		}
		c.digits = append(c.digits, d)
		e := c.eventLocked("DTMF", siteDTMF, nil, true, false,
			[]Header{{"DTMF-Digit", string(d)}, {"DTMF-Duration", "2000"}, {"DTMF-Source", "UNKNOWN"}})
		c.srv.fireLocked(e, c)
		c.mu.Unlock()
		c.srv.noteCall(c, CallEvent{Kind: KindDTMF, Data: string(d)})
		select {
		case c.dtmfQ <- d:
		default:
		}
	}
}

// expand substitutes ${var} with channel variables, as FreeSWITCH does with application data
// (unknown variables become empty; ${strftime(...)} and other API calls are left alone).
func (c *channel) expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		if strings.ContainsAny(name, "( ") {
			b.WriteString(s[i : i+j+1])
		} else {
			v, _ := c.getVar(name)
			b.WriteString(v)
		}
		s = s[i+j+1:]
	}
}
