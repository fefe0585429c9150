package fstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// knownGaps are transcripts whose scenario the emulator does not reproduce (yet), with the
// reason. They still run: a gap that starts to match fails the test so the table stays honest.
var knownGaps = map[string]string{
	"11_originate_outcomes_sofia": "SIP self-calls are emulated as two legs with the right causes, but not their ~60 SIP/RTP/SDP " +
		"variables (sip_from_uri, rtp_local_sdp_str, media flows, ...) on CHANNEL_HANGUP_COMPLETE; SIP outcomes per endpoint are checked by TestEndpointOutcomes",
	"34_outbound_bridge_sip_caller_sip_agents": "the caller is a real SIP leg (sofia self-call into ext 5000); " +
		"the emulator's scripted callers are loopback legs",
	"34_outbound_bridge_sip_caller_sip_agents.events": "parallel listener of 34 (SIP caller)",
	"35_outbound_bridge_loopback_caller_sip_agent_488": "488 codec failure of a loopback caller bridged to a real SIP leg: " +
		"an artefact of FreeSWITCH's codec negotiation, not emulated",
	"35_outbound_bridge_loopback_caller_sip_agent_488.events": "parallel listener of 35",
	"50_shutdown_inbound_event_all": "event plain ALL during fsctl stop: 250 MODULE_UNLOAD events and the unload " +
		"order of FreeSWITCH's modules are not emulated (SHUTDOWN, SYSTEM_SHUTDOWN hangups and the final notice are; see 50b, 51)",
}

// perChannel are captures of several session threads (both legs of a loopback call under
// "event ... ALL"): the interleaving of the legs is thread scheduling, so their events are
// compared channel by channel, each channel's events in order (replies and channel-less
// events such as BACKGROUND_JOB in order too).
var perChannel = map[string]bool{
	"04_event_plain_ALL_ivr_call":    true,
	"04b_event_json_subset_ivr_call": true,
}

// externalActions are what happened outside the replayed connections in a capture, keyed by
// trace: when the replay waits for an event of that name, the action makes it happen.
var externalActions = map[string]map[string]string{
	"05c_outbound_caller_hangup":   {"CHANNEL_HANGUP": "kill-caller"},
	"51_shutdown_outbound_session": {"CHANNEL_HANGUP": "shutdown"},
}

// TestTraceCopyInSync keeps testdata/traces (what a fresh clone tests with) equal to the shared
// captures whenever those are at hand.
func TestTraceCopyInSync(t *testing.T) {
	t.Parallel()
	shared := sharedTraces()
	files, err := filepath.Glob(filepath.Join(shared, "*.txt"))
	require.NoError(t, err)
	if shared == "" {
		files, err = filepath.Glob(filepath.Join("testdata", "traces", "*.txt"))
		require.NoError(t, err)
		require.NotEmpty(t, files, "testdata/traces holds the transcripts for fresh clones")
		return
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".index.txt") {
			continue
		}
		want, err := os.ReadFile(f)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join("testdata", "traces", filepath.Base(f)))
		require.NoError(t, err, "new transcript %s: copy it into esl/fstest/testdata/traces", filepath.Base(f))
		require.True(t, bytes.Equal(want, got), "%s changed: copy it into esl/fstest/testdata/traces", filepath.Base(f))
	}
}

func TestConformance(t *testing.T) {
	files, err := traceFiles()
	require.NoError(t, err)
	require.NotEmpty(t, files, "no transcripts found in testdata/traces")
	byName := map[string]*trace{}
	var names []string
	for _, f := range files {
		tr, err := parseTrace(f)
		require.NoError(t, err)
		byName[tr.name] = tr
		names = append(names, tr.name)
	}
	sort.Strings(names)
	var mu sync.Mutex
	var gapReport []string
	for _, name := range names {
		tr := byName[name]
		if strings.HasSuffix(name, ".ctl") || strings.HasSuffix(name, ".events") {
			main := strings.TrimSuffix(strings.TrimSuffix(name, ".ctl"), ".events")
			if _, ok := byName[main]; ok {
				continue // replayed together with its main capture
			}
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			results := replayScenario(t, tr, byName[name+".ctl"], byName[name+".events"])
			for _, r := range results {
				reason, gap := knownGaps[r.name]
				switch {
				case gap && len(r.diffs) == 0:
					t.Errorf("%s now matches the transcript: remove it from knownGaps", r.name)
				case gap:
					mu.Lock()
					gapReport = append(gapReport, fmt.Sprintf("%s: %s (%d differences, first: %s)", r.name, reason, len(r.diffs), r.diffs[0]))
					mu.Unlock()
				case len(r.diffs) > 0:
					max := len(r.diffs)
					if max > 15 {
						max = 15
					}
					t.Errorf("%s: %d differences from the transcript:\n  %s", r.name, len(r.diffs), strings.Join(r.diffs[:max], "\n  "))
				}
			}
		})
	}
	t.Cleanup(func() {
		sort.Strings(gapReport)
		for _, g := range gapReport {
			t.Logf("KNOWN GAP %s", g)
		}
	})
}

