package fstest

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ivrBundle is a fake ivrd: the outbound listener, the emulator and one placed call's session.
type ivrBundle struct {
	srv  *Server
	call *Call
	s    *client
	ctx  context.Context
}

func setupCall(t *testing.T, spec CallSpec, speed float64) *ivrBundle {
	t.Helper()
	out := listenOutbound(t)
	srv := testServer(t, out, speed)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	call, err := srv.PlaceCall(ctx, spec)
	require.NoError(t, err)
	s := out.accept(t)
	s.write("connect\n\n")
	require.Equal(t, "%2BOK%0A", s.next().get("Reply-Text"))
	require.Equal(t, "+OK Events Enabled", s.cmd("myevents").get("Reply-Text"))
	return &ivrBundle{srv: srv, call: call, s: s, ctx: ctx}
}

// exec runs an app through sendmsg and returns its CHANNEL_EXECUTE_COMPLETE.
func (b *ivrBundle) exec(t *testing.T, app, arg string) *Event {
	t.Helper()
	id := newUUID()
	require.Equal(t, "+OK", b.s.cmd(sendmsg(app, arg, id)).get("Reply-Text"))
	return b.s.waitEvent("CHANNEL_EXECUTE_COMPLETE", func(e *Event) bool { return e.Get("Application-UUID") == id })
}

func TestPlaceCallScriptedCaller(t *testing.T) {
	t.Parallel()
	b := setupCall(t, CallSpec{
		CallerNumber: "0612345678", CallerName: "Jan", Vars: map[string]string{"ivr_lang": "nl"},
		Script: []Step{
			{On: OnPrompt("%(3000,0,800)"), Wait: 200 * time.Millisecond, DTMF: "1"},
			{On: OnPrompt("%(5000,0,440)"), Wait: time.Second, DTMF: "5#"},
			{On: OnApp("speak"), Hangup: true},
		},
	}, 10)
	require.Equal(t, "nl", b.call.b.vars.vals["ivr_lang"])
	b.exec(t, "answer", "")

	t.Run("play_and_get_digits stops its prompt at the first digit", func(t *testing.T) {
		e := b.exec(t, "play_and_get_digits", `1 1 1 5000 # tone_stream://%(3000,0,800) silence_stream://250 choice \d 2000`)
		require.Equal(t, "1", e.Get("variable_choice"))
		require.Equal(t, "success", e.Get("variable_read_result"))
		ms, err := strconv.Atoi(e.Get("variable_playback_ms"))
		require.NoError(t, err)
		require.Less(t, ms, 3000, "the prompt must not play to its end")
	})
	t.Run("playback stops on a playback_terminators digit only", func(t *testing.T) {
		b.exec(t, "set", "playback_terminators=#")
		e := b.exec(t, "playback", "tone_stream://%(5000,0,440)")
		require.Equal(t, "FILE PLAYED", e.Get("Application-Response"))
		require.Equal(t, "#", e.Get("variable_playback_terminator_used"))
	})
	t.Run("the caller hangs up during speak", func(t *testing.T) {
		id := newUUID()
		b.s.cmd(sendmsg("speak", "flite|kal|Thank you for calling, please hold the line while we connect you", id))
		h := b.s.waitEvent("CHANNEL_HANGUP", nil)
		require.Equal(t, "NORMAL_CLEARING", h.Get("Hangup-Cause"))
		n := b.s.next()
		for n.get("Content-Type") != "text/disconnect-notice" {
			n = b.s.next()
		}
		require.Equal(t, "disconnect", n.get("Content-Disposition"))
	})
	res, err := b.call.Wait(b.ctx)
	require.NoError(t, err)
	require.Equal(t, "caller", res.HungUpBy)
	require.True(t, res.Answered)
	require.Equal(t, []string{"socket", "answer", "play_and_get_digits", "set", "playback", "speak"}, res.Apps)
	var dtmf string
	for _, e := range b.call.Events() {
		if e.Kind == KindDTMF {
			dtmf += e.Data
		}
	}
	require.Equal(t, "15#", dtmf)
	require.Equal(t, []string{"tone_stream://%(3000,0,800)", "tone_stream://%(5000,0,440)",
		"Thank you for calling, please hold the line while we connect you"}, b.call.Heard())
}

