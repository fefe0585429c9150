package fstest

import (
	"strconv"
	"strings"
	"time"
)

var dialStatus = map[string]string{
	"SUCCESS": "SUCCESS", "NO_ANSWER": "NOANSWER", "USER_BUSY": "BUSY", "ORIGINATOR_CANCEL": "CANCEL",
	"NO_USER_RESPONSE": "NOANSWER", "NORMAL_CIRCUIT_CONGESTION": "CONGESTION",
}

// appBridge is the "bridge" application: ring the dial string with the caller's call_timeout;
// on answer bridge the two legs until one hangs up.
func (c *channel) appBridge(arg string) {
	s := c.srv
	global, groups, err := parseDialString(arg)
	if err != nil {
		c.bridgeFailed(nil, "INVALID_NUMBER_FORMAT")
		return
	}
	timeout := 60 * time.Second
	if v, ok := c.getVar("call_timeout"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			timeout = time.Duration(n) * time.Second
		}
	}
	c.srv.noteCall(c, CallEvent{Kind: KindBridge, Data: arg})
	res := s.dial(groups, dialOptions{global: global, timeout: timeout, originator: c})
	if res.leg == nil {
		for _, l := range res.legs {
			l.finishIfIdle()
		}
		c.bridgeFailed(res.legs, res.cause)
		return
	}
	c.bridgeWith(res.leg)
	for _, l := range res.legs {
		if l != res.leg {
			l.finishIfIdle()
		}
	}
}

func legList(legs []*channel) (uuids []string) {
	for _, l := range legs {
		uuids = append(uuids, l.uuid)
	}
	return uuids
}

// appendOriginateCauses keeps FreeSWITCH's ARRAY:: accumulation of originate_causes.
func (c *channel) appendOriginateCausesLocked(entry string) {
	old, ok := c.vars.get("originate_causes")
	switch {
	case !ok:
		c.vars.set("originate_causes", entry)
	case strings.HasPrefix(old, "ARRAY::"):
		c.vars.set("originate_causes", old+"|:"+entry)
	default:
		c.vars.set("originate_causes", "ARRAY::"+old+"|:"+entry)
	}
}

func (c *channel) bridgeFailed(legs []*channel, cause string) {
	var legDescs []string
	for _, l := range legs {
		l.mu.Lock()
		legDescs = append(legDescs, l.uuid+";"+l.prof.calleeName+";"+l.prof.calleeNumber)
		l.mu.Unlock()
	}
	c.mu.Lock()
	if len(legs) > 0 {
		c.vars.set("originate_signal_bond", legs[len(legs)-1].uuid)
		c.vars.set("originated_legs", strings.Join(legDescs, "|"))
	}
	c.vars.set("last_bridge_hangup_cause", cause)
	c.vars.set("originate_disposition", cause)
	ds, ok := dialStatus[cause]
	if !ok {
		ds = "CHANUNAVAIL"
	}
	c.vars.set("DIALSTATUS", ds)
	for _, l := range legs {
		c.appendOriginateCausesLocked(l.uuid + ";" + cause)
	}
	c.vars.set("originate_failed_cause", cause)
	cof, _ := c.vars.get("continue_on_fail")
	c.mu.Unlock()
	c.srv.noteCall(c, CallEvent{Kind: KindBridgeFailed, Cause: cause})
	switch cause {
	case "NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL":
		return
	}
	if cof == "true" || cof == "1" || strings.Contains(","+cof+",", ","+cause+",") {
		return
	}
	c.hangup(cause)
}

