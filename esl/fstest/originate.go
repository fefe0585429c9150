package fstest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// legSpec is one leg of a dial string: its own [vars] on top of the global {vars}.
type legSpec struct {
	vars []Header
	dial string
}

// parseDialString splits "{a=1,b=2}[c=3]loopback/1000,[d=4]user/1001|sofia/..." into leg
// groups: groups are tried in turn ("|"), the legs of a group ring together (",").
func parseDialString(s string) (global []Header, groups [][]legSpec, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "<") {
		close := "}"
		if s[0] == '<' {
			close = ">"
		}
		i := strings.Index(s, close)
		if i < 0 {
			return nil, nil, fmt.Errorf("unterminated variable block in %q", s)
		}
		global = parseVarList(s[1:i])
		s = s[i+1:]
	}
	for _, g := range splitOutside(s, '|') {
		var group []legSpec
		for _, l := range splitOutside(g, ',') {
			l = strings.TrimSpace(l)
			var leg legSpec
			for strings.HasPrefix(l, "[") || strings.HasPrefix(l, "{") {
				close := "]"
				if l[0] == '{' {
					close = "}"
				}
				i := strings.Index(l, close)
				if i < 0 {
					return nil, nil, fmt.Errorf("unterminated leg variables in %q", l)
				}
				leg.vars = append(leg.vars, parseVarList(l[1:i])...)
				l = strings.TrimSpace(l[i+1:])
			}
			if l == "" {
				continue
			}
			leg.dial = l
			group = append(group, leg)
		}
		if len(group) > 0 {
			groups = append(groups, group)
		}
	}
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("empty dial string")
	}
	return global, groups, nil
}

// splitOutside splits s at sep outside of [], {} and <> blocks.
func splitOutside(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', '<':
			depth++
		case ']', '}', '>':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseVarList parses "a=1,b='x y',c=Bank\, N.A." as FreeSWITCH does: separateString on
// commas (quotes removed, \, a literal comma).
func parseVarList(s string) []Header {
	var out []Header
	for _, kv := range separateString(s, ',') {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(k) != "" {
			out = append(out, Header{strings.TrimSpace(k), v})
		}
	}
	return out
}

func lookupVar(vars []Header, name string) (string, bool) {
	for i := len(vars) - 1; i >= 0; i-- {
		if vars[i].Name == name {
			return vars[i].Value, true
		}
	}
	return "", false
}

// dialResult is the outcome of ringing one or more legs.
type dialResult struct {
	leg   *channel // the answered leg (nil on failure)
	cause string   // failure cause
	legs  []*channel
}

// dialOptions are what originate and bridge pass down.
type dialOptions struct {
	global        []Header
	timeout       time.Duration // originate_timeout / call_timeout
	cidName       string
	cidNumber     string
	originator    *channel // bridge: the caller
	fromOriginate bool
	call          *Call
	wideband      bool
}

// dial rings the leg groups in turn; the legs of one group ring together and the first to
// answer wins (the others are cancelled with LOSE_RACE / ORIGINATOR_CANCEL).
func (s *Server) dial(groups [][]legSpec, o dialOptions) dialResult {
	var all []*channel
	cause := "NORMAL_CLEARING"
	for _, g := range groups {
		res := s.dialGroup(g, o)
		all = append(all, res.legs...)
		if res.leg != nil {
			res.legs = all
			return res
		}
		cause = res.cause
	}
	return dialResult{cause: cause, legs: all}
}

func (s *Server) dialGroup(g []legSpec, o dialOptions) dialResult {
	type legState struct {
		ch      *channel
		timeout time.Duration
	}
	var legs []legState
	for _, l := range g {
		vars := append(append([]Header(nil), o.global...), l.vars...)
		ch, cause := s.newLeg(l.dial, vars, o)
		if ch == nil {
			if len(g) == 1 {
				return dialResult{cause: cause}
			}
			continue
		}
		lt := time.Duration(0)
		if v, ok := lookupVar(vars, "leg_timeout"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				lt = time.Duration(n) * time.Second
			}
		}
		legs = append(legs, legState{ch, lt})
	}
	if len(legs) == 0 {
		return dialResult{cause: "DESTINATION_OUT_OF_ORDER"}
	}
	chans := make([]*channel, len(legs))
	for i, l := range legs {
		chans[i] = l.ch
	}
	winner := make(chan *channel, len(legs))
	for _, l := range legs {
		go func(l legState) {
			select {
			case <-l.ch.answered:
				winner <- l.ch
			case <-l.ch.hungup:
				winner <- nil
			}
		}(l)
		if l.timeout > 0 {
			go func(l legState) {
				select {
				case <-s.clock.After(l.timeout):
					if !l.ch.isAnswered() {
						l.ch.hangup("ALLOTTED_TIMEOUT")
					}
				case <-l.ch.answered:
				case <-l.ch.hungup:
				}
			}(l)
		}
	}
	var overall <-chan time.Time
	if o.timeout > 0 {
		t := s.clock.NewTimer(o.timeout)
		defer t.Stop()
		overall = t.C()
	}
	var origHung <-chan struct{}
	if o.originator != nil {
		origHung = o.originator.hungup
	}
	failed := 0
	lastCause := "NORMAL_CLEARING"
	for {
		select {
		case w := <-winner:
			if w != nil {
				for _, l := range chans {
					if l != w {
						l.hangup("LOSE_RACE")
					}
				}
				return dialResult{leg: w, legs: chans}
			}
			failed++
			for _, l := range chans {
				if l.isHungup() {
					l.mu.Lock()
					lastCause = l.cause
					l.mu.Unlock()
				}
			}
			if failed == len(chans) {
				return dialResult{cause: lastCause, legs: chans}
			}
		case <-overall:
			for _, l := range chans {
				l.hangup("NO_ANSWER")
			}
			return dialResult{cause: "NO_ANSWER", legs: chans}
		case <-origHung:
			for _, l := range chans {
				l.hangup("ORIGINATOR_CANCEL")
			}
			return dialResult{cause: "ORIGINATOR_CANCEL", legs: chans}
		}
	}
}