func TestPlaceCallErrors(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := srv.PlaceCall(ctx, CallSpec{CalledNumber: "7777", Context: "nosuch"})
	require.ErrorContains(t, err, `no extension "7777" in context "nosuch"`)
	_, err = srv.PlaceCall(ctx, CallSpec{AudioFile: filepath.Join(t.TempDir(), "missing.wav")})
	require.ErrorContains(t, err, "caller audio")
}

func TestWaitForReportsCallEnd(t *testing.T) {
	t.Parallel()
	b := setupCall(t, CallSpec{}, 50)
	b.s.cmd("sendmsg\ncall-command: hangup\nhangup-cause: USER_BUSY\n")
	_, err := b.call.WaitFor(b.ctx, OnApp("playback"))
	require.ErrorIs(t, err, ErrCallEnded)
	res, err := b.call.Wait(b.ctx)
	require.NoError(t, err)
	require.Equal(t, "USER_BUSY", res.Cause)
	require.Equal(t, "switch", res.HungUpBy)
}

func TestBridgeOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name           string
		behavior       Behavior
		continueOnFail bool
		disposition    string
		callerHungUp   string // cause the caller is hung up with; "" = stays up
	}{
		{"an agent who answers is bridged until they hang up", Behavior{Outcome: OutcomeAnswer, After: 2 * time.Second, HangupAfter: 3 * time.Second}, false, "SUCCESS", ""},
		{"a busy agent hangs the caller up", Behavior{Outcome: OutcomeBusy, After: time.Second}, false, "USER_BUSY", "USER_BUSY"},
		{"a busy agent with continue_on_fail keeps the caller", Behavior{Outcome: OutcomeBusy}, true, "USER_BUSY", ""},
		{"an agent who does not answer times out after call_timeout", Behavior{Outcome: OutcomeNoAnswer}, false, "NO_ANSWER", ""},
		{"a rejecting agent hangs the caller up", Behavior{Outcome: OutcomeReject}, false, "CALL_REJECTED", "CALL_REJECTED"},
		{"an unknown number hangs the caller up", Behavior{Outcome: OutcomeInvalid}, false, "UNALLOCATED_NUMBER", "UNALLOCATED_NUMBER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupCall(t, CallSpec{}, 50)
			b.srv.SetEndpoint("user/2001", tc.behavior)
			b.exec(t, "answer", "")
			timeout := "3"
			if tc.behavior.Outcome != OutcomeNoAnswer {
				timeout = "600" // only the no-answer case may reach call_timeout, however loaded the machine
			}
			b.exec(t, "set", "call_timeout="+timeout)
			if tc.continueOnFail {
				b.exec(t, "set", "continue_on_fail=true")
			}
			id := newUUID()
			b.s.cmd(sendmsg("bridge", "user/2001", id))
			var hangup *Event
			var done *Event
			for done == nil {
				m := b.s.next()
				e, err := m.event()
				if err != nil {
					continue
				}
				switch {
				case e.Name() == "CHANNEL_HANGUP":
					hangup = e
				case e.Name() == "CHANNEL_EXECUTE_COMPLETE" && e.Get("Application-UUID") == id:
					done = e
				case e.Name() == "CHANNEL_BRIDGE":
					require.Equal(t, "SUCCESS", e.Get("variable_originate_disposition"))
					require.Equal(t, e.Get("Bridge-B-Unique-ID"), e.Get("Other-Leg-Unique-ID"))
				}
			}
			require.Equal(t, tc.disposition, done.Get("variable_originate_disposition"))
			if tc.disposition != "SUCCESS" {
				require.Equal(t, tc.disposition, done.Get("variable_originate_failed_cause"))
			} else {
				require.Equal(t, "NORMAL_CLEARING", done.Get("variable_bridge_hangup_cause"))
			}
			if tc.callerHungUp != "" {
				require.NotNil(t, hangup, "the caller must be hung up")
				require.Equal(t, tc.callerHungUp, hangup.Get("Hangup-Cause"))
				return
			}
			require.Nil(t, hangup, "the caller must stay up")
			e := b.exec(t, "playback", "tone_stream://%(100,0,600)")
			require.Equal(t, "FILE PLAYED", e.Get("Application-Response"))
		})
	}
}

