package fstest

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Channel states as FreeSWITCH numbers them (switch_channel_state_t).
const (
	csNew          = 0
	csInit         = 1
	csRouting      = 2
	csExecute      = 4
	csConsumeMedia = 7
	csHangup       = 10
	csReporting    = 11
	csDestroy      = 12
	csNone         = 13
)

var stateNames = map[int]string{
	0: "CS_NEW", 1: "CS_INIT", 2: "CS_ROUTING", 3: "CS_SOFT_EXECUTE", 4: "CS_EXECUTE",
	5: "CS_EXCHANGE_MEDIA", 6: "CS_PARK", 7: "CS_CONSUME_MEDIA", 8: "CS_HIBERNATE", 9: "CS_RESET",
	10: "CS_HANGUP", 11: "CS_REPORTING", 12: "CS_DESTROY", 13: "CS_NONE",
}

// profile is a FreeSWITCH caller profile; empty fields are left out of events.
type profile struct {
	direction, logicalDirection        string
	username, dialplan                 string
	cidName, cidNumber                 string
	origCidName, origCidNumber         string
	calleeName, calleeNumber           string
	networkAddr, ani, dest, uuid       string
	source, transferSource, context    string
	rdnis, chanName                    string
	created, answered, progress        int64 // µs since the epoch
	progressMedia, hangup, transferred int64
	bridged                            int64
	chanCreated                        int64 // when the channel (not this profile) was created; 0 = created
	index                              int   // Profile-Index: 1, 2 after a transfer, ...
}

func (p *profile) addHeaders(e *Event, prefix string, withIndex bool) {
	opt := func(n, v string) {
		if v != "" {
			e.add(prefix+n, v)
		}
	}
	e.add(prefix+"Direction", p.direction)
	e.add(prefix+"Logical-Direction", p.logicalDirection)
	opt("Username", p.username)
	opt("Dialplan", p.dialplan)
	opt("Caller-ID-Name", p.cidName)
	opt("Caller-ID-Number", p.cidNumber)
	opt("Orig-Caller-ID-Name", p.origCidName)
	opt("Orig-Caller-ID-Number", p.origCidNumber)
	opt("Callee-ID-Name", p.calleeName)
	opt("Callee-ID-Number", p.calleeNumber)
	opt("Network-Addr", p.networkAddr)
	opt("ANI", p.ani)
	opt("Destination-Number", p.dest)
	e.add(prefix+"Unique-ID", p.uuid)
	opt("Source", p.source)
	opt("Transfer-Source", p.transferSource)
	opt("Context", p.context)
	opt("RDNIS", p.rdnis)
	e.add(prefix+"Channel-Name", p.chanName)
	if withIndex {
		idx := p.index
		if idx == 0 {
			idx = 1
		}
		e.add(prefix+"Profile-Index", strconv.Itoa(idx))
	}
	us := func(v int64) string { return strconv.FormatInt(v, 10) }
	chCreated := p.created
	if p.chanCreated != 0 {
		chCreated = p.chanCreated
	}
	e.add(prefix+"Profile-Created-Time", us(p.created))
	e.add(prefix+"Channel-Created-Time", us(chCreated))
	e.add(prefix+"Channel-Answered-Time", us(p.answered))
	e.add(prefix+"Channel-Progress-Time", us(p.progress))
	e.add(prefix+"Channel-Progress-Media-Time", us(p.progressMedia))
	e.add(prefix+"Channel-Hangup-Time", us(p.hangup))
	e.add(prefix+"Channel-Transfer-Time", us(p.transferred))
	e.add(prefix+"Channel-Resurrect-Time", "0")
	e.add(prefix+"Channel-Bridged-Time", us(p.bridged))
	e.add(prefix+"Channel-Last-Hold", "0")
	e.add(prefix+"Channel-Hold-Accum", "0")
	e.add(prefix+"Screen-Bit", "true")
	e.add(prefix+"Privacy-Hide-Name", "false")
	e.add(prefix+"Privacy-Hide-Number", "false")
}

