// Package fstest is a FreeSWITCH emulator that speaks real ESL over TCP, for tests and for
// `ivrd demo` / `ivrd emulator`. It reproduces the transcripts of a real FreeSWITCH 1.10.12 kept
// in shared/freeswitch/traces (checked message by message by the conformance test in this
// package): the same Content-Types, header names and order, reply texts, event sequences and
// hangup causes.
//
// Start one with Start; it listens like FreeSWITCH's port 8021:
//
//	srv, err := fstest.Start(ctx, fstest.Options{
//		Dialplan: fstest.TraceDialplan("127.0.0.1:8084"), // 5000 -> socket to ivrd
//		Clock:    fstest.ScaledClock(50),                 // calls run 50x faster
//	})
//	defer srv.Close()
//
// The pieces:
//
//   - Inbound event socket (conn_inbound.go, api.go): auth, api, bgapi with Job-UUID and
//     BACKGROUND_JOB, event plain|json, filter, nixevent, noevents, log, exit; the api commands
//     ivrd uses (status, originate, uuid_*, show channels|calls, hupall, fsctl, global_getvar).
//   - Channels (channel*.go): each emulated session has one goroutine that runs its
//     applications (answer, playback, speak, play_and_get_digits, read, set, record_session,
//     bridge, transfer, hangup, park, socket, ...) and fires the events FreeSWITCH fires, with
//     channel variables kept in FreeSWITCH's order.
//   - Dialplan (dialplan.go) routes loopback legs and scripted calls; "socket" hands a call to an
//     outbound ESL server (outbound.go) exactly as mod_event_socket does (connect reply without
//     Content-Length, myevents, linger, sendmsg with event-lock and Event-UUID).
//   - Endpoints (endpoint.go): user/..., sofia/gateway/..., sofia/internal/... legs reached by
//     originate or bridge, scripted with SetEndpoint and a Behavior (answer after N s, busy, no
//     answer, reject, invalid) giving FreeSWITCH's hangup causes and SIP variables.
//   - Scripted callers (call.go): PlaceCall dials into the dialplan like a caller; the Call
//     sends DTMF, hangs up, and reports the ordered CallEvents of its channel (prompts played,
//     apps run, bridge outcomes, recordings) for tests to follow with WaitFor.
//   - record_session writes a real WAV (record.go): 8 kHz mono 16-bit, 16 kHz on wideband
//     channels or with record_sample_rate, holding the caller's Audio mixed with played tones.
//   - Faults (fault.go): DropConnections, SetReplyDelay, SetEventDelay, EmitBurst, Restart,
//     and Stop, which shuts down like `fsctl shutdown` (SYSTEM_SHUTDOWN hangups, then
//     "The system is being shut down." to every connection).
//
// Time runs on a Clock: prompt lengths come from tone_stream/silence_stream arguments and WAV
// headers (DefaultPromptLength for files the emulator cannot read), speak from the text length.
//
// Conformance: conformance_test.go replays every transcript (testdata/traces, or the shared
// captures when present) and compares the emulator's messages one by one: Content-Type, header
// names in order (variables included), stable values, reply texts and bodies. The captures it
// does not reproduce are listed in knownGaps with the reason; they still run.
//
// Where the emulator knowingly differs from FreeSWITCH:
//   - A sound file it cannot read plays for DefaultPromptLength instead of failing with
//     FILE NOT FOUND, so flows whose prompts exist only on the real switch still run.
//   - DTMF events fire when a digit reaches the channel; FreeSWITCH fires them when the running
//     application reads the digit (the same moment while an application collects digits).
//   - SIP legs carry the hangup causes and sip_term_status / sip_invite_failure_* / sip_hangup_disposition
//     variables of the transcripts, not FreeSWITCH's full SIP/RTP/SDP variable set.
//   - Recordings contain the caller's Audio, the bridged far end's Audio and the tones played;
//     speech files and TTS are silence.
package fstest