func TestEndpointOutcomes(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	srv.SetEndpoint("sofia/gateway/carrier/*", Behavior{Outcome: OutcomeAnswer, After: time.Second})
	srv.SetEndpoint("sofia/gateway/carrier/0600000486", Behavior{Outcome: OutcomeBusy})
	srv.SetEndpoint("sofia/gateway/carrier/0600000404", Behavior{Outcome: OutcomeInvalid})
	srv.SetEndpoint("sofia/gateway/carrier/0600000603", Behavior{Outcome: OutcomeReject})
	srv.SetEndpoint("sofia/gateway/carrier/0600000000", Behavior{Outcome: OutcomeNoAnswer})
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	c.cmd("event plain BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE")
	cases := []struct {
		dial, body string
		sip        map[string]string
	}{
		{"{origination_uuid=aaaaaaaa-0000-4000-8000-0000000000a1}sofia/gateway/carrier/0612345678", "+OK aaaaaaaa-0000-4000-8000-0000000000a1\n", nil},
		{"sofia/gateway/carrier/0600000486", "-ERR USER_BUSY\n", map[string]string{"variable_sip_term_status": "486",
			"variable_sip_term_cause": "17", "variable_proto_specific_hangup_cause": "sip:486",
			"variable_sip_invite_failure_phrase": "Busy Here", "variable_sip_hangup_disposition": "recv_refuse"}},
		{"sofia/gateway/carrier/0600000404", "-ERR UNALLOCATED_NUMBER\n", map[string]string{"variable_sip_term_status": "404", "variable_sip_term_cause": "1"}},
		{"sofia/gateway/carrier/0600000603", "-ERR CALL_REJECTED\n", map[string]string{"variable_sip_term_status": "603", "variable_sip_term_cause": "21"}},
		{"{originate_timeout=3}sofia/gateway/carrier/0600000000", "-ERR NO_ANSWER\n", map[string]string{
			"variable_sip_invite_failure_status": "487", "variable_sip_hangup_disposition": "send_cancel", "variable_sip_term_status": ""}},
		{"{call_timeout=1,originate_timeout=3}sofia/gateway/carrier/0600000000", "-ERR NO_ANSWER\n", nil},
		{"user/9999", "-ERR USER_NOT_REGISTERED\n", nil},
	}
	for i, tc := range cases {
		job := fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", i)
		c.cmd("bgapi originate " + tc.dial + " &park\nJob-UUID: " + job)
		// BACKGROUND_JOB and the leg's CHANNEL_HANGUP_COMPLETE come in either order
		var job1, h *Event
		for job1 == nil || (tc.sip != nil && h == nil) {
			e, err := c.next().event()
			require.NoError(t, err)
			switch {
			case e.Name() == "BACKGROUND_JOB" && e.Get("Job-UUID") == job:
				job1 = e
			case e.Name() == "CHANNEL_HANGUP_COMPLETE" && h == nil:
				h = e
			}
		}
		require.Equal(t, tc.body, job1.Body, tc.dial)
		if tc.sip == nil {
			continue
		}
		for k, v := range tc.sip {
			require.Equal(t, v, h.Get(k), "%s: %s", tc.dial, k)
		}
	}
	require.Equal(t, "+OK\n", c.cmd("api uuid_kill aaaaaaaa-0000-4000-8000-0000000000a1").body)
}

// sine makes d of a tone at freq Hz as 16-bit PCM.
func sine(freq float64, d time.Duration, rate int) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(12000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// toneShare is how much of pcm's power is at freq: about 0.5 for a pure sine, about 0.25 each
// for two equal tones, near 0 when freq is absent.
func toneShare(pcm []int16, freq float64, rate int) float64 {
	var ms float64
	for _, x := range pcm {
		ms += float64(x) * float64(x)
	}
	ms /= float64(len(pcm))
	if ms == 0 {
		return 0
	}
	return toneEnergy(pcm, freq, rate) / ms
}

// toneEnergy is the Goertzel power of freq in pcm.
func toneEnergy(pcm []int16, freq float64, rate int) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + k*s1 - s2
		s2, s1 = s1, s
	}
	return (s1*s1 + s2*s2 - k*s1*s2) / float64(len(pcm)*len(pcm))
}