type replayResult struct {
	name  string
	diffs []string
}

// conformanceSpeed runs emulated time this much faster than the captures' real time.
const conformanceSpeed = 25

// replayScenario sets up the capture's scenario (the trace dialplan, the call its control
// connection originates) and replays every client write, comparing what comes back.
func replayScenario(t *testing.T, main, ctl, events *trace) []replayResult {
	out := listenOutbound(t)
	srv := testServer(t, out, conformanceSpeed)
	var results []replayResult
	var evRun, ctlRun *replayer
	if events != nil {
		evRun = newReplayer(t, srv, events, dialRaw(t, srv))
		evRun.sendUntilLast()                 // subscribe now; "exit" at the end
		evRun.waitFor(evRun.leadingReplies()) // subscribed and filtered before the call starts
	}
	outbound := len(main.steps) > 0 && main.steps[0].fromClient && strings.HasPrefix(string(main.steps[0].data), "connect")
	if !outbound {
		r := newReplayer(t, srv, main, dialRaw(t, srv))
		r.actions = externalActions[main.name]
		r.run()
		if perChannel[main.name] {
			results = append(results, replayResult{main.name, r.compareByChannel()})
		} else {
			results = append(results, replayResult{main.name, r.compare()})
		}
	} else {
		if ctl != nil {
			ctlRun = newReplayer(t, srv, ctl, dialRaw(t, srv))
			ctlRun.sendFirst(2) // auth, bgapi originate
		} else {
			originateFor(t, srv, main)
		}
		nc := out.acceptOrNil()
		if nc == nil {
			return append(results, replayResult{main.name, []string{"the socket application did not connect to the outbound listener"}})
		}
		r := newReplayer(t, srv, main, newClient(t, nc))
		r.actions = externalActions[main.name]
		r.ctl = ctlRun
		r.run()
		results = append(results, replayResult{main.name, r.compare()})
		if ctlRun != nil {
			ctlRun.run()
			results = append(results, replayResult{ctl.name, ctlRun.compare()})
		}
	}
	if evRun != nil {
		evRun.run()
		results = append(results, replayResult{events.name, evRun.compareByChannel()})
	}
	return results
}

func dialRaw(t *testing.T, srv *Server) *client {
	nc, err := net.DialTimeout("tcp", srv.InboundAddr(), 5*time.Second)
	require.NoError(t, err)
	return newClient(t, nc)
}

func (o *outboundListener) acceptOrNil() net.Conn {
	select {
	case nc := <-o.conns:
		return nc
	case <-time.After(5 * time.Second):
		return nil
	}
}

var originateRe = regexp.MustCompile(`variable_origination_uuid: (\S+)`)

// originateFor starts the call of an outbound capture that has no control transcript, with the
// caller ID and uuid its CHANNEL_DATA shows.
func originateFor(t *testing.T, srv *Server, main *trace) {
	var cd *msg
	for _, s := range main.steps {
		if !s.fromClient {
			cd = s.m
			break
		}
	}
	require.NotNil(t, cd)
	vars := []string{}
	if v := cd.get("variable_origination_uuid"); v != "" {
		vars = append(vars, "origination_uuid="+v)
	}
	if v := cd.get("Caller-Orig-Caller-ID-Number"); v != "" && v != "0000000000" {
		vars = append(vars, "origination_caller_id_number="+v)
	}
	if v := urlDecode(cd.get("Caller-Orig-Caller-ID-Name")); v != "" {
		vars = append(vars, "origination_caller_id_name="+v)
	}
	go srv.apiOriginate("{"+strings.Join(vars, ",")+"}loopback/"+cd.get("Caller-Destination-Number")+"/default &park", nil)
}

