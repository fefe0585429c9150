package fstest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDropConnectionsKeepsListening(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	srv.DropConnections()
	for range c.msgs {
		t.Fatal("no message may follow a dropped connection")
	}
	c2 := dialInbound(t, srv)
	require.Equal(t, "+OK accepted", c2.cmd("auth ClueCon").get("Reply-Text"))
}

func TestReplyDelayStallsReplies(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	srv.SetReplyDelay(2 * time.Second)
	c.write("api status\n\n")
	select {
	case m := <-c.msgs:
		t.Fatalf("reply arrived despite the stall: %s", describe(m))
	case <-time.After(200 * time.Millisecond):
	}
	require.Contains(t, c.next().body, "is ready")
	srv.SetReplyDelay(0)
	require.Equal(t, "false", c.cmd("api uuid_exists x").body)
}

func TestEmitBurstKeepsOrder(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	c.cmd("event plain HEARTBEAT")
	const n = 10000
	srv.EmitBurst(n)
	last := uint64(0)
	for i := 0; i < n; i++ {
		e, err := c.next().event()
		require.NoError(t, err)
		require.Equal(t, "HEARTBEAT", e.Name())
		require.Equal(t, strconv.Itoa(i), e.Get("Burst-Index"))
		seq, err := strconv.ParseUint(e.Get("Event-Sequence"), 10, 64)
		require.NoError(t, err)
		require.Greater(t, seq, last)
		last = seq
	}
}

func TestSlowEventDelivery(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	c.cmd("event plain HEARTBEAT")
	srv.SetEventDelay(100 * time.Millisecond)
	srv.EmitBurst(5)
	start := time.Now()
	for i := 0; i < 5; i++ {
		e, err := c.next().event()
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), e.Get("Burst-Index"))
	}
	require.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "five events one per 100 ms")
}

func TestStopLikeFreeSWITCHShutdown(t *testing.T) {
	t.Parallel()
	b := setupCall(t, CallSpec{}, 50)
	require.Equal(t, "+OK will linger", b.s.cmd("linger").get("Reply-Text"))
	b.exec(t, "answer", "")
	idle := dialInbound(t, b.srv)
	idle.cmd("auth ClueCon")
	all := dialInbound(t, b.srv)
	all.cmd("auth ClueCon")
	all.cmd("event plain SHUTDOWN CHANNEL_HANGUP")
	b.s.cmd(sendmsg("playback", "tone_stream://%(30000,0,440)", "p1"))
	_, err := b.call.WaitFor(b.ctx, OnPrompt("30000"))
	require.NoError(t, err)

	stopped := make(chan error, 1)
	go func() { stopped <- b.srv.Stop(b.ctx) }()

	require.Equal(t, "System Shutting Down", all.waitEvent("SHUTDOWN", nil).Get("Event-Info"))
	require.Equal(t, "SYSTEM_SHUTDOWN", b.s.waitEvent("CHANNEL_HANGUP", nil).Get("Hangup-Cause"))
	e := b.s.waitEvent("CHANNEL_EXECUTE_COMPLETE", func(e *Event) bool { return e.Get("Application-UUID") == "p1" })
	require.Equal(t, "PLAYBACK ERROR", e.Get("Application-Response"))
	b.s.waitEvent("CHANNEL_HANGUP_COMPLETE", nil)
	var notices []*msg
	for m := range b.s.msgs {
		if m.get("Content-Type") == "text/disconnect-notice" {
			notices = append(notices, m)
		}
	}
	require.Len(t, notices, 2)
	require.Equal(t, "linger", notices[0].get("Content-Disposition"))
	require.Equal(t, "disconnect", notices[1].get("Content-Disposition"))
	require.Equal(t, "The system is being shut down.\n", notices[1].body)
	require.Equal(t, b.call.UUID(), notices[1].get("Controlled-Session-UUID"))
	for _, c := range []*client{idle, all} {
		var last *msg
		for m := range c.msgs {
			last = m
		}
		require.NotNil(t, last)
		require.Equal(t, "text/disconnect-notice", last.get("Content-Type"))
		require.Equal(t, "The system is being shut down.\n", last.body)
	}
	require.NoError(t, <-stopped)
	res, err := b.call.Wait(b.ctx)
	require.NoError(t, err)
	require.Equal(t, "SYSTEM_SHUTDOWN", res.Cause)
}

func TestRestartComesBackWithNewCoreUUID(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	before := c.cmd("api global_getvar core_uuid").body
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, srv.Restart(ctx))
	for range c.msgs {
	}
	c2 := dialInbound(t, srv)
	c2.cmd("auth ClueCon")
	after := c2.cmd("api global_getvar core_uuid").body
	require.NotEqual(t, before, after)
	require.Contains(t, c2.cmd("api status").body, "0 session(s) - peak")
}