func TestRecordSessionWritesRealWAV(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		spec     CallSpec
		setRate  string
		wantRate int
	}{
		{"narrowband 8 kHz by default", CallSpec{}, "", 8000},
		{"wideband channel at 16 kHz", CallSpec{Wideband: true}, "", 16000},
		{"record_sample_rate asks for 16 kHz", CallSpec{}, "16000", 16000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := tc.spec
			spec.Audio = sine(1000, 5*time.Second, 8000) // the caller "says" a 1 kHz tone
			spec.AudioRate = 8000
			b := setupCall(t, spec, 20)
			b.exec(t, "answer", "")
			if tc.setRate != "" {
				b.exec(t, "set", "record_sample_rate="+tc.setRate)
			}
			path := filepath.Join(t.TempDir(), "rec", "call.wav")
			b.s.cmd("event plain RECORD_START RECORD_STOP")
			id := newUUID()
			b.s.cmd(sendmsg("record_session", path, id))
			require.Equal(t, path, b.s.waitEvent("RECORD_START", nil).Get("Record-File-Path"))
			b.s.waitEvent("CHANNEL_EXECUTE_COMPLETE", func(e *Event) bool { return e.Get("Application-UUID") == id })
			b.exec(t, "playback", "tone_stream://%(1500,0,440)")
			stop := b.exec(t, "stop_record_session", path)
			ms, err := strconv.Atoi(stop.Get("variable_record_ms"))
			require.NoError(t, err)
			samples, _ := strconv.Atoi(stop.Get("variable_record_samples"))
			size, _ := strconv.Atoi(stop.Get("variable_record_file_size"))
			require.GreaterOrEqual(t, ms, 1500, "the recording lasts at least the prompt played meanwhile")
			require.Equal(t, "success-maxtime", stop.Get("variable_record_completion_cause"))

			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, size, len(data))
			pcm, rate, err := readWAV(path)
			require.NoError(t, err)
			require.Equal(t, tc.wantRate, rate)
			require.Equal(t, samples, len(pcm))
			require.Equal(t, 44+2*samples, len(data), "44-byte header + 16-bit mono samples")
			require.InDelta(t, ms, len(pcm)*1000/rate, 1)
			// both directions: the caller's 1 kHz and the played 440 Hz are in the file
			require.Greater(t, toneShare(pcm, 1000, rate), 0.02, "the caller's 1 kHz")
			require.Greater(t, toneShare(pcm, 440, rate), 0.02, "the played 440 Hz")
			require.Less(t, toneShare(pcm, 2500, rate), 0.001, "nothing at 2.5 kHz")
		})
	}
}

func TestSIPSelfCallOutcomes(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	c.cmd("event plain BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE")
	cases := []struct {
		ext, vars, body          string
		callerCause, calledCause string
		callerVars               map[string]string
	}{
		{"5202", "", "-ERR USER_BUSY\n", "USER_BUSY", "USER_BUSY", map[string]string{"variable_sip_term_status": "486",
			"variable_sip_invite_failure_phrase": "Busy Here", "variable_sip_hangup_disposition": "recv_refuse"}},
		{"5204", "", "-ERR UNALLOCATED_NUMBER\n", "UNALLOCATED_NUMBER", "UNALLOCATED_NUMBER", map[string]string{"variable_sip_term_status": "404"}},
		{"5205", "", "-ERR CALL_REJECTED\n", "CALL_REJECTED", "CALL_REJECTED", map[string]string{"variable_sip_term_status": "603"}},
		{"5203", "originate_timeout=3,", "-ERR NO_ANSWER\n", "NO_ANSWER", "ORIGINATOR_CANCEL", map[string]string{
			"variable_sip_term_status": "", "variable_sip_invite_failure_status": "487", "variable_sip_hangup_disposition": "send_cancel"}},
	}
	for i, tc := range cases {
		u := fmt.Sprintf("aaaaaaaa-0000-4000-8000-%012d", 700+i)
		job := fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", 700+i)
		c.cmd("bgapi originate {" + tc.vars + "origination_uuid=" + u + "}sofia/internal/" + tc.ext + "@127.0.0.1:5060 &park\nJob-UUID: " + job)
		var jobEv, caller, called *Event
		for jobEv == nil || caller == nil || called == nil {
			e, err := c.next().event()
			require.NoError(t, err)
			switch {
			case e.Name() == "BACKGROUND_JOB" && e.Get("Job-UUID") == job:
				jobEv = e
			case e.Name() == "CHANNEL_HANGUP_COMPLETE" && e.Get("Unique-ID") == u:
				caller = e
			case e.Name() == "CHANNEL_HANGUP_COMPLETE":
				called = e
			}
		}
		require.Equal(t, tc.body, jobEv.Body, tc.ext)
		require.Equal(t, tc.callerCause, caller.Get("Hangup-Cause"), tc.ext)
		require.Equal(t, tc.calledCause, called.Get("Hangup-Cause"), tc.ext)
		require.Equal(t, "public", called.Get("Caller-Context"))
		for k, v := range tc.callerVars {
			require.Equal(t, v, caller.Get(k), "%s %s", tc.ext, k)
		}
	}
}