// replayer plays one transcript's client side against the emulator.
type replayer struct {
	t       *testing.T
	srv     *Server
	tr      *trace
	c       *client
	sent    int // client writes sent
	got     []*msg
	want    []*msg
	actions map[string]string
	ctl     *replayer
	done    map[int]bool // external actions performed, by expected message index
	diffs   []string
	lastCmd string
	chUUID  string
	uuids   map[string]string // transcript uuid -> emulator uuid
	timeout time.Duration
	// triggered: the next write is sent because the main session reached the point where the
	// capture's client sent it, not after the capture's pause
	triggered bool
}

func newReplayer(t *testing.T, srv *Server, tr *trace, c *client) *replayer {
	r := &replayer{t: t, srv: srv, tr: tr, c: c, done: map[int]bool{}, uuids: map[string]string{}, timeout: 15 * time.Second}
	if _, gap := knownGaps[tr.name]; gap {
		r.timeout = 2 * time.Second
	}
	outbound := len(tr.steps) > 0 && tr.steps[0].fromClient && strings.HasPrefix(string(tr.steps[0].data), "connect")
	seenExecute := false
	for _, m := range tr.messages() {
		// A CHANNEL_PARK right after myevents may or may not arrive (README): the emulator's
		// socket application parks before the client subscribes, so it never does.
		if outbound && !seenExecute && m.get("Content-Type") == "text/event-plain" {
			if e, _ := m.event(); e != nil {
				if e.Name() == "CHANNEL_PARK" {
					continue
				}
				if e.Name() == "CHANNEL_EXECUTE" {
					seenExecute = true
				}
			}
		}
		r.want = append(r.want, m)
	}
	return r
}

// expectedBefore is how many messages the transcript shows before client write k.
func (r *replayer) expectedBefore(k int) int {
	n, w := 0, 0
	for _, s := range r.tr.steps {
		if s.fromClient {
			if w == k {
				break
			}
			w++
			continue
		}
		if isOptionalPark(r, s.m) {
			continue
		}
		n++
	}
	return n
}

func isOptionalPark(r *replayer, m *msg) bool {
	for _, w := range r.want {
		if w == m {
			return false
		}
	}
	return true
}

// waitFor receives until n messages arrived, performing the capture's external actions when the
// next expected message calls for one. It reports false on timeout or close.
func (r *replayer) waitFor(n int) bool {
	deadline := time.After(r.timeout)
	for len(r.got) < n {
		r.maybeAct(len(r.got))
		select {
		case m, ok := <-r.c.msgs:
			if !ok {
				return false
			}
			r.got = append(r.got, m)
			if r.chUUID == "" && m.get("Event-Name") == "CHANNEL_DATA" {
				r.chUUID = m.get("Unique-ID")
			}
			r.learnUUIDs(len(r.got) - 1)
		case <-deadline:
			if r.timeout > 300*time.Millisecond {
				r.timeout = 300 * time.Millisecond // one timeout is enough to know; do not wait again in full
			}
			return false
		}
	}
	return true
}

// learnUUIDs maps the transcript's per-run uuids to the emulator's, from message i of both.
func (r *replayer) learnUUIDs(i int) {
	if i >= len(r.want) {
		return
	}
	w, g := r.want[i], r.got[i]
	pairs := [][2]string{{w.get("Unique-ID"), g.get("Unique-ID")}, {w.get("Job-UUID"), g.get("Job-UUID")}}
	if we, err := w.event(); err == nil {
		if ge, err := g.event(); err == nil {
			for _, h := range []string{"Unique-ID", "Job-UUID", "Other-Leg-Unique-ID", "Bridge-B-Unique-ID"} {
				pairs = append(pairs, [2]string{we.Get(h), ge.Get(h)})
			}
		}
	}
	if wm := uuidRe.FindString(w.body); wm != "" && strings.HasPrefix(w.body, "+OK ") {
		pairs = append(pairs, [2]string{wm, uuidRe.FindString(g.body)})
	}
	if describe(w) != describe(g) {
		return // not the same message (e.g. legs interleaved differently): learn nothing from it
	}
	for _, p := range pairs {
		if normalize(p[0]) != "<uuid>" {
			continue // a uuid the client chose is the same in both
		}
		if p[0] != "" && p[1] != "" && p[0] != p[1] && uuidRe.MatchString(p[0]) {
			r.uuids[p[0]] = p[1]
		}
	}
}

