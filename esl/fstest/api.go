package fstest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// api runs one api command line. It returns the output exactly as FreeSWITCH would and what
// must happen once that output is on its way (the API event, the effects of uuid_kill), so a
// reply is never overtaken by the events it causes.
func (s *Server) api(c *conn, line string) (string, func()) {
	cmd, args, _ := strings.Cut(strings.TrimSpace(line), " ")
	args = strings.TrimSpace(args)
	var post []func()
	out := s.apiRun(cmd, args, &post)
	return out, func() {
		ev := s.newEvent("API", siteAPI)
		ev.add("API-Command", cmd)
		if args != "" {
			ev.add("API-Command-Argument", args)
		}
		s.fire(ev)
		for _, f := range post {
			f()
		}
	}
}

func (s *Server) apiRun(cmd, args string, post *[]func()) string {
	switch cmd {
	case "status":
		return s.apiStatus()
	case "version":
		return "FreeSWITCH Version 1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit (git a88d069 2024-08-02 21:02:27Z 64bit)\n"
	case "hostname":
		return s.hostname
	case "global_getvar":
		return s.globalVar(args)
	case "originate":
		return s.apiOriginate(args, nil)
	case "uuid_exists":
		if s.apiChannel(firstField(args)) != nil {
			return "true"
		}
		return "false"
	case "uuid_kill":
		return s.apiUUIDKill(args, post)
	case "uuid_getvar":
		f := strings.Fields(args)
		if len(f) < 2 {
			return "-USAGE: <uuid> <var>\n"
		}
		ch := s.apiChannel(f[0])
		if ch == nil {
			return "-ERR No such channel!\n"
		}
		if v, ok := ch.getVar(f[1]); ok {
			return v
		}
		return "_undef_"
	case "uuid_setvar":
		f := strings.SplitN(args, " ", 3)
		if len(f) < 2 || f[1] == "" {
			return "-USAGE: <uuid> <var> [value]\n"
		}
		ch := s.apiChannel(f[0])
		if ch == nil {
			return "-ERR No such channel!\n"
		}
		val := ""
		if len(f) == 3 {
			val = f[2]
		}
		ch.setVar(f[1], val)
		return "+OK\n"
	case "uuid_send_dtmf":
		f := strings.Fields(args)
		if len(f) < 2 {
			return "-USAGE: <uuid> <dtmf_data>\n"
		}
		ch := s.apiChannel(f[0])
		if ch == nil {
			return "-ERR no such channel\n"
		}
		digits := f[1]
		if i := strings.IndexByte(digits, '@'); i >= 0 {
			digits = digits[:i]
		}
		target := ch
		ch.mu.Lock()
		if ch.peer != nil {
			target = ch.peer
		} else if ch.bridged != nil {
			target = ch.bridged
		}
		if target != ch {
			ch.vars.set("last_dtmf_duration", "2000") // the sending leg remembers the duration it sent
		}
		ch.mu.Unlock()
		go target.receiveDTMF(digits)
		return fmt.Sprintf("+OK %s sent DTMF %s.\n", f[0], f[1])
	case "uuid_broadcast":
		f := strings.Fields(args)
		if len(f) < 2 {
			return "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
		}
		ch := s.apiChannel(f[0])
		if ch == nil {
			return "-ERR invalid uuid\n"
		}
		app, arg := "playback", f[1]
		if a, b, ok := strings.Cut(f[1], "::"); ok {
			app, arg = a, strings.ReplaceAll(b, " ", " ")
		}
		select {
		case ch.cmdQ <- &appRequest{app: app, arg: arg, viaSocket: true, broadcast: true}:
		default:
		}
		return "+OK Message sent\n"
	case "uuid_transfer":
		f := strings.Fields(args)
		if len(f) < 2 {
			return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
		}
		ch := s.apiChannel(f[0])
		if ch == nil {
			return "-ERR No such channel!\n"
		}
		rest := f[1:]
		if rest[0] == "-bleg" || rest[0] == "-both" {
			rest = rest[1:]
			if len(rest) == 0 {
				return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
			}
		}
		t := &transferTarget{ext: rest[0], dialplan: "XML", context: ch.prof.context}
		if len(rest) > 1 {
			t.dialplan = rest[1]
		}
		if len(rest) > 2 {
			t.context = rest[2]
		}
		ch.requestTransfer(t)
		return "+OK\n"
	case "uuid_bridge":
		f := strings.Fields(args)
		if len(f) < 2 {
			return "-USAGE: <uuid> <other_uuid>\n"
		}
		a, b := s.apiChannel(f[0]), s.apiChannel(f[1])
		if a == nil || b == nil {
			return "-ERR Invalid uuid\n"
		}
		go a.bridgeWith(b)
		return "+OK " + f[1] + "\n"
	case "uuid_record":
		return s.apiUUIDRecord(args)
	case "uuid_answer":
		ch := s.apiChannel(firstField(args))
		if ch == nil {
			return "-ERR No such channel!\n"
		}
		ch.appAnswer()
		return "+OK\n"
	case "uuid_break":
		ch := s.apiChannel(firstField(args))
		if ch == nil {
			return "-ERR No such channel!\n"
		}
		select {
		case ch.broken <- struct{}{}:
		default:
		}
		return "+OK\n"
	case "uuid_dump":
		ch := s.apiChannel(firstField(args))
		if ch == nil {
			return "-ERR No such channel!\n"
		}
		ch.mu.Lock()
		e := ch.eventLocked("CHANNEL_DATA", siteChannelData, nil, true, true, nil)
		ch.mu.Unlock()
		var b strings.Builder
		for _, h := range e.Headers[13:] {
			b.WriteString(h.Name + ": " + urlEncode(h.Value) + "\n")
		}
		return b.String()
	case "show":
		return s.apiShow(args)
	case "hupall":
		f := strings.Fields(args)
		cause := "MANAGER_REQUEST"
		if len(f) > 0 {
			cause = f[0]
		}
		for _, ch := range s.liveChannels() {
			if len(f) >= 3 {
				if v, _ := ch.getVar(f[1]); v != f[2] {
					continue
				}
			}
			ch.hangup(cause)
		}
		return fmt.Sprintf("+OK hangup all channels with cause %s\n", cause)
	case "fsctl":
		return s.apiFsctl(args)
	case "sofia":
		return "+OK\n"
	case "echo":
		return args
	case "fstest_call":
		return s.apiFstestCall(args)
	case "":
		return "-ERR no_such_command Command not found!\n"
	}
	return "-ERR " + cmd + " Command not found!\n"
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func (s *Server) apiStatus() string {
	s.mu.Lock()
	up := s.clock.Now().Sub(s.started)
	since := s.sessionsSinceStart
	live := len(s.channels)
	s.mu.Unlock()
	d := up
	years := int(d / (365 * 24 * time.Hour))
	d -= time.Duration(years) * 365 * 24 * time.Hour
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	hours := int(d / time.Hour)
	d -= time.Duration(hours) * time.Hour
	mins := int(d / time.Minute)
	d -= time.Duration(mins) * time.Minute
	secs := int(d / time.Second)
	d -= time.Duration(secs) * time.Second
	ms := int(d / time.Millisecond)
	d -= time.Duration(ms) * time.Millisecond
	us := int(d / time.Microsecond)
	return fmt.Sprintf("UP %d years, %d days, %d hours, %d minutes, %d seconds, %d milliseconds, %d microseconds\n"+
		"FreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready\n"+
		"%d session(s) since startup\n"+
		"%d session(s) - peak %d, last 5min %d \n"+
		"0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n"+
		"1000 session(s) max\n"+
		"min idle cpu 0.00/99.00\n"+
		"Current Stack Size/Max 240K/8192K\n",
		years, days, hours, mins, secs, ms, us, since, live, live, live)
}

func (s *Server) globalVar(name string) string {
	vars := map[string]string{
		"local_ip_v4": s.ipv4, "local_ip_v6": s.ipv6, "hostname": s.hostname, "switchname": s.hostname,
		"core_uuid": s.coreUUID, "domain": s.ipv4, "sound_prefix": "/usr/share/freeswitch/sounds/en/us/callie",
		"base_dir": "/usr", "recordings_dir": "/var/lib/freeswitch/recordings",
	}
	if name == "" {
		var b strings.Builder
		for k, v := range vars {
			b.WriteString(k + "=" + v + "\n")
		}
		return b.String()
	}
	return vars[name]
}

func (s *Server) apiUUIDKill(args string, post *[]func()) string {
	f := strings.Fields(args)
	if len(f) == 0 {
		return "-USAGE: <uuid> [cause]\n"
	}
	ch := s.apiChannel(f[0])
	if ch == nil || ch.isHungup() {
		return "-ERR No such channel!\n"
	}
	cause := "NORMAL_CLEARING"
	if len(f) > 1 {
		cause = f[1]
	}
	*post = append(*post, func() { ch.hangup(cause) })
	return "+OK\n"
}

// apiUUIDRecord: uuid_record <uuid> [start|stop|mask|unmask] <path> [<limit>]
func (s *Server) apiUUIDRecord(args string) string {
	f := strings.Fields(args)
	if len(f) < 3 {
		return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
	}
	ch := s.apiChannel(f[0])
	if ch == nil {
		return "-ERR Cannot locate session!\n"
	}
	switch f[1] {
	case "start":
		ch.appRecordSession(f[2])
	case "stop":
		ch.appStopRecordSession(f[2])
	}
	return "+OK Success\n"
}

func (s *Server) apiFsctl(args string) string {
	f := strings.Fields(args)
	if len(f) == 0 {
		return "-USAGE: fsctl [...]\n"
	}
	switch f[0] {
	case "shutdown", "stop":
		go func() { _ = s.Stop(backgroundCtx()) }()
		return "+OK\n"
	case "sps":
		return "+OK sessions per second: " + strings.Join(f[1:], " ") + "\n"
	default:
		return "+OK\n"
	}
}

// apiOriginate: originate <url> <exten>|&<app>(<args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout>]
func (s *Server) apiOriginate(args string, call *Call) string {
	argv := splitOriginateArgs(args)
	if len(argv) < 2 {
		return "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"
	}
	global, groups, err := parseDialString(argv[0])
	if err != nil {
		return "-ERR INVALID_NUMBER_FORMAT\n"
	}
	get := func(i int) string {
		if i < len(argv) {
			return argv[i]
		}
		return ""
	}
	timeout := 60 * time.Second
	if v, ok := lookupVar(global, "originate_timeout"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			timeout = time.Duration(n) * time.Second
		}
	}
	if n, err := strconv.Atoi(get(6)); err == nil && n > 0 {
		timeout = time.Duration(n) * time.Second
	}
	if n := get(4); n != "" {
		global = append(global, Header{"origination_caller_id_name", n})
	}
	if n := get(5); n != "" {
		global = append(global, Header{"origination_caller_id_number", n})
	}
	o := dialOptions{global: global, timeout: timeout, fromOriginate: true, call: call}
	if call != nil {
		o.wideband = call.spec.Wideband
	}
	res := s.dial(groups, o)
	if res.leg == nil {
		for _, l := range res.legs {
			go func(l *channel) {
				l.hangup(res.cause)
				l.finishIfIdle()
			}(l)
		}
		return "-ERR " + res.cause + "\n"
	}
	a := res.leg
	a.flipCID()
	dest := get(1)
	var actions []Action
	if strings.HasPrefix(dest, "&") {
		app := strings.TrimPrefix(dest, "&")
		arg := ""
		if i := strings.IndexByte(app, '('); i > 0 && strings.HasSuffix(app, ")") {
			app, arg = app[:i], app[i+1:len(app)-1]
		}
		actions = []Action{{app, arg}}
	} else {
		context := get(3)
		if context == "" {
			context = "default"
		}
		acts, found, ok := s.dialplan.lookup(context, dest)
		if !ok || !found {
			acts = []Action{Hangup("NO_ROUTE_DESTINATION")}
		}
		actions = acts
	}
	a.mu.Lock()
	a.ownsRunner = true
	a.mu.Unlock()
	go func() {
		a.setRunning(csExecute)
		a.runDialplan(actions)
	}()
	return "+OK " + a.uuid + "\n"
}