// channel is one emulated FreeSWITCH session. Its fields are guarded by mu; one goroutine (run)
// executes its applications, as FreeSWITCH's session thread does.
type channel struct {
	srv *Server

	mu          sync.Mutex
	uuid        string
	name        string
	direction   string // inbound / outbound (Call-Direction)
	running     int    // running state (Channel-State)
	state       int    // state (Channel-State-Number)
	callState   string // DOWN RINGING EARLY ACTIVE HANGUP
	answerState string // ringing early answered hangup
	cause       string // hangup cause once hung up
	codec       string // "" until media is set up
	rate        int
	prof        profile
	otherType   string
	other       *profile
	vars        *varList
	sessionID   int
	created     time.Time
	answeredAt  time.Time
	digits      []byte // digits_dialed
	lastApp     string
	lastArg     string
	isLoopback  bool
	// noDialplanHit: an originated leg has not been through a dialplan yet (Channel-HIT-Dialplan false)
	noDialplanHit bool
	ownsRunner    bool // a goroutine of its own runs the dialplan/script and calls finish

	peer       *channel // loopback partner
	originator *channel // bridge legs: the caller that dialled them
	bridged    *channel // bridge partner while bridged
	hungup     chan struct{}
	answered   chan struct{}
	early      chan struct{}
	ended      chan struct{} // closed after CHANNEL_HANGUP_COMPLETE
	destroyed  chan struct{}
	dtmfQ      chan byte
	cmdQ       chan *appRequest // apps queued by sendmsg / uuid_broadcast / uuid_transfer
	broken     chan struct{}    // poked to interrupt the running app (uuid_break, transfer)

	hangupOnce   sync.Once
	finishOnce   sync.Once
	socketHold   sync.WaitGroup // outbound socket still holding the session (linger)
	held         atomic.Int32   // how many sockets hold it (socketHold's count)
	rec          *recording
	played       []playedSeg // prompts played, for recordings
	callerAudio  []int16     // what the far end "says" (for record_session)
	audioRate    int
	call         *Call // set for scripted callers (PlaceCall) on the controlled leg
	transferTo   *transferTarget
	pendingBreak bool
}

// appRequest is one application to run on a channel, e.g. from sendmsg execute.
type appRequest struct {
	app, arg  string
	eventUUID string // Application-UUID
	loops     int
	viaSocket bool // queued through the outbound socket (sets current_loop/total_loops)
	broadcast bool // queued by uuid_broadcast
	hangup    string
	done      chan struct{}
}

type transferTarget struct{ ext, dialplan, context string }

func (s *Server) newChannel(uuid, name, direction string) *channel {
	now := s.clock.Now()
	c := &channel{
		srv: s, uuid: uuid, name: name, direction: direction,
		running: csNone, state: csNew, callState: "DOWN", answerState: "ringing",
		vars: newVarList(), created: now,
		hungup: make(chan struct{}), answered: make(chan struct{}), early: make(chan struct{}),
		ended: make(chan struct{}), destroyed: make(chan struct{}),
		dtmfQ: make(chan byte, 64), cmdQ: make(chan *appRequest, 64), broken: make(chan struct{}, 1),
		rate: 8000, audioRate: 8000,
	}
	c.prof.created = now.UnixMicro()
	c.prof.uuid = uuid
	c.prof.chanName = name
	s.mu.Lock()
	s.sessionSeq++
	c.sessionID = s.sessionSeq
	s.sessionsSinceStart++
	s.channels[uuid] = c
	s.mu.Unlock()
	return c
}

// eventLocked builds a channel event: the channel data FreeSWITCH adds (switch_channel_event_set_data)
// between pre and post headers. c.mu must be held.
func (c *channel) eventLocked(name string, site callSite, pre []Header, withProfile, withVars bool, post []Header) *Event {
	e := c.srv.newEvent(name, site)
	e.Headers = append(e.Headers, pre...)
	e.add("Channel-State", stateNames[c.running])
	e.add("Channel-Call-State", c.callState)
	e.add("Channel-State-Number", strconv.Itoa(c.state))
	e.add("Channel-Name", c.name)
	e.add("Unique-ID", c.uuid)
	e.add("Call-Direction", c.direction)
	e.add("Presence-Call-Direction", c.direction)
	e.add("Channel-HIT-Dialplan", strconv.FormatBool(!c.noDialplanHit))
	if v, ok := c.vars.get("presence_id"); ok {
		e.add("Channel-Presence-ID", v)
	}
	e.add("Channel-Call-UUID", c.uuid)
	e.add("Answer-State", c.answerState)
	if c.cause != "" {
		e.add("Hangup-Cause", c.cause)
	}
	if c.codec != "" {
		r := strconv.Itoa(c.rate)
		br := strconv.Itoa(c.rate * 16)
		if c.codec == "G722" {
			br = "64000"
		} else if c.codec == "PCMU" || c.codec == "PCMA" {
			br = "64000"
		}
		e.add("Channel-Read-Codec-Name", c.codec)
		e.add("Channel-Read-Codec-Rate", r)
		e.add("Channel-Read-Codec-Bit-Rate", br)
		e.add("Channel-Write-Codec-Name", c.codec)
		e.add("Channel-Write-Codec-Rate", r)
		e.add("Channel-Write-Codec-Bit-Rate", br)
	}
	if withProfile {
		c.prof.addHeaders(e, "Caller-", true)
		if c.other != nil {
			e.add("Other-Type", c.otherType)
			c.other.addHeaders(e, "Other-Leg-", false)
		}
	}
	if withVars {
		for _, n := range c.vars.names {
			e.add("variable_"+n, c.vars.vals[n])
		}
	}
	e.Headers = append(e.Headers, post...)
	return e
}

