package esl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type originateStep struct {
	req       OriginateRequest
	wantCause Cause // "" means success
	retryable bool
	kill      bool // uuid_kill the answered call afterwards (plain, no cause)
}

func runOriginateTrace(t *testing.T, trace string, steps []originateStep) {
	t.Helper()
	addr, results := serveInbound(t, loadTrace(t, trace))
	ctx := testCtx(t)
	c, err := Dial(ctx, Node{Name: "fs1", Address: addr, Password: "ClueCon"}, quietClientOptions())
	require.NoError(t, err)
	sub, err := c.Subscribe(ctx, SubscribeOptions{Events: []string{"CHANNEL_HANGUP_COMPLETE"}})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	for _, st := range steps {
		st.req.App = "&park"
		uuid, err := c.Originate(ctx, st.req)
		if st.wantCause == "" {
			require.NoError(t, err, st.req.Dial)
			require.Equal(t, st.req.UUID, uuid)
			if st.kill {
				_, err := c.API(ctx, "uuid_kill "+uuid)
				require.NoError(t, err)
			}
			continue
		}
		require.Error(t, err, st.req.Dial)
		var oe *OriginateError
		require.ErrorAs(t, err, &oe, st.req.Dial)
		require.Equal(t, st.wantCause, oe.Cause, st.req.Dial)
		require.Equal(t, st.retryable, oe.Retryable(), "%s: %s", st.req.Dial, oe.Cause)
		require.Equal(t, st.retryable, Retryable(err))
		require.Contains(t, err.Error(), string(st.wantCause))
	}
	require.NoError(t, c.Close())
	require.NoError(t, <-results)
}

func TestOriginateOutcomesOverLoopback(t *testing.T) {
	t.Parallel()
	id := func(n string) string { return "aaaaaaaa-0000-4000-8000-0010000000" + n }
	runOriginateTrace(t, "10a_originate_outcomes_loopback.txt", []originateStep{
		{req: OriginateRequest{Dial: "loopback/5201/default", UUID: id("01")}, kill: true},
		{req: OriginateRequest{Dial: "loopback/5202/default", UUID: id("02")}, wantCause: CauseNormalClearing, retryable: true},
		{req: OriginateRequest{Dial: "loopback/5203/default", UUID: id("03"), Timeout: 3 * time.Second}, wantCause: CauseNoAnswer, retryable: true},
		{req: OriginateRequest{Dial: "loopback/5204/default", UUID: id("04")}, wantCause: CauseNormalClearing, retryable: true},
		{req: OriginateRequest{Dial: "loopback/5205/default", UUID: id("05")}, wantCause: CauseNormalClearing, retryable: true},
		{req: OriginateRequest{Dial: "loopback/5299/default", UUID: id("06")}, wantCause: CauseNormalClearing, retryable: true},
		{req: OriginateRequest{Dial: "loopback/5299/public", UUID: id("07")}, wantCause: CauseNormalClearing, retryable: true},
		{req: OriginateRequest{Dial: "loopback/5299/t2_no_such_context", UUID: id("08")}, wantCause: CauseNoRouteDestination},
	})
}

func TestOriginateHangupCausesOverLoopback(t *testing.T) {
	t.Parallel()
	id := func(n string) string { return "aaaaaaaa-0000-4000-8000-0011000000" + n }
	runOriginateTrace(t, "10b_originate_hangup_causes_loopback.txt", []originateStep{
		{req: OriginateRequest{Dial: "loopback/5206/default", UUID: id("01")}, wantCause: CauseUserBusy, retryable: true},
		{req: OriginateRequest{Dial: "loopback/5207/default", UUID: id("02")}, wantCause: CauseUnallocatedNumber},
		{req: OriginateRequest{Dial: "loopback/5208/default", UUID: id("03")}, wantCause: CauseCallRejected},
	})
}

func TestOriginateOutcomesOverSIP(t *testing.T) {
	t.Parallel()
	id := func(n string) string { return "aaaaaaaa-0000-4000-8000-0012000000" + n }
	sip := func(ext string) string { return "sofia/internal/" + ext + "@127.0.0.1:5060" }
	runOriginateTrace(t, "11_originate_outcomes_sofia.txt", []originateStep{
		{req: OriginateRequest{Dial: sip("5201"), UUID: id("01")}, kill: true},
		{req: OriginateRequest{Dial: sip("5202"), UUID: id("02")}, wantCause: CauseUserBusy, retryable: true},
		{req: OriginateRequest{Dial: sip("5203"), UUID: id("03"), Timeout: 3 * time.Second}, wantCause: CauseNoAnswer, retryable: true},
		{req: OriginateRequest{Dial: sip("5204"), UUID: id("04")}, wantCause: CauseUnallocatedNumber},
		{req: OriginateRequest{Dial: sip("5205"), UUID: id("05")}, wantCause: CauseCallRejected},
		{req: OriginateRequest{Dial: sip("5299"), UUID: id("06")}, wantCause: CauseNormalClearing, retryable: true},
		{req: OriginateRequest{Dial: sip("5206"), UUID: id("07")}, wantCause: CauseUserBusy, retryable: true},
		{req: OriginateRequest{Dial: sip("5207"), UUID: id("08")}, wantCause: CauseUnallocatedNumber},
		{req: OriginateRequest{Dial: sip("5208"), UUID: id("09")}, wantCause: CauseCallRejected},
	})
}