// maybeAct performs what happened outside this connection before expected message i: DTMF the
// caller pressed, a caller hanging up, the switch shutting down.
func (r *replayer) maybeAct(i int) {
	if i >= len(r.want) || r.done[i] {
		return
	}
	w := r.want[i]
	name := ""
	if e, err := w.event(); err == nil {
		name = e.Name()
	}
	switch {
	case w.get("Content-Type") == "text/disconnect-notice" && strings.Contains(w.body, "shut down") && name == "":
		r.done[i] = true
		go func() { _ = r.srv.Stop(context.Background()) }()
	case name == "DTMF":
		// the run of DTMF events starting here is one uuid_send_dtmf
		if i > 0 && r.done[i-1] {
			return
		}
		digits := ""
		for j := i; j < len(r.want); j++ {
			e, err := r.want[j].event()
			if err != nil || e.Name() != "DTMF" {
				break
			}
			digits += e.Get("DTMF-Digit")
			r.done[j] = true
		}
		if r.ctl != nil && r.ctl.nextIs("api uuid_send_dtmf") {
			r.ctl.triggered = true // sent now, when the main session needs it: no capture pause
			r.ctl.sendNext()
			return
		}
		if ch := r.srv.channel(r.chUUID); ch != nil {
			go ch.receiveDTMF(digits)
		}
	case name != "" && r.actions[name] != "":
		r.done[i] = true
		ch := r.srv.channel(r.chUUID)
		switch r.actions[name] {
		case "kill-caller":
			if ch != nil && ch.peer != nil {
				go ch.peer.hangup("NORMAL_CLEARING")
			}
		case "shutdown":
			go func() { _ = r.srv.Stop(context.Background()) }()
		}
	}
}

func (r *replayer) nextIs(prefix string) bool {
	w := r.tr.clientWrites()
	return r.sent < len(w) && strings.HasPrefix(w[r.sent], prefix)
}

// sendNext waits for the replies the transcript shows before the next write, then writes it.
func (r *replayer) sendNext() {
	writes := r.tr.clientWrites()
	if r.sent >= len(writes) {
		return
	}
	if !r.waitFor(r.expectedBefore(r.sent)) {
		r.diffs = append(r.diffs, fmt.Sprintf("before write %d %q: got %d messages, transcript has %d", r.sent+1,
			firstLine(writes[r.sent]), len(r.got), r.expectedBefore(r.sent)))
	}
	if !r.triggered {
		r.pause(r.sent)
	}
	r.triggered = false
	w := writes[r.sent]
	for from, to := range r.uuids {
		w = strings.ReplaceAll(w, from, to)
	}
	r.lastCmd = w
	_, err := r.c.nc.Write([]byte(w))
	if err != nil {
		r.diffs = append(r.diffs, fmt.Sprintf("write %d %q: %v", r.sent+1, firstLine(writes[r.sent]), err))
	}
	r.sent++
}

// pause keeps a pause of the capture's client before write k (when it waited for something
// not to happen, e.g. a BACKGROUND_JOB that is not delivered), at the emulator's speed.
func (r *replayer) pause(k int) {
	var prev, at float64
	w := 0
	for i, s := range r.tr.steps {
		if s.fromClient {
			if w == k {
				at = s.at
				if i > 0 {
					prev = r.tr.steps[i-1].at
				}
				break
			}
			w++
		}
	}
	if gap := at - prev; gap > 0.5 {
		time.Sleep(time.Duration(gap / conformanceSpeed * float64(time.Second)))
	}
}

func (r *replayer) sendFirst(n int) {
	for i := 0; i < n; i++ {
		r.sendNext()
	}
}