// fire builds and sends a channel event with variables (the usual case).
func (c *channel) fire(name string, site callSite, post ...Header) {
	c.mu.Lock()
	e := c.eventLocked(name, site, nil, true, true, post)
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
}

// fireBare sends a channel event without variables (CHANNEL_STATE, DTMF, ...).
func (c *channel) fireBare(name string, site callSite, post ...Header) {
	c.mu.Lock()
	e := c.eventLocked(name, site, nil, true, false, post)
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
}

func (c *channel) setVar(name, value string) {
	c.mu.Lock()
	c.vars.set(name, value)
	c.mu.Unlock()
}

func (c *channel) getVar(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vars.get(name)
}

func (c *channel) isHungup() bool {
	select {
	case <-c.hungup:
		return true
	default:
		return false
	}
}

func (c *channel) isAnswered() bool {
	select {
	case <-c.answered:
		return true
	default:
		return false
	}
}

// setRunning changes the running state and fires CHANNEL_STATE.
func (c *channel) setRunning(st int) {
	c.mu.Lock()
	c.running = st
	if st != csHangup || c.state < csHangup {
		c.state = st
	}
	if st >= csHangup {
		c.state = st
	}
	e := c.eventLocked("CHANNEL_STATE", siteState, nil, true, c.cause == "SYSTEM_SHUTDOWN", nil)
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
}

// fireCreate fires CHANNEL_CREATE (FreeSWITCH fires it from CS_INIT with the state number
// already at CS_ROUTING).
func (c *channel) fireCreate() {
	c.mu.Lock()
	c.running, c.state = csInit, csRouting
	e := c.eventLocked("CHANNEL_CREATE", siteCreate, nil, true, true, nil)
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
}

// setCallState changes the call state and fires CHANNEL_CALLSTATE.
func (c *channel) setCallState(cs string) {
	c.mu.Lock()
	orig := c.callState
	c.callState = cs
	num := map[string]string{"DOWN": "0", "DIALING": "1", "RINGING": "2", "EARLY": "3", "ACTIVE": "4", "HANGUP": "10"}[cs]
	e := c.eventLocked("CHANNEL_CALLSTATE", siteCallState,
		[]Header{{"Original-Channel-Call-State", orig}, {"Channel-Call-State-Number", num}}, true, c.cause == "SYSTEM_SHUTDOWN", nil)
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
}

// markProgress marks the channel ringing (CHANNEL_PROGRESS).
func (c *channel) markProgress() {
	c.mu.Lock()
	if c.prof.progress != 0 {
		c.mu.Unlock()
		return
	}
	c.prof.progress = c.srv.clock.Now().UnixMicro()
	e := c.eventLocked("CHANNEL_PROGRESS", siteProgress, nil, true, true, nil)
	c.srv.fireLocked(e, c)
	if c.callState == "DOWN" {
		c.callState = "RINGING"
	}
	orig := c.originator
	c.mu.Unlock()
	if orig != nil {
		// ringing reaches the bridging caller (already answered: only its progress time)
		orig.mu.Lock()
		if orig.prof.progress == 0 {
			orig.prof.progress = c.srv.clock.Now().UnixMicro()
		}
		orig.mu.Unlock()
	}
}