// finishIfIdle tears down a leg that failed during originate and runs no dialplan of its own.
func (c *channel) finishIfIdle() {
	c.mu.Lock()
	own := c.ownsRunner
	c.mu.Unlock()
	if !own {
		c.finish()
	}
}

// splitOriginateArgs splits originate's arguments on spaces outside {} [] and () and outside
// single quotes, which are removed as FreeSWITCH's argument splitter does
// ('&socket(127.0.0.1:8084 async full)' is one argument).
func splitOriginateArgs(s string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '\'' {
			quoted = !quoted
			continue
		}
		if quoted {
			cur.WriteByte(ch)
			continue
		}
		switch ch {
		case '{', '[', '(', '<':
			depth++
		case '}', ']', ')', '>':
			depth--
		}
		if ch == ' ' && depth <= 0 {
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(ch)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// backgroundJob runs a bgapi command and fires BACKGROUND_JOB with its output.
func (s *Server) backgroundJob(job, line, owner string) {
	out, post := s.api(nil, line)
	post()
	cmd, args, _ := strings.Cut(strings.TrimSpace(line), " ")
	e := s.newEvent("BACKGROUND_JOB", siteBackgroundJob)
	e.add("Job-UUID", job)
	e.add("Job-Command", cmd)
	if args = strings.TrimSpace(args); args != "" {
		e.add("Job-Command-Arg", args)
	}
	if owner != "" {
		e.add("Job-Owner-UUID", owner)
	}
	e.Body = out
	s.fire(e)
}

// flipCID swaps caller and callee ID on an originated leg once it is answered
// (switch_channel_flip_cid): the A-leg then shows the callee as its caller ID.
func (c *channel) flipCID() {
	c.mu.Lock()
	p := &c.prof
	if p.cidName != "" {
		c.vars.set("pre_transfer_caller_id_name", p.cidName)
	}
	c.vars.set("pre_transfer_caller_id_number", p.cidNumber)
	p.cidName, p.calleeName = p.calleeName, p.cidName
	p.cidNumber, p.calleeNumber = p.calleeNumber, p.cidNumber
	c.vars.set("channel_cid_flipped", "yes")
	c.noDialplanHit = false
	e := c.eventLocked("CALL_UPDATE", callSite{"switch_channel.c", "switch_channel_flip_cid", 3277},
		[]Header{{"Direction", "RECV"}}, true, true, nil)
	c.srv.fireLocked(e, c)
	c.vars.set("call_uuid", c.uuid)
	c.mu.Unlock()
}

// apiChannel finds a channel for an api command. A channel that has hung up and is not held by
// an outbound socket (linger) is gone for the api at once, as FreeSWITCH tears such a session
// down within milliseconds (trace 40: uuid_exists right after uuid_kill says false).
func (s *Server) apiChannel(uuid string) *channel {
	c := s.channel(uuid)
	if c == nil {
		return nil
	}
	if c.isHungup() && c.held.Load() == 0 {
		return nil
	}
	return c
}
