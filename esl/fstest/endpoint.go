package fstest

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// Outcome is what a dialled endpoint does.
type Outcome int

const (
	// OutcomeAnswer: the callee answers (after Behavior.After).
	OutcomeAnswer Outcome = iota
	// OutcomeBusy: 486 Busy Here, hangup cause USER_BUSY.
	OutcomeBusy
	// OutcomeNoAnswer: it rings until the caller's timeout (NO_ANSWER).
	OutcomeNoAnswer
	// OutcomeReject: 603 Decline, CALL_REJECTED.
	OutcomeReject
	// OutcomeInvalid: 404 Not Found, UNALLOCATED_NUMBER.
	OutcomeInvalid
	// OutcomeUnavailable: 480 Temporarily Unavailable, NO_USER_RESPONSE.
	OutcomeUnavailable
	// OutcomeUnregistered: user/ that is not registered, USER_NOT_REGISTERED (no SIP exchange).
	OutcomeUnregistered
)

// sipFailure is the SIP side of a failure outcome: status, phrase and the cause it maps to.
var sipFailure = map[Outcome]struct {
	status int
	phrase string
	cause  string
}{
	OutcomeBusy:        {486, "Busy Here", "USER_BUSY"},
	OutcomeReject:      {603, "Decline", "CALL_REJECTED"},
	OutcomeInvalid:     {404, "Not Found", "UNALLOCATED_NUMBER"},
	OutcomeUnavailable: {480, "Temporarily Unavailable", "NO_USER_RESPONSE"},
}

// DigitStep is a scripted key press of an answered callee: Digits sent After answer.
type DigitStep struct {
	After  time.Duration
	Digits string
}

// Behavior scripts an endpoint reached by originate or bridge (agents, customers).
type Behavior struct {
	Outcome Outcome
	// After is how long it rings before the outcome (answer, busy, ...). Ringing always
	// produces CHANNEL_PROGRESS first.
	After time.Duration
	// HangupAfter makes an answered callee hang up (NORMAL_CLEARING) after this long; zero
	// keeps the call up until the other side hangs up.
	HangupAfter time.Duration
	// Digits are key presses of the answered callee: they reach the leg it is bridged with, or
	// its own leg when nothing is bridged (a socket session controlling it reads them).
	Digits []DigitStep
	// Audio is what the callee says (mono PCM at AudioRate), mixed into recordings.
	Audio     []int16
	AudioRate int
	// Wideband makes the leg use G722 (16 kHz) instead of PCMU.
	Wideband bool
}

type endpointRule struct {
	pattern string
	b       Behavior
}

// SetEndpoint scripts every dial string matching pattern (path.Match syntax, e.g.
// "user/1001", "sofia/gateway/*/*", "sofia/internal/52*"). Later rules win over earlier ones.
// Unmatched user/ endpoints are USER_NOT_REGISTERED; other unmatched sofia/ endpoints answer.
func (s *Server) SetEndpoint(pattern string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints = append(s.endpoints, endpointRule{pattern, b})
}

func (s *Server) endpointBehavior(dial string) Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := dial
	if i := strings.IndexByte(target, '@'); i > 0 && strings.HasPrefix(target, "sofia/internal/") {
		target = target[:i]
	}
	for i := len(s.endpoints) - 1; i >= 0; i-- {
		r := s.endpoints[i]
		if ok, _ := path.Match(r.pattern, dial); ok {
			return r.b
		}
		if ok, _ := path.Match(r.pattern, target); ok {
			return r.b
		}
	}
	if strings.HasPrefix(dial, "user/") {
		return Behavior{Outcome: OutcomeUnregistered}
	}
	return Behavior{Outcome: OutcomeAnswer}
}