func TestRecordingHoldsTheBridgedAgent(t *testing.T) {
	t.Parallel()
	b := setupCall(t, CallSpec{Audio: sine(1000, 10*time.Second, 8000)}, 20)
	b.srv.SetEndpoint("user/2002", Behavior{Outcome: OutcomeAnswer, After: time.Second, HangupAfter: 2 * time.Second,
		Audio: sine(700, 10*time.Second, 8000), AudioRate: 8000})
	b.exec(t, "answer", "")
	path := filepath.Join(t.TempDir(), "bridged.wav")
	b.exec(t, "record_session", path)
	e := b.exec(t, "bridge", "user/2002")
	require.Equal(t, "NORMAL_CLEARING", e.Get("variable_bridge_hangup_cause"))
	b.exec(t, "stop_record_session", path)
	pcm, rate, err := readWAV(path)
	require.NoError(t, err)
	require.Greater(t, toneShare(pcm, 700, rate), 0.02, "the agent's voice is in the recording")
	require.Greater(t, toneShare(pcm, 1000, rate), 0.02, "and the caller's")
}

func TestOriginateToGatewayIntoOutboundSocket(t *testing.T) {
	t.Parallel()
	out := listenOutbound(t)
	srv := testServer(t, out, 20)
	// the key press comes 30 s (1.5 s of real time) after answer: ample for the socket session
	// to start collecting digits, however loaded the machine
	srv.SetEndpoint("sofia/gateway/carrier/*", Behavior{Outcome: OutcomeAnswer, After: 2 * time.Second,
		Digits: []DigitStep{{After: 30 * time.Second, Digits: "9"}}})
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	c.cmd("event plain BACKGROUND_JOB")
	c.cmd("bgapi originate {origination_uuid=aaaaaaaa-0000-4000-8000-0000000000c1,origination_caller_id_number=5000}" +
		"sofia/gateway/carrier/0612345678 &socket(" + out.addr() + " async full)\nJob-UUID: cb1")
	require.Equal(t, "+OK aaaaaaaa-0000-4000-8000-0000000000c1\n",
		c.waitEvent("BACKGROUND_JOB", func(e *Event) bool { return e.Get("Job-UUID") == "cb1" }).Body)
	s := out.accept(t)
	s.write("connect\n\n")
	data := s.next()
	require.Equal(t, "aaaaaaaa-0000-4000-8000-0000000000c1", data.get("Unique-ID"))
	require.Equal(t, "outbound", data.get("Call-Direction"))
	require.Equal(t, "answered", data.get("Answer-State"))
	s.cmd("myevents")
	id := newUUID()
	s.cmd(sendmsg("play_and_get_digits", `1 1 1 60000 # tone_stream://%(1000,0,440) silence_stream://250 confirm \d`, id))
	e := s.waitEvent("CHANNEL_EXECUTE_COMPLETE", func(e *Event) bool { return e.Get("Application-UUID") == id })
	require.Equal(t, "9", e.Get("variable_confirm"), "the customer's key press reaches the socket session")
	require.Equal(t, "+OK\n", c.cmd("api uuid_kill aaaaaaaa-0000-4000-8000-0000000000c1").body)
	require.Equal(t, "NORMAL_CLEARING", s.waitEvent("CHANNEL_HANGUP", nil).Get("Hangup-Cause"))
}