// markAnswered answers the channel: CHANNEL_ANSWER then CHANNEL_CALLSTATE ACTIVE. It reports
// whether the channel was newly answered.
func (c *channel) markAnswered() bool {
	c.mu.Lock()
	if !c.answeredAt.IsZero() || c.isHungup() {
		c.mu.Unlock()
		return false
	}
	now := c.srv.clock.Now()
	c.answeredAt = now
	c.prof.answered = now.UnixMicro()
	c.answerState = "answered"
	e := c.eventLocked("CHANNEL_ANSWER", siteAnswer, nil, true, true, nil)
	c.srv.fireLocked(e, c)
	c.vars.set("endpoint_disposition", "ANSWER")
	c.mu.Unlock()
	c.setCallState("ACTIVE")
	close(c.answered) // whoever waits for the answer (originate, bridge) sees the ACTIVE call state
	c.srv.noteCall(c, CallEvent{Kind: KindAnswered})
	return true
}

// hangup hangs the channel up with cause (once): CHANNEL_HANGUP, then the running application
// and the session thread wind down (see run).
func (c *channel) hangup(cause string) {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	c.hangupOnce.Do(func() {
		c.mu.Lock()
		if c.bridged != nil && c.bridged == c.originator {
			c.agentUnbridgeLocked(c.bridged)
		}
		peerCause := cause
		if c.peer != nil && !c.isLoopback && c.direction == "outbound" && c.answeredAt.IsZero() {
			// the caller side of a SIP call gives up: CANCEL; the called side ends ORIGINATOR_CANCEL
			if _, refused := c.vars.get("sip_term_status"); !refused {
				c.vars.set("sip_invite_failure_status", "487")
				c.vars.set("sip_invite_failure_phrase", "CANCEL")
				c.vars.set("sip_hangup_disposition", "send_cancel")
				peerCause = "ORIGINATOR_CANCEL"
				p := c.peer
				go func() {
					p.mu.Lock()
					p.vars.set("sip_term_status", "487")
					p.vars.set("proto_specific_hangup_cause", "sip:487")
					p.vars.set("sip_hangup_disposition", "recv_cancel")
					p.mu.Unlock()
					p.hangup(peerCause)
				}()
			}
		}
		c.cause = cause
		c.state = csHangup
		c.answerState = "hangup"
		c.prof.hangup = c.srv.clock.Now().UnixMicro()
		e := c.eventLocked("CHANNEL_HANGUP", siteHangup, nil, true, true, nil)
		c.srv.fireLocked(e, c)
		if _, ok := c.vars.get("last_bridge_role"); ok {
			c.vars.set("bridge_to", "")
			c.vars.set("call_uuid", c.uuid)
		}
		close(c.hungup)
		peer, br := c.peer, c.bridged
		c.mu.Unlock()
		c.srv.noteCall(c, CallEvent{Kind: KindHangup, Cause: cause})
		if peer != nil && peerCause == cause {
			go peer.hangup(cause)
		}
		if br != nil {
			br.notePartnerGone(c, cause)
		}
	})
}

// notePartnerGone is called on a bridged channel when its partner hung up.
func (c *channel) notePartnerGone(partner *channel, cause string) {
	c.mu.Lock()
	if c.bridged == partner {
		c.bridged = nil
	}
	c.mu.Unlock()
	select {
	case c.broken <- struct{}{}:
	default:
	}
}

// finish runs FreeSWITCH's hangup state machine after the applications returned:
// CS_HANGUP, CALLSTATE HANGUP, CS_REPORTING, CHANNEL_HANGUP_COMPLETE, then (once no socket holds
// the session) CHANNEL_DESTROY and CS_DESTROY.
func (c *channel) finish() {
	c.finishOnce.Do(c.doFinish)
}

func (c *channel) doFinish() {
	c.hangup("NORMAL_CLEARING") // no-op when already hung up
	c.mu.Lock()
	rec := c.rec
	c.rec = nil
	c.mu.Unlock()
	if rec != nil {
		rec.finalize("success-maxtime")
	}
	c.setRunning(csHangup)
	c.setCallState("HANGUP")
	c.mu.Lock()
	c.addCDRVarsLocked()
	c.mu.Unlock()
	c.setRunning(csReporting)
	c.mu.Lock()
	e := c.eventLocked("CHANNEL_HANGUP_COMPLETE", siteHangupComplete, []Header{{"Hangup-Cause", c.cause}}, true, true, nil)
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
	close(c.ended)
	c.srv.noteCallEnded(c)
	c.socketHold.Wait()
	c.mu.Lock()
	c.state = csDestroy
	c.mu.Unlock()
	c.fire("CHANNEL_DESTROY", siteDestroy)
	c.setRunning(csDestroy)
	c.srv.mu.Lock()
	delete(c.srv.channels, c.uuid)
	c.srv.mu.Unlock()
	close(c.destroyed)
}