// newLeg creates the outgoing channel for one dial string and starts it ringing.
func (s *Server) newLeg(dial string, vars []Header, o dialOptions) (*channel, string) {
	switch {
	case strings.HasPrefix(dial, "loopback/"):
		return s.newLoopbackLeg(strings.TrimPrefix(dial, "loopback/"), vars, o)
	case strings.HasPrefix(dial, "sofia/internal/") && s.isSelfCall(dial):
		return s.newSIPSelfCall(strings.TrimPrefix(dial, "sofia/internal/"), vars, o)
	case strings.HasPrefix(dial, "user/"), strings.HasPrefix(dial, "sofia/"):
		return s.newEndpointLeg(dial, vars, o)
	case dial == "error/user_busy":
		return nil, "USER_BUSY"
	case strings.HasPrefix(dial, "error/"):
		return nil, strings.ToUpper(strings.TrimPrefix(dial, "error/"))
	}
	return nil, "CHAN_NOT_IMPLEMENTED"
}

// newLoopbackLeg creates loopback/<ext>[/<context>[/<dialplan>]]: an A-leg (returned) and a
// B-leg that runs the dialplan extension; the A-leg answers when the B-leg does.
func (s *Server) newLoopbackLeg(rest string, vars []Header, o dialOptions) (*channel, string) {
	parts := strings.Split(rest, "/")
	ext := parts[0]
	context := "default"
	if len(parts) > 1 && parts[1] != "" {
		context = parts[1]
	}
	dialplanName := "XML"
	hasDialplan := len(parts) > 2
	if hasDialplan {
		dialplanName = parts[2]
	}
	if o.originator != nil && !hasDialplan {
		// inside a running channel a loopback leg without /XML inherits the caller's inline dialplan
		return nil, "DESTINATION_OUT_OF_ORDER"
	}
	aUUID, givenUUID := lookupVar(vars, "origination_uuid")
	if !givenUUID || aUUID == "" || s.channel(aUUID) != nil {
		givenUUID = false
	}
	cidNum, cidName := o.cidNumber, o.cidName
	if o.originator != nil {
		o.originator.mu.Lock()
		cidNum, cidName = o.originator.prof.cidNumber, o.originator.prof.cidName
		o.originator.mu.Unlock()
	}
	if v, ok := lookupVar(vars, "origination_caller_id_number"); ok {
		cidNum = v
	}
	if v, ok := lookupVar(vars, "origination_caller_id_name"); ok {
		cidName = v
	}
	rate := 8000
	if o.wideband {
		rate = 16000
	}
	// the A-leg is born with a random uuid and the dial string as its name, gets its codecs,
	// then its origination_uuid and final name (CHANNEL_UUID)
	a := s.newChannel(newUUID(), "loopback/"+rest+"-a", "outbound")
	a.noDialplanHit = true
	a.isLoopback = true
	a.codec, a.rate, a.audioRate = "L16", rate, rate
	a.fireCodecEvents()
	if !givenUUID {
		aUUID = a.uuid
	}
	finalA := "loopback/" + ext + "-a"
	a.name = finalA
	b := s.newChannel(newUUID(), "loopback/"+ext+"-b", "inbound")
	b.isLoopback = true
	a.peer, b.peer = b, a
	b.codec, b.rate, b.audioRate = "L16", rate, rate

	// A-leg (the originated leg)
	a.prof = profile{direction: "outbound", logicalDirection: "outbound", dialplan: "xml",
		cidName: cidName, cidNumber: orDefault(cidNum, "0000000000"), origCidName: cidName,
		origCidNumber: orDefault(cidNum, "0000000000"), calleeName: "Outbound Call", calleeNumber: context,
		ani: orDefault(cidNum, "0000000000"), dest: ext,
		uuid: a.uuid, source: "mod_loopback", context: context, chanName: a.name, created: a.prof.created}
	if o.originator != nil {
		a.prof.dialplan = dialplanName
		a.prof.calleeNumber = dialplanName
	}
	av := a.vars
	bv := b.vars
	if o.originator == nil {
		av.set("direction", "outbound")
		av.set("is_outbound", "true")
		av.set("session_id", strconv.Itoa(a.sessionID))
		av.set("read_codec", "L16")
		av.set("read_rate", strconv.Itoa(rate))
		av.set("write_codec", "L16")
		av.set("write_rate", strconv.Itoa(rate))
		av.set("channel_name", finalA)
		av.set("uuid", aUUID)
		av.set("call_uuid", aUUID)
		a.rename(aUUID, finalA)
		for _, h := range vars {
			av.set(h.Name, h.Value)
		}
		av.set("originate_early_media", "true")
		av.set("originate_endpoint", "loopback")
		av.set("other_loopback_leg_uuid", b.uuid)
		av.set("loopback_leg", "A")
	} else {
		orig := o.originator
		a.rename(aUUID, finalA)
		av.set("direction", "outbound")
		av.set("is_outbound", "true")
		av.set("uuid", a.uuid)
		av.set("session_id", strconv.Itoa(a.sessionID))
		av.set("read_codec", "L16")
		av.set("read_rate", strconv.Itoa(rate))
		av.set("write_codec", "L16")
		av.set("write_rate", strconv.Itoa(rate))
		av.set("loopback_from_uuid", orig.uuid)
		av.set("channel_name", a.name)
		av.set("max_forwards", "70")
		av.set("originator_codec", fmt.Sprintf("L16@%dh@20i", rate))
		av.set("originator", orig.uuid)
		av.set("signal_bond", orig.uuid)
		av.set("call_uuid", orig.uuid)
		for _, h := range vars {
			av.set(h.Name, h.Value)
		}
		av.set("originate_early_media", "true")
		av.set("originating_leg_uuid", orig.uuid)
		av.set("originate_endpoint", "loopback")
		av.set("other_loopback_leg_uuid", b.uuid)
		av.set("loopback_leg", "A")
		orig.mu.Lock()
		op := orig.prof
		orig.mu.Unlock()
		a.otherType = "originator"
		a.other = &op
		a.originator = orig
	}

	// B-leg (runs the dialplan)
	b.prof = profile{direction: "inbound", logicalDirection: "inbound", dialplan: "xml",
		cidName: cidName, cidNumber: orDefault(cidNum, "0000000000"), origCidName: cidName,
		origCidNumber: orDefault(cidNum, "0000000000"), calleeName: "Outbound Call", calleeNumber: context,
		ani: orDefault(cidNum, "0000000000"), dest: ext, uuid: b.uuid, source: "mod_loopback",
		context: context, chanName: b.name, created: b.prof.created}
	if o.originator != nil {
		b.prof.dialplan = dialplanName
		b.prof.calleeNumber = dialplanName
	}
	bv.set("direction", "inbound")
	bv.set("uuid", b.uuid)
	bv.set("call_uuid", b.uuid)
	bv.set("session_id", strconv.Itoa(b.sessionID))
	bv.set("channel_name", b.name)
	bv.set("read_codec", "L16")
	bv.set("read_rate", strconv.Itoa(rate))
	bv.set("write_codec", "L16")
	bv.set("write_rate", strconv.Itoa(rate))
	if o.originator == nil {
		for _, h := range vars {
			bv.set(h.Name, h.Value)
		}
		bv.set("other_loopback_leg_uuid", a.uuid)
	} else {
		for _, h := range vars {
			bv.set(h.Name, h.Value)
		}
		bv.set("other_loopback_leg_uuid", a.uuid)
		bv.set("other_loopback_from_uuid", o.originator.uuid)
	}
	bv.set("loopback_leg", "B")
	if o.call != nil {
		b.call = o.call
		o.call.attach(a, b)
	}

	actions, found, ctxOK := s.dialplan.lookup(context, ext)
	a.fireBare("CHANNEL_OUTGOING", siteOutgoing)
	a.setRunning(csInit)
	b.fireCodecEvents()
	a.fireCreate()
	a.fire("CHANNEL_ORIGINATE", siteOriginate)
	b.setRunning(csInit)
	b.fireCreate()
	b.mu.Lock()
	b.running = csRouting
	b.mu.Unlock()
	b.setCallState("RINGING")
	b.setRunning(csRouting)
	a.setRunning(csRouting)
	a.setRunning(csConsumeMedia)
	b.ownsRunner = true
	go func() {
		if !ctxOK || !found {
			b.routeVars(nil)
			b.hangup("NO_ROUTE_DESTINATION")
			b.finish()
			return
		}
		b.routeVars(actions)
		b.setRunning(csExecute)
		b.runDialplan(actions)
	}()
	return a, ""
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// runDialplan executes actions, following transfers, and hangs up when they run out.
func (c *channel) runDialplan(actions []Action) {
	for {
		for _, a := range actions {
			if c.isHungup() || c.transferPending() {
				break
			}
			if a.App == RouteVar {
				continue
			}
			c.execute(&appRequest{app: a.App, arg: a.Data})
		}
		c.mu.Lock()
		t := c.transferTo
		c.transferTo = nil
		c.mu.Unlock()
		if t == nil || c.isHungup() {
			break
		}
		acts, found, ok := c.srv.dialplan.lookup(t.context, t.ext)
		if !ok || !found {
			c.hangup("NO_ROUTE_DESTINATION")
			break
		}
		c.mu.Lock()
		for _, v := range []string{"current_application", "current_application_data", "current_application_response"} {
			c.vars.set(v, "")
		}
		c.mu.Unlock()
		c.routeVars(acts)
		c.setRunning(csRouting)
		c.setRunning(csExecute)
		actions = acts
	}
	if !c.isHungup() {
		c.hangup("NORMAL_CLEARING")
	}
	c.finish()
}

// RouteVar is a pseudo-application: an Action{RouteVar, "name=value"} sets a channel variable
// while the call is routed (as the XML dialplan's regex captures set DP_MATCH), firing no events.
// "${destination_number}" in the value is expanded.
const RouteVar = "route_var"

// routeVars applies the RouteVar actions, then re-sets call_uuid as FreeSWITCH does when it
// starts executing the extension.
func (c *channel) routeVars(actions []Action) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range actions {
		if a.App != RouteVar {
			continue
		}
		name, val, _ := strings.Cut(a.Data, "=")
		c.vars.set(name, strings.ReplaceAll(val, "${destination_number}", c.prof.dest))
	}
	c.vars.set("call_uuid", c.uuid)
}