// leadingReplies counts the messages before the transcript's first event (greeting and replies).
func (r *replayer) leadingReplies() int {
	n := 0
	for _, m := range r.want {
		if strings.HasPrefix(m.get("Content-Type"), "text/event-") {
			break
		}
		n++
	}
	return n
}

// sendUntilLast sends every write but the last (an "exit").
func (r *replayer) sendUntilLast() {
	for r.sent < len(r.tr.clientWrites())-1 {
		r.sendNext()
	}
}

// run sends the remaining writes and collects the remaining messages.
func (r *replayer) run() {
	for r.sent < len(r.tr.clientWrites()) {
		r.sendNext()
	}
	if !r.waitFor(len(r.want)) {
		r.diffs = append(r.diffs, fmt.Sprintf("at the end: got %d messages, transcript has %d", len(r.got), len(r.want)))
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// compare checks the messages one by one (the linger notice may sit anywhere among the hangup
// events; BACKGROUND_JOB and the legs' CHANNEL_HANGUP_COMPLETE of one originate come in any order).
func (r *replayer) compare() []string {
	got, want := r.got, r.want
	got, want = moveLingerLast(got), moveLingerLast(want)
	if strings.HasPrefix(r.tr.name, "10") || strings.HasPrefix(r.tr.name, "11") || strings.HasPrefix(r.tr.name, "12") {
		got, want = sortEventRuns(got), sortEventRuns(want)
	}
	diffs := append([]string(nil), r.diffs...)
	n := len(want)
	if len(got) > n {
		for _, m := range got[n:] {
			diffs = append(diffs, "extra message: "+describe(m))
		}
	}
	for i := 0; i < n; i++ {
		if i >= len(got) {
			diffs = append(diffs, fmt.Sprintf("#%d missing: %s", i+1, describe(want[i])))
			continue
		}
		for _, d := range compareMsg(want[i], got[i]) {
			diffs = append(diffs, fmt.Sprintf("#%d %s: %s", i+1, describe(want[i]), d))
		}
	}
	return diffs
}

// compareByChannel compares a parallel listener's events channel by channel (each channel's
// events in order; the legs' interleaving is thread timing).
func (r *replayer) compareByChannel() []string {
	key := func(m *msg) string {
		if e, err := m.event(); err == nil {
			return e.Get("Channel-Name")
		}
		if m.get("Content-Type") == "text/event-json" {
			if e, err := parseJSONEvent(m.body); err == nil {
				return e.Get("Channel-Name")
			}
		}
		return "-"
	}
	group := func(ms []*msg) map[string][]*msg {
		g := map[string][]*msg{}
		for _, m := range ms {
			g[key(m)] = append(g[key(m)], m)
		}
		return g
	}
	gw, gg := group(r.want), group(r.got)
	diffs := append([]string(nil), r.diffs...)
	var keys []string
	for k := range gw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, g := gw[k], gg[k]
		for i := range w {
			if i >= len(g) {
				diffs = append(diffs, fmt.Sprintf("%s #%d missing: %s", k, i+1, describe(w[i])))
				continue
			}
			for _, d := range compareMsg(w[i], g[i]) {
				diffs = append(diffs, fmt.Sprintf("%s #%d %s: %s", k, i+1, describe(w[i]), d))
			}
		}
		for _, m := range g[min(len(g), len(w)):] {
			diffs = append(diffs, fmt.Sprintf("%s extra: %s", k, describe(m)))
		}
	}
	for k, g := range gg {
		if _, ok := gw[k]; !ok {
			for _, m := range g {
				diffs = append(diffs, fmt.Sprintf("%s extra: %s", k, describe(m)))
			}
		}
	}
	return diffs
}

func moveLingerLast(ms []*msg) []*msg {
	var out []*msg
	var linger []*msg
	for _, m := range ms {
		if m.get("Content-Type") == "text/disconnect-notice" && m.get("Content-Disposition") == "linger" {
			linger = append(linger, m)
			continue
		}
		out = append(out, m)
	}
	// the linger notice goes right after the last CHANNEL_HANGUP_COMPLETE, or at the end
	pos := len(out)
	for i, m := range out {
		if e, err := m.event(); err == nil && e.Name() == "CHANNEL_HANGUP_COMPLETE" {
			pos = i + 1
		}
	}
	res := append([]*msg(nil), out[:pos]...)
	res = append(res, linger...)
	return append(res, out[pos:]...)
}

// sortEventRuns sorts each run of consecutive events by (Event-Name, Channel-Name).
func sortEventRuns(ms []*msg) []*msg {
	out := append([]*msg(nil), ms...)
	k := func(m *msg) string {
		e, err := m.event()
		if err != nil {
			return ""
		}
		return e.Name() + "|" + e.Get("Channel-Name")
	}
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && out[j].get("Content-Type") == "text/event-plain" {
			j++
		}
		if j > i+1 {
			run := out[i:j]
			sort.SliceStable(run, func(a, b int) bool { return k(run[a]) < k(run[b]) })
		}
		if j == i {
			j++
		}
		i = j
	}
	return out
}