var q850 = map[string]int{
	"UNALLOCATED_NUMBER": 1, "NO_ROUTE_DESTINATION": 3, "NORMAL_CLEARING": 16, "USER_BUSY": 17,
	"NO_USER_RESPONSE": 18, "NO_ANSWER": 19, "SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21,
	"DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28, "NORMAL_UNSPECIFIED": 31,
	"NORMAL_TEMPORARY_FAILURE": 41, "INCOMPATIBLE_DESTINATION": 88, "RECOVERY_ON_TIMER_EXPIRE": 102,
	"ORIGINATOR_CANCEL": 487, "ALLOTTED_TIMEOUT": 602, "USER_NOT_REGISTERED": 606,
	"SYSTEM_SHUTDOWN": 503, "MANAGER_REQUEST": 503, "LOSE_RACE": 502, "INVALID_GATEWAY": 608,
}

// addCDRVarsLocked sets the variables FreeSWITCH adds at CS_REPORTING (switch_channel_set_timestamps).
func (c *channel) addCDRVarsLocked() {
	v := c.vars
	v.set("hangup_cause", c.cause)
	q := q850[c.cause]
	if q > 127 || q == 0 {
		q = 16 // switch_channel_get_cause_q850: non-Q.850 causes report NORMAL_CLEARING
	}
	v.set("hangup_cause_q850", strconv.Itoa(q))
	if len(c.digits) > 0 {
		v.set("digits_dialed", string(c.digits))
	} else {
		v.set("digits_dialed", "none")
	}
	start := c.created
	end := c.srv.clock.Now()
	stamp := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
	ep := func(us int64) string { return strconv.FormatInt(us/1e6, 10) }
	u := func(us int64) string { return strconv.FormatInt(us, 10) }
	pstart := time.UnixMicro(c.prof.created)
	v.set("start_stamp", stamp(start))
	v.set("profile_start_stamp", stamp(pstart))
	if !c.answeredAt.IsZero() {
		v.set("answer_stamp", stamp(c.answeredAt))
	}
	if c.prof.bridged != 0 {
		v.set("bridge_stamp", stamp(time.UnixMicro(c.prof.bridged)))
	}
	if c.prof.progress != 0 {
		v.set("progress_stamp", stamp(time.UnixMicro(c.prof.progress)))
	}
	if c.prof.progressMedia != 0 {
		v.set("progress_media_stamp", stamp(time.UnixMicro(c.prof.progressMedia)))
	}
	v.set("end_stamp", stamp(end))
	su, eu := start.UnixMicro(), end.UnixMicro()
	au := c.prof.answered
	v.set("start_epoch", ep(su))
	v.set("start_uepoch", u(su))
	v.set("profile_start_epoch", ep(pstart.UnixMicro()))
	v.set("profile_start_uepoch", u(pstart.UnixMicro()))
	v.set("answer_epoch", ep(au))
	v.set("answer_uepoch", u(au))
	v.set("bridge_epoch", ep(c.prof.bridged))
	v.set("bridge_uepoch", u(c.prof.bridged))
	v.set("last_hold_epoch", "0")
	v.set("last_hold_uepoch", "0")
	v.set("hold_accum_seconds", "0")
	v.set("hold_accum_usec", "0")
	v.set("hold_accum_ms", "0")
	v.set("resurrect_epoch", "0")
	v.set("resurrect_uepoch", "0")
	v.set("progress_epoch", ep(c.prof.progress))
	v.set("progress_uepoch", u(c.prof.progress))
	v.set("progress_media_epoch", ep(c.prof.progressMedia))
	v.set("progress_media_uepoch", u(c.prof.progressMedia))
	v.set("end_epoch", ep(eu))
	v.set("end_uepoch", u(eu))
	if c.lastApp != "" {
		v.set("last_app", c.lastApp)
		v.set("last_arg", c.lastArg)
	}
	if c.prof.cidName != "" {
		v.set("caller_id", fmt.Sprintf("%q <%s>", c.prof.cidName, c.prof.cidNumber))
	} else {
		v.set("caller_id", c.prof.cidNumber)
	}
	dur := eu - su
	bill := int64(0)
	answerUs := int64(0)
	if au != 0 {
		bill = eu - au
		answerUs = au - su
	}
	progUs := int64(0)
	if c.prof.progress != 0 {
		progUs = c.prof.progress - su
	}
	v.set("duration", strconv.FormatInt(dur/1e6, 10))
	v.set("billsec", strconv.FormatInt(bill/1e6, 10))
	v.set("progresssec", strconv.FormatInt(progUs/1e6, 10))
	v.set("answersec", strconv.FormatInt(answerUs/1e6, 10))
	v.set("waitsec", "0")
	v.set("progress_mediasec", "0")
	v.set("flow_billsec", strconv.FormatInt(dur/1e6, 10))
	v.set("mduration", strconv.FormatInt(dur/1e3, 10))
	v.set("billmsec", strconv.FormatInt(bill/1e3, 10))
	v.set("progressmsec", strconv.FormatInt(progUs/1e3, 10))
	v.set("answermsec", strconv.FormatInt(answerUs/1e3, 10))
	v.set("waitmsec", "0")
	v.set("progress_mediamsec", "0")
	v.set("flow_billmsec", strconv.FormatInt(dur/1e3, 10))
	v.set("uduration", strconv.FormatInt(dur, 10))
	v.set("billusec", strconv.FormatInt(bill, 10))
	v.set("progressusec", strconv.FormatInt(progUs, 10))
	v.set("answerusec", strconv.FormatInt(answerUs, 10))
	v.set("waitusec", "0")
	v.set("progress_mediausec", "0")
	v.set("flow_billusec", strconv.FormatInt(dur, 10))
	if c.isLoopback {
		v.set("is_loopback", "1")
	}
}