func TestOriginateTimeoutsCallTimeoutIsIgnoredLegTimeoutIsAllotted(t *testing.T) {
	t.Parallel()
	// 12: {call_timeout=3} is ignored by originate (the call rings until killed);
	// {leg_timeout=3} ends in ALLOTTED_TIMEOUT. (The trace's third case uses originate's
	// positional arguments, which this API does not produce; it is left out.)
	blocks := dropCommand(loadTrace(t, "12_originate_timeouts.txt"), "TestName 1001 3")
	seen := make(chan string, 64)
	addr, results := serveInboundSeen(t, blocks, seen)
	ctx := testCtx(t)
	c, err := Dial(ctx, Node{Name: "fs1", Address: addr, Password: "ClueCon"}, quietClientOptions())
	require.NoError(t, err)
	sub, err := c.Subscribe(ctx, SubscribeOptions{Events: []string{"CHANNEL_HANGUP_COMPLETE"}})
	require.NoError(t, err)
	t.Cleanup(sub.Close)

	const first = "aaaaaaaa-0000-4000-8000-001300000001"
	type result struct {
		uuid string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		uuid, err := c.Originate(ctx, OriginateRequest{Dial: "loopback/5203/default", UUID: first, App: "&park",
			Vars: map[string]string{"call_timeout": "3"}})
		done <- result{uuid, err}
	}()
	for line := range seen {
		if len(line) > 5 && line[:5] == "bgapi" {
			break
		}
	}
	alive, err := c.Exists(ctx, first)
	require.NoError(t, err)
	require.True(t, alive, "still ringing: call_timeout did not end it")
	_, err = c.API(ctx, "uuid_kill "+first)
	require.NoError(t, err)
	r := <-done
	var oe *OriginateError
	require.ErrorAs(t, r.err, &oe)
	require.Equal(t, CauseNormalClearing, oe.Cause)

	_, err = c.Originate(ctx, OriginateRequest{Dial: "loopback/5203/default", UUID: "aaaaaaaa-0000-4000-8000-001300000002",
		App: "&park", Vars: map[string]string{"leg_timeout": "3"}})
	require.ErrorAs(t, err, &oe)
	require.Equal(t, CauseAllottedTimeout, oe.Cause)
	require.True(t, oe.Retryable())

	require.NoError(t, c.Close())
	require.NoError(t, <-results)
}

func TestOriginateRendersTimeoutAsOriginateTimeoutAndRefusesBadValues(t *testing.T) {
	t.Parallel()
	line, uuid, err := OriginateRequest{Dial: "sofia/gateway/gw/0123", UUID: "u1", CallerIDNumber: "+4930123",
		CallerIDName: "Bank Hotline", Timeout: 2500 * time.Millisecond, Vars: map[string]string{"ivrd_flow": "callback,v2"},
		LegVars: map[string]string{"sip_h_X-Req": "r1"}, App: "&socket(127.0.0.1:8084 async full)"}.command()
	require.NoError(t, err)
	require.Equal(t, "u1", uuid)
	require.Equal(t, `originate {ivrd_flow=callback\,v2,originate_timeout=3,origination_caller_id_name='Bank Hotline',origination_caller_id_number=+4930123,origination_uuid=u1}[sip_h_X-Req=r1]sofia/gateway/gw/0123 '&socket(127.0.0.1:8084 async full)'`, line)
	require.NotContains(t, line, "call_timeout", "originate ignores call_timeout")

	for _, bad := range []OriginateRequest{
		{Dial: ""},
		{Dial: "a b"},
		{Dial: "x", Vars: map[string]string{"a": "it's"}},
		{Dial: "x", Vars: map[string]string{"a b": "1"}},
		{Dial: "x", App: "&park\nexit"},
	} {
		_, _, err := bad.command()
		require.ErrorIs(t, err, ErrBadArgument, "%+v", bad)
	}
}

func TestOriginateResultWithoutItsJobIsUnknownNotRetryable(t *testing.T) {
	t.Parallel()
	// FreeSWITCH accepts the bgapi and then goes silent: the outcome is unknown, and the
	// error must not invite a blind retry (the callee might be ringing).
	addr, _ := serveInbound(t, []traceBlock{
		{dir: "S->C", data: []byte("Content-Type: auth/request\n\n")},
		{dir: "C->S", data: []byte("auth pw\n\n")},
		{dir: "S->C", data: []byte("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")},
		{dir: "C->S", data: []byte("event plain BACKGROUND_JOB\n\n")},
		{dir: "S->C", data: []byte("Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n")},
		{dir: "C->S", data: []byte("bgapi originate {origination_uuid=u9}loopback/1/default &park()\nJob-UUID: 00000000-0000-0000-0000-000000000000\n\n")},
		{dir: "S->C", data: []byte("Content-Type: command/reply\nReply-Text: +OK Job-UUID: 00000000-0000-0000-0000-000000000000\nJob-UUID: 00000000-0000-0000-0000-000000000000\n\n")},
	})
	c, err := Dial(testCtx(t), Node{Address: addr, Password: "pw"}, quietClientOptions())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	uuid, err := c.Originate(ctx, OriginateRequest{Dial: "loopback/1/default", UUID: "u9"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	require.Equal(t, "u9", uuid, "the uuid to check before retrying")
	require.False(t, Retryable(err))
}