// bridgeWith bridges c (the caller) with an answered leg until either hangs up.
func (c *channel) bridgeWith(b *channel) {
	if !c.isAnswered() {
		c.appAnswer()
	}
	now := c.srv.clock.Now().UnixMicro()
	b.mu.Lock()
	bprof := b.prof
	b.bridged = c
	b.prof.bridged = now
	bname, bcallee, bcalleeNum := b.name, b.prof.calleeName, b.prof.calleeNumber
	b.mu.Unlock()
	b.setRunning(5) // CS_EXCHANGE_MEDIA
	b.mu.Lock()
	b.vars.set("call_uuid", c.uuid)
	b.vars.set("bridge_to", c.uuid)
	b.mu.Unlock()
	c.mu.Lock()
	c.bridged = b
	c.prof.bridged = now
	c.otherType = "originatee"
	op := bprof
	op.logicalDirection = "inbound"
	c.other = &op
	peer := c.peer
	c.vars.set("originated_legs", b.uuid+";"+bcallee+";"+bcalleeNum)
	c.vars.set("originate_disposition", "SUCCESS")
	c.vars.set("DIALSTATUS", "SUCCESS")
	c.appendOriginateCausesLocked(b.uuid + ";NONE")
	c.vars.set("signal_bond", b.uuid)
	ab := []Header{{"Bridge-A-Unique-ID", c.uuid}, {"Bridge-B-Unique-ID", b.uuid}}
	e := c.eventLocked("CHANNEL_BRIDGE", siteBridge, ab, true, true, nil)
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
	c.srv.noteCall(c, CallEvent{Kind: KindBridged, Data: b.uuid})
	if peer != nil {
		// the caller's loopback partner learns who it is now talking to (caller ID update)
		peer.mu.Lock()
		peer.prof.cidName, peer.prof.cidNumber = bcallee, bcalleeNum
		peer.mu.Unlock()
	}

	// wait for either side to hang up
	var cause string
	select {
	case <-b.hungup:
		cause = b.hangupCause()
	case <-c.hungup:
		b.hangup("NORMAL_CLEARING")
		cause = "NORMAL_CLEARING"
	}
	b.mu.Lock()
	if b.bridged == c {
		b.agentUnbridgeLocked(c)
	}
	b.bridged = nil
	b.mu.Unlock()
	c.mu.Lock()
	c.bridged = nil
	c.vars.set("last_bridge_to", b.uuid)
	c.vars.set("bridge_channel", bname)
	c.vars.set("bridge_uuid", b.uuid)
	c.vars.set("signal_bond", b.uuid)
	c.vars.set("last_sent_callee_id_name", bcallee)
	c.vars.set("last_sent_callee_id_number", bcalleeNum)
	c.vars.set("last_bridge_hangup_cause", cause)
	c.vars.set("bridge_hangup_cause", cause)
	e = c.eventLocked("CHANNEL_UNBRIDGE", siteUnbridge, ab, true, true, nil)
	c.srv.fireLocked(e, c)
	hab, _ := c.vars.get("hangup_after_bridge")
	c.mu.Unlock()
	c.srv.noteCall(c, CallEvent{Kind: KindUnbridged, Cause: cause})
	b.mu.Lock()
	far, farRate, farAnswered := b.callerAudio, b.audioRate, b.answeredAt
	b.mu.Unlock()
	if len(far) > 0 {
		// what the far end said while bridged goes into the caller's recording
		if farAnswered.IsZero() {
			farAnswered = time.UnixMicro(now)
		}
		c.notePlayed(time.UnixMicro(now), c.srv.clock.Now().Sub(time.UnixMicro(now)),
			prompt{pcm: far, rate: farRate, offset: time.UnixMicro(now).Sub(farAnswered)})
	}
	// drain a stale break poke from the partner hanging up
	select {
	case <-c.broken:
	default:
	}
	b.finishIfIdle()
	if hab == "true" {
		c.hangup("NORMAL_CLEARING")
	}
}

// agentUnbridgeLocked sets the variables the called leg of a bridge gets when the bridge ends.
func (b *channel) agentUnbridgeLocked(c *channel) {
	if _, ok := b.vars.get("last_bridge_role"); ok {
		return
	}
	c.mu.Lock()
	cname, cid, cnum := c.name, c.prof.cidName, c.prof.cidNumber
	c.mu.Unlock()
	b.vars.set("last_bridge_to", c.uuid)
	b.vars.set("bridge_channel", cname)
	b.vars.set("bridge_uuid", c.uuid)
	b.vars.set("signal_bond", c.uuid)
	b.vars.set("last_sent_callee_id_name", cid)
	b.vars.set("last_sent_callee_id_number", cnum)
	b.vars.set("last_bridge_role", "originatee")
}