func TestJSONEventFraming(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	require.Equal(t, "+OK event listener enabled json", c.cmd("event json BACKGROUND_JOB").get("Reply-Text"))
	c.cmd("bgapi originate {origination_uuid=aaaaaaaa-0000-4000-8000-0000000000b1}loopback/5201/default &park\nJob-UUID: j1")
	m := c.next()
	for m.get("Content-Type") != "text/event-json" {
		m = c.next()
	}
	require.Equal(t, "Content-Length", m.headers[0].Name, "Content-Length comes first")
	require.False(t, strings.HasSuffix(m.body, "\n"))
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(m.body), &v))
	require.Equal(t, "BACKGROUND_JOB", v["Event-Name"])
	require.Equal(t, "+OK aaaaaaaa-0000-4000-8000-0000000000b1\n", v["_body"])
	require.Equal(t, strconv.Itoa(len(v["_body"])), v["Content-Length"])
	require.Equal(t, "{origination_uuid=aaaaaaaa-0000-4000-8000-0000000000b1}loopback/5201/default &park", v["Job-Command-Arg"],
		"JSON values are not url-encoded and & is not escaped")
	require.True(t, strings.HasPrefix(m.body, `{"Event-Name":"BACKGROUND_JOB","Core-UUID":`))
	require.Less(t, strings.Index(m.body, `"Content-Length"`), strings.Index(m.body, `"_body"`))
}

func TestAPIQueueControl(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 50)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	ev := dialInbound(t, srv)
	ev.cmd("auth ClueCon")
	ev.cmd("event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_UNPARK CHANNEL_HANGUP_COMPLETE")
	u := "aaaaaaaa-0000-4000-8000-004000000001"
	require.Equal(t, "+OK filter added. ["+"Unique-ID"+"]=["+u+"]", ev.cmd("filter Unique-ID "+u).get("Reply-Text"))
	require.Equal(t, "+OK "+u+"\n", c.cmd("api originate {origination_uuid="+u+",origination_caller_id_number=1001,origination_caller_id_name=QueueCaller1}loopback/5201/default &park").body)
	require.Equal(t, "true", c.cmd("api uuid_exists "+u).body)
	require.Equal(t, "\n2 total.\n", c.cmd("api show channels count").body)
	js := c.cmd("api show channels as json").body
	require.True(t, strings.HasPrefix(js, `{"row_count":2,"rows":[{"uuid":"`+u+`","direction":"outbound"`), js)
	require.False(t, strings.HasSuffix(js, "\n"))
	require.Equal(t, "+OK\n", c.cmd("api uuid_setvar "+u+" t2_queue support").body)
	require.Equal(t, "support", c.cmd("api uuid_getvar "+u+" t2_queue").body)
	require.Equal(t, "_undef_", c.cmd("api uuid_getvar "+u+" t2_no_such_var").body)
	require.Equal(t, "+OK Message sent\n", c.cmd("api uuid_broadcast "+u+" tone_stream://%(2000,0,440) aleg").body)
	e := ev.waitEvent("CHANNEL_EXECUTE", func(e *Event) bool { return e.Get("Application") == "playback" })
	require.Equal(t, "tone_stream://%(2000,0,440)", e.Get("Application-Data"))
	require.Equal(t, "+OK\n", c.cmd("api uuid_transfer "+u+" 5220 XML default").body)
	ev.waitEvent("CHANNEL_UNPARK", nil)
	ev.waitEvent("CHANNEL_EXECUTE", func(e *Event) bool { return e.Get("Application") == "endless_playback" })
	require.Equal(t, "support", c.cmd("api uuid_getvar "+u+" t2_queue").body, "custom variables survive the transfer")
	require.Equal(t, "+OK\n", c.cmd("api uuid_kill "+u+" USER_BUSY").body)
	require.Equal(t, "USER_BUSY", ev.waitEvent("CHANNEL_HANGUP_COMPLETE", nil).Get("Hangup-Cause"))
	for cmd, want := range map[string]string{
		"api uuid_getvar " + u + " t2_queue":                       "-ERR No such channel!\n",
		"api uuid_setvar " + u + " t2_queue x":                     "-ERR No such channel!\n",
		"api uuid_broadcast " + u + " tone_stream://%(2000,0,440)": "-ERR invalid uuid\n",
		"api uuid_transfer " + u + " 5220 XML default":             "-ERR No such channel!\n",
		"api uuid_kill " + u + " USER_BUSY":                        "-ERR No such channel!\n",
		"api uuid_getvar":                                          "-USAGE: <uuid> <var>\n",
		"api uuid_setvar " + u:                                     "-USAGE: <uuid> <var> [value]\n",
		"api uuid_broadcast " + u:                                  "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n",
		"api uuid_transfer " + u:                                   "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n",
		"api uuid_kill":                                            "-USAGE: <uuid> [cause]\n",
	} {
		require.Equal(t, want, c.cmd(cmd).body, cmd)
	}
	require.Eventually(t, func() bool { return c.cmd("api show channels as json").body == "{\"row_count\": 0}\n" },
		5*time.Second, 10*time.Millisecond)
	require.Equal(t, "\n0 total.\n", c.cmd("api show channels").body)
}

func TestOutboundClientThatHangsUpBeforeConnect(t *testing.T) {
	t.Parallel()
	out := listenOutbound(t)
	srv := testServer(t, out, 50)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := srv.PlaceCall(ctx, CallSpec{})
	require.NoError(t, err)
	s := out.accept(t)
	require.NoError(t, s.nc.Close()) // ivrd died before "connect"
	res, err := call.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.False(t, res.Answered)
	require.Equal(t, "-ERR NORMAL_CLEARING", res.Originate)
	require.NoError(t, srv.Stop(ctx), "nothing may keep Stop waiting")
}