func (c *channel) hangupCause() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// fireCodecEvents fires the two CODEC events of a new channel (read codec, then write codec),
// with the odd duplicate headers FreeSWITCH adds.
func (c *channel) fireCodecEvents() {
	c.mu.Lock()
	defer c.mu.Unlock()
	codec, rate := c.codec, strconv.Itoa(c.rate)
	br := strconv.Itoa(c.rate * 16)
	if codec == "G722" || codec == "PCMU" || codec == "PCMA" {
		br = "64000"
	}
	c.codec = ""
	read := []Header{{"Channel-Read-Codec-Name", codec}, {"Channel-Read-Codec-Rate", rate}, {"Channel-Read-Codec-Bit-Rate", br}}
	post := append(append([]Header{}, read...), Header{"channel-read-codec-name", codec},
		Header{"channel-read-codec-rate", rate}, Header{"channel-read-codec-bit-rate", br})
	e := c.eventLocked("CODEC", callSite{"switch_core_codec.c", "switch_core_session_set_read_codec", 279}, nil, false, false, post)
	c.srv.fireLocked(e, c)
	write := []Header{{"Channel-Write-Codec-Name", codec}, {"Channel-Write-Codec-Rate", rate}, {"Channel-Write-Codec-Bit-Rate", br}}
	post = append(append(append([]Header{}, read...), write...), Header{"Channel-Write-Codec-Name", codec},
		Header{"Channel-Write-Codec-Rate", rate}, Header{"Channel-Write-codec-bit-rate", br})
	e = c.eventLocked("CODEC", callSite{"switch_core_codec.c", "switch_core_session_set_write_codec", 450}, nil, false, false, post)
	c.srv.fireLocked(e, c)
	c.codec = codec
}

// rename gives a new channel its origination_uuid (CHANNEL_UUID with Old-Unique-ID) and final name.
func (c *channel) rename(uuid, name string) {
	s := c.srv
	c.mu.Lock()
	old := c.uuid
	s.mu.Lock()
	delete(s.channels, old)
	c.uuid, c.prof.uuid = uuid, uuid
	s.channels[uuid] = c
	s.mu.Unlock()
	c.name, c.prof.chanName = name, name
	c.state = csInit
	if old != uuid {
		e := c.eventLocked("CHANNEL_UUID", callSite{"switch_core_session.c", "switch_core_session_set_uuid", 2051},
			[]Header{{"Old-Unique-ID", old}}, true, true, nil)
		s.fireLocked(e, c)
	}
	c.mu.Unlock()
}