// newEndpointLeg creates a SIP leg (user/..., sofia/...) scripted by its Behavior.
func (s *Server) newEndpointLeg(dial string, vars []Header, o dialOptions) (*channel, string) {
	b := s.endpointBehavior(dial)
	if b.Outcome == OutcomeUnregistered {
		return nil, "USER_NOT_REGISTERED"
	}
	dest := dial
	name := dial
	switch {
	case strings.HasPrefix(dial, "user/"):
		user := strings.TrimPrefix(dial, "user/")
		dest = user
		if !strings.Contains(user, "@") {
			user += "@127.0.0.1"
		}
		name = "sofia/internal/" + user
	case strings.HasPrefix(dial, "sofia/gateway/"):
		f := strings.SplitN(strings.TrimPrefix(dial, "sofia/gateway/"), "/", 2)
		if len(f) == 2 {
			dest = f[1]
			name = "sofia/external/" + f[1]
		}
	default:
		f := strings.SplitN(strings.TrimPrefix(dial, "sofia/"), "/", 2)
		if len(f) == 2 {
			dest = f[1]
			if i := strings.IndexByte(dest, '@'); i > 0 {
				dest = dest[:i]
			}
		}
	}
	uuid, ok := lookupVar(vars, "origination_uuid")
	if !ok || uuid == "" || s.channel(uuid) != nil {
		uuid = newUUID()
	}
	cidNum, cidName := o.cidNumber, o.cidName
	if o.originator != nil {
		cidNum, cidName = o.originator.prof.cidNumber, o.originator.prof.cidName
	}
	if v, ok := lookupVar(vars, "origination_caller_id_number"); ok {
		cidNum = v
	}
	if v, ok := lookupVar(vars, "origination_caller_id_name"); ok {
		cidName = v
	}
	ch := s.newChannel(uuid, name, "outbound")
	ch.originator = o.originator
	ch.codec, ch.rate = "PCMU", 8000
	if b.Wideband {
		ch.codec, ch.rate = "G722", 16000
	}
	ch.audioRate = ch.rate
	if b.Audio != nil {
		ch.callerAudio = b.Audio
		ch.audioRate = b.AudioRate
		if ch.audioRate == 0 {
			ch.audioRate = 8000
		}
	}
	ch.prof = profile{direction: "outbound", logicalDirection: "outbound", cidName: cidName,
		cidNumber: orDefault(cidNum, "0000000000"), origCidName: cidName, origCidNumber: orDefault(cidNum, "0000000000"),
		calleeName: "Outbound Call", calleeNumber: dest, networkAddr: "127.0.0.1", ani: orDefault(cidNum, "0000000000"),
		dest: dest, uuid: uuid, source: "src/switch_ivr_originate.c", context: "default", chanName: name,
		created: ch.prof.created}
	v := ch.vars
	v.set("direction", "outbound")
	v.set("is_outbound", "true")
	v.set("uuid", uuid)
	v.set("session_id", strconv.Itoa(ch.sessionID))
	v.set("sip_profile_name", "internal")
	v.set("video_media_flow", "disabled")
	v.set("audio_media_flow", "disabled")
	v.set("channel_name", name)
	v.set("sip_destination_url", "sip:"+dest+"@127.0.0.1")
	for _, h := range vars {
		v.set(h.Name, h.Value)
	}
	v.set("originate_early_media", "true")
	v.set("originate_endpoint", "sofia")
	ch.fireBare("CHANNEL_OUTGOING", siteOutgoing)
	ch.setRunning(csInit)
	ch.fire("CHANNEL_CREATE", siteCreate)
	ch.setRunning(csRouting)
	ch.setRunning(csConsumeMedia)
	ch.ownsRunner = true
	go s.runEndpoint(ch, b)
	return ch, ""
}

// runEndpoint plays the callee's script on its leg.
func (s *Server) runEndpoint(ch *channel, b Behavior) {
	defer ch.finish()
	ch.markProgress()
	if b.Outcome == OutcomeNoAnswer {
		ch.wait(forever, false)
		if cause := ch.hangupCause(); cause == "NO_ANSWER" || cause == "ORIGINATOR_CANCEL" || cause == "ALLOTTED_TIMEOUT" {
			ch.mu.Lock()
			ch.vars.set("sip_invite_failure_status", "487")
			ch.vars.set("sip_invite_failure_phrase", "CANCEL")
			ch.vars.set("sip_hangup_disposition", "send_cancel")
			ch.mu.Unlock()
		}
		return
	}
	if _, why := ch.wait(b.After, false); why != waitDone {
		return
	}
	if f, ok := sipFailure[b.Outcome]; ok {
		ch.mu.Lock()
		st := strconv.Itoa(f.status)
		ch.vars.set("sip_term_status", st)
		ch.vars.set("proto_specific_hangup_cause", "sip:"+st)
		ch.vars.set("sip_term_cause", strconv.Itoa(q850[f.cause]))
		ch.vars.set("sip_invite_failure_status", st)
		ch.vars.set("sip_invite_failure_phrase", f.phrase)
		ch.vars.set("sip_hangup_disposition", "recv_refuse")
		ch.mu.Unlock()
		ch.hangup(f.cause)
		return
	}
	ch.markAnswered()
	start := s.clock.Now()
	for _, d := range b.Digits {
		wait := d.After - s.clock.Now().Sub(start)
		if wait > 0 && !ch.sleepUnlessHungup(wait) {
			return
		}
		ch.sendDTMFToPartner(d.Digits)
	}
	if b.HangupAfter > 0 {
		remaining := b.HangupAfter - s.clock.Now().Sub(start)
		if ch.sleepUnlessHungup(remaining) {
			ch.mu.Lock()
			ch.vars.set("sip_hangup_disposition", "send_bye")
			ch.mu.Unlock()
			ch.hangup("NORMAL_CLEARING")
		}
		return
	}
	<-ch.hungup
}

// sleepUnlessHungup waits d on the clock; false if the channel hung up first. Unlike wait it
// leaves DTMF and break pokes to the application the channel may be running meanwhile (an
// answered endpoint leg can run originate's &socket or &park).
func (c *channel) sleepUnlessHungup(d time.Duration) bool {
	t := c.srv.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-c.hungup:
		return false
	}
}

// sendDTMFToPartner delivers digits the far end of an endpoint leg presses: to whoever the
// leg is bridged with (the bridge passes them on), else to the leg itself (e.g. a customer
// reached by originate whose leg an outbound socket controls).
func (c *channel) sendDTMFToPartner(digits string) {
	c.mu.Lock()
	p := c.bridged
	c.mu.Unlock()
	if p == nil {
		p = c
	}
	p.receiveDTMF(digits)
}