func describe(m *msg) string {
	ct := m.get("Content-Type")
	if ct == "text/event-json" {
		if e, err := parseJSONEvent(m.body); err == nil {
			return ct + " " + e.Get("Event-Name") + " " + e.Get("Channel-Name") + " " + e.Get("Application")
		}
	}
	if e, err := m.event(); err == nil {
		return ct + " " + e.Name() + " " + e.Get("Channel-Name") + " " + e.Get("Application")
	}
	if rt := m.get("Reply-Text"); rt != "" {
		return ct + " " + normalize(rt)
	}
	if m.body != "" {
		b := m.body
		if len(b) > 40 {
			b = b[:40] + "…"
		}
		return fmt.Sprintf("%s %q", ct, normalize(b))
	}
	return ct
}

// stableHeaders are compared by value (after normalize); all other headers by name and order.
var stableHeaders = map[string]bool{
	"Content-Type": true, "Reply-Text": true, "Socket-Mode": true, "Control": true, "Content-Disposition": true,
	"Linger-Time": true, "Event-Name": true, "Channel-State": true, "Channel-Call-State": true,
	"Channel-State-Number": true, "Answer-State": true, "Hangup-Cause": true, "Call-Direction": true,
	"Application": true, "Application-Data": true, "Application-Response": true, "Application-UUID": true,
	"DTMF-Digit": true, "DTMF-Duration": true, "Job-Command": true, "Job-Command-Arg": true, "Job-UUID": true, "Playback-Status": true,
	"Playback-File-Path": true, "Record-File-Path": true, "Record-Completion-Cause": true, "Other-Type": true,
	"Caller-Destination-Number": true, "Caller-Caller-ID-Number": true, "Caller-Caller-ID-Name": true,
	"Channel-Name": true, "Unique-ID": true, "Event-Calling-File": true, "Event-Calling-Function": true,
	"variable_read_result": true, "variable_read_terminator_used": true, "variable_playback_terminator_used": true,
	"variable_current_application": true, "variable_current_application_response": true,
	"variable_hangup_cause": true, "variable_originate_disposition": true, "variable_originate_failed_cause": true,
	"variable_last_bridge_hangup_cause": true, "variable_bridge_hangup_cause": true, "variable_DIALSTATUS": true,
	"variable_endpoint_disposition": true, "variable_record_completion_cause": true, "variable_loopback_leg": true,
	"variable_ivr_digits": true, "variable_t2_digits": true, "variable_hangup_cause_q850": true,
	"variable_continue_on_fail": true, "variable_call_timeout": true, "variable_playback_terminators": true,
}

