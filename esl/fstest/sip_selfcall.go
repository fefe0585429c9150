package fstest

import (
	"path"
	"strconv"
	"strings"
)

// isSelfCall reports whether dial (sofia/internal/<ext>@<host>[:port]) calls the emulated switch
// itself and no SetEndpoint rule scripts it: FreeSWITCH's profile "internal" then receives its
// own INVITE in the public context, giving two SIP legs (traces 11, 34, 40).
func (s *Server) isSelfCall(dial string) bool {
	rest := strings.TrimPrefix(dial, "sofia/internal/")
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return false
	}
	host := rest[at+1:]
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if host != "127.0.0.1" && host != s.ipv4 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.endpoints {
		if ok, _ := path.Match(r.pattern, dial); ok {
			return false
		}
		if ok, _ := path.Match(r.pattern, "sofia/internal/"+rest[:at]); ok {
			return false
		}
	}
	return true
}

// sipCauses maps a SIP response code to the hangup cause FreeSWITCH gives it.
var sipCauses = map[string]string{
	"404": "UNALLOCATED_NUMBER", "480": "NO_USER_RESPONSE", "486": "USER_BUSY", "488": "INCOMPATIBLE_DESTINATION",
	"603": "CALL_REJECTED", "503": "NORMAL_TEMPORARY_FAILURE",
}

// sipRespond is "respond NNN" on an incoming SIP leg: the call is refused with that status.
func (c *channel) sipRespond(code string) {
	code, _, _ = strings.Cut(code, " ")
	cause, ok := sipCauses[code]
	if !ok {
		if n, err := strconv.Atoi(code); err != nil || n < 400 {
			return // 1xx/2xx: nothing to emulate
		}
		cause = "NORMAL_TEMPORARY_FAILURE"
	}
	c.setSIPFailure(code, cause, "send_refuse")
	if p := c.peer; p != nil {
		p.setSIPFailure(code, cause, "recv_refuse")
	}
	c.hangup(cause)
}

// setSIPFailure sets the sip_* variables of a refused INVITE.
func (c *channel) setSIPFailure(code, cause, disposition string) {
	phrases := map[string]string{"404": "Not Found", "480": "Temporarily Unavailable", "486": "Busy Here",
		"488": "Not Acceptable Here", "603": "Decline", "503": "Service Unavailable"}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vars.set("sip_term_status", code)
	c.vars.set("proto_specific_hangup_cause", "sip:"+code)
	c.vars.set("sip_term_cause", strconv.Itoa(q850[cause]))
	if disposition == "recv_refuse" {
		c.vars.set("sip_invite_failure_status", code)
		c.vars.set("sip_invite_failure_phrase", phrases[code])
	}
	c.vars.set("sip_hangup_disposition", disposition)
}

// newSIPSelfCall creates the two SIP legs of a call from the switch to itself: the outgoing
// leg (returned) and the incoming leg "sofia/internal/<caller>@127.0.0.1" that runs the public
// context's extension. Both use G722 (16 kHz), as in trace 40.
func (s *Server) newSIPSelfCall(rest string, vars []Header, o dialOptions) (*channel, string) {
	ext := rest
	if i := strings.IndexByte(ext, '@'); i >= 0 {
		ext = ext[:i]
	}
	aUUID, ok := lookupVar(vars, "origination_uuid")
	if !ok || aUUID == "" || s.channel(aUUID) != nil {
		aUUID = newUUID()
	}
	cidNum, cidName := "0000000000", ""
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
	a := s.newChannel(aUUID, "sofia/internal/"+rest, "outbound")
	b := s.newChannel(newUUID(), "sofia/internal/"+cidNum+"@127.0.0.1", "inbound")
	a.peer, b.peer = b, a
	a.originator = o.originator
	for _, ch := range []*channel{a, b} {
		ch.codec, ch.rate, ch.audioRate = "G722", 16000, 16000
	}
	a.prof = profile{direction: "outbound", logicalDirection: "outbound", cidName: cidName, cidNumber: cidNum,
		origCidName: cidName, origCidNumber: cidNum, calleeName: "Outbound Call", calleeNumber: ext,
		networkAddr: "127.0.0.1", ani: cidNum, dest: ext, uuid: a.uuid, source: "src/switch_ivr_originate.c",
		context: "default", chanName: a.name, created: a.prof.created}
	b.prof = profile{direction: "inbound", logicalDirection: "inbound", username: cidNum, dialplan: "XML",
		cidName: cidName, cidNumber: cidNum, origCidName: cidName, origCidNumber: cidNum, networkAddr: "127.0.0.1",
		ani: cidNum, dest: ext, uuid: b.uuid, source: "mod_sofia", context: "public", chanName: b.name,
		created: b.prof.created}
	av, bv := a.vars, b.vars
	av.set("direction", "outbound")
	av.set("is_outbound", "true")
	av.set("uuid", a.uuid)
	av.set("call_uuid", a.uuid)
	av.set("session_id", strconv.Itoa(a.sessionID))
	av.set("sip_profile_name", "internal")
	av.set("channel_name", a.name)
	av.set("sip_destination_url", "sip:"+rest)
	for _, h := range vars {
		av.set(h.Name, h.Value)
	}
	av.set("originate_early_media", "true")
	av.set("originate_endpoint", "sofia")
	bv.set("direction", "inbound")
	bv.set("uuid", b.uuid)
	bv.set("call_uuid", b.uuid)
	bv.set("session_id", strconv.Itoa(b.sessionID))
	bv.set("sip_profile_name", "internal")
	bv.set("channel_name", b.name)
	bv.set("sip_from_user", cidNum)
	bv.set("sip_req_user", ext)
	bv.set("sip_network_ip", "127.0.0.1")
	bv.set("presence_id", cidNum+"@127.0.0.1")
	if o.call != nil {
		b.call = o.call
		o.call.attach(a, b)
	}
	actions, found, ctxOK := s.dialplan.lookup("public", ext)
	a.fireBare("CHANNEL_OUTGOING", siteOutgoing)
	a.setRunning(csInit)
	a.fireCreate()
	a.setRunning(csRouting)
	a.setRunning(csConsumeMedia)
	b.setRunning(csInit)
	b.fireCreate()
	b.setCallState("RINGING")
	b.setRunning(csRouting)
	b.ownsRunner = true
	go func() {
		if !ctxOK || !found {
			// no extension: FreeSWITCH answers the INVITE 480 (cause NORMAL_CLEARING via Q.850 16)
			b.setSIPFailure("480", "NORMAL_CLEARING", "send_refuse")
			a.setSIPFailure("480", "NORMAL_CLEARING", "recv_refuse")
			b.routeVars(nil)
			b.hangup("NORMAL_CLEARING")
			b.finish()
			return
		}
		b.routeVars(actions)
		b.setRunning(csExecute)
		b.runDialplan(actions)
	}()
	return a, ""
}