// compareMsg compares one message: Content-Type, header names and order, stable values, body.
func compareMsg(want, got *msg) []string {
	var d []string
	if want.get("Content-Type") != got.get("Content-Type") {
		return []string{fmt.Sprintf("Content-Type %q, emulator %q (%s)", want.get("Content-Type"), got.get("Content-Type"), describe(got))}
	}
	d = append(d, compareHeaders("outer", want.headers, got.headers, true)...)
	ct := want.get("Content-Type")
	switch ct {
	case "text/event-plain":
		we, err1 := want.event()
		ge, err2 := got.event()
		if err1 != nil || err2 != nil {
			return append(d, fmt.Sprintf("unparsable event: %v %v", err1, err2))
		}
		d = append(d, compareHeaders("event", we.Headers, ge.Headers, false)...)
		if normalize(we.Body) != normalize(ge.Body) {
			d = append(d, fmt.Sprintf("event body %q, emulator %q", normalize(we.Body), normalize(ge.Body)))
		}
	case "text/event-json":
		we, err1 := parseJSONEvent(want.body)
		ge, err2 := parseJSONEvent(got.body)
		if err1 != nil || err2 != nil {
			return append(d, fmt.Sprintf("unparsable JSON event: %v %v", err1, err2))
		}
		d = append(d, compareHeaders("event", we.Headers, ge.Headers, false)...)
		if normalize(we.Body) != normalize(ge.Body) {
			d = append(d, fmt.Sprintf("event _body %q, emulator %q", normalize(we.Body), normalize(ge.Body)))
		}
	case "api/response":
		wb, gb := normalizeAPI(want.body), normalizeAPI(got.body)
		if wb != gb {
			d = append(d, fmt.Sprintf("body %q, emulator %q", wb, gb))
		}
	default:
		if normalize(want.body) != normalize(got.body) {
			d = append(d, fmt.Sprintf("body %q, emulator %q", normalize(want.body), normalize(got.body)))
		}
	}
	return d
}

// normalizeAPI normalises api bodies: status counters, show channels JSON values.
func normalizeAPI(b string) string {
	if strings.HasPrefix(b, "UP ") {
		return digitRe.ReplaceAllString(b, "N")
	}
	if strings.HasPrefix(b, `{"row_count":`) && !strings.HasPrefix(b, `{"row_count": 0}`) {
		var v struct {
			RowCount int                 `json:"row_count"`
			Rows     []map[string]string `json:"rows"`
		}
		if err := json.Unmarshal([]byte(b), &v); err == nil {
			var keys []string
			if len(v.Rows) > 0 {
				// key order is checked through the raw text of the first row's keys
				for _, m := range regexp.MustCompile(`"([a-z_]+)":`).FindAllStringSubmatch(b[:strings.Index(b, "}")], -1) {
					keys = append(keys, m[1])
				}
			}
			return fmt.Sprintf("rows=%d keys=%v", v.RowCount, keys)
		}
	}
	return normalize(b)
}

// compareHeaders compares header names in order, and the values of stable headers.
func compareHeaders(where string, want, got []Header, outer bool) []string {
	var d []string
	wn, gn := names(want), names(got)
	if strings.Join(wn, "\n") != strings.Join(gn, "\n") {
		d = append(d, fmt.Sprintf("%s header names differ: %s", where, nameDiff(wn, gn)))
	}
	gv := map[string]string{}
	for _, h := range got {
		if _, ok := gv[h.Name]; !ok {
			gv[h.Name] = h.Value
		}
	}
	seen := map[string]bool{}
	for _, h := range want {
		if seen[h.Name] || !stableHeaders[h.Name] {
			continue
		}
		seen[h.Name] = true
		wv, g := h.Value, gv[h.Name]
		if outer || where == "outer" {
			wv, g = urlDecode(wv), urlDecode(g)
		}
		if normalize(wv) != normalize(g) {
			if _, present := gv[h.Name]; present {
				d = append(d, fmt.Sprintf("%s %s = %q, emulator %q", where, h.Name, normalize(wv), normalize(g)))
			}
		}
	}
	return d
}

func names(hs []Header) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

// nameDiff describes the first difference between two header name lists.
func nameDiff(want, got []string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	ctx := func(l []string) string {
		end := i + 3
		if end > len(l) {
			end = len(l)
		}
		if i >= len(l) {
			return "(end)"
		}
		return strings.Join(l[i:end], ",")
	}
	missing, extra := setDiff(want, got), setDiff(got, want)
	return fmt.Sprintf("at %d transcript [%s] emulator [%s]; missing %v; extra %v", i, ctx(want), ctx(got), missing, extra)
}

func setDiff(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	if len(out) > 6 {
		out = append(out[:6], "…")
	}
	return out
}

// parseJSONEvent reads a text/event-json body keeping the keys' order; "_body" becomes Body.
func parseJSONEvent(body string) (*Event, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	e := &Event{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("key %v: %w", k, err)
		}
		if k == "_body" {
			e.Body = v
			continue
		}
		e.Headers = append(e.Headers, Header{k.(string), v})
	}
	return e, nil
}
