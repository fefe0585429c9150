package fstest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInboundAuthAndAPI(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 1)

	t.Run("wrong password is rejected and the socket closed", func(t *testing.T) {
		c := dialInbound(t, srv)
		c.write("auth nope\n\n")
		require.Equal(t, "-ERR invalid", c.next().get("Reply-Text"))
		n := c.next()
		require.Equal(t, "text/disconnect-notice", n.get("Content-Type"))
		require.Equal(t, goodbye, n.body)
		_, open := <-c.msgs
		require.False(t, open)
	})

	t.Run("commands before auth are not found", func(t *testing.T) {
		c := dialInbound(t, srv)
		require.Equal(t, "-ERR command not found", c.cmd("api status").get("Reply-Text"))
		require.Equal(t, "+OK accepted", c.cmd("auth ClueCon").get("Reply-Text"))
	})

	t.Run("api replies", func(t *testing.T) {
		c := dialInbound(t, srv)
		c.cmd("auth ClueCon")
		require.Contains(t, c.cmd("api status").body, "is ready\n")
		require.Equal(t, "false", c.cmd("api uuid_exists 00000000-0000-0000-0000-000000000000").body)
		require.Equal(t, "-ERR no_such_command Command not found!\n", c.cmd("api no_such_command").body)
		require.Equal(t, "{\"row_count\": 0}\n", c.cmd("api show calls as json").body)
		require.Equal(t, "-ERR No such channel!\n", c.cmd("api uuid_kill 00000000-0000-0000-0000-000000000000").body)
		require.Equal(t, "+OK bye", c.cmd("exit").get("Reply-Text"))
	})
}

func TestBgapiOriginateOutcomes(t *testing.T) {
	t.Parallel()
	srv := testServer(t, nil, 40)
	c := dialInbound(t, srv)
	c.cmd("auth ClueCon")
	require.Equal(t, "+OK event listener enabled plain", c.cmd("event plain BACKGROUND_JOB").get("Reply-Text"))
	cases := []struct {
		dial, body string
	}{
		{"{origination_uuid=aaaaaaaa-0000-4000-8000-000000000001}loopback/5201/default &park", "+OK aaaaaaaa-0000-4000-8000-000000000001\n"},
		{"loopback/5202/default &park", "-ERR NORMAL_CLEARING\n"},
		{"{originate_timeout=3}loopback/5203/default &park", "-ERR NO_ANSWER\n"},
		{"{leg_timeout=2}loopback/5203/default &park", "-ERR ALLOTTED_TIMEOUT\n"},
		{"loopback/5206/default &park", "-ERR USER_BUSY\n"},
		{"loopback/5207/default &park", "-ERR UNALLOCATED_NUMBER\n"},
		{"loopback/5208/default &park", "-ERR CALL_REJECTED\n"},
		{"loopback/5299/no_such_context &park", "-ERR NO_ROUTE_DESTINATION\n"},
	}
	for i, tc := range cases {
		job := "bbbbbbbb-0000-4000-8000-00000000000" + string(rune('0'+i))
		r := c.cmd("bgapi originate " + tc.dial + "\nJob-UUID: " + job)
		require.Equal(t, "+OK Job-UUID: "+job, r.get("Reply-Text"))
		require.Equal(t, job, r.get("Job-UUID"))
		e := c.waitEvent("BACKGROUND_JOB", func(e *Event) bool { return e.Get("Job-UUID") == job })
		require.Equal(t, tc.body, e.Body, tc.dial)
		require.Equal(t, "originate", e.Get("Job-Command"))
	}
	require.Equal(t, "+OK\n", c.cmd("api uuid_kill aaaaaaaa-0000-4000-8000-000000000001").body)
}

func TestOutboundSessionIVR(t *testing.T) {
	t.Parallel()
	out := listenOutbound(t)
	srv := testServer(t, out, 20)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := srv.PlaceCall(ctx, CallSpec{CallerNumber: "1001", CallerName: "OutboundTest"})
	require.NoError(t, err)

	s := out.accept(t)
	s.write("connect\n\n")
	data := s.next()
	require.Equal(t, "command/reply", data.get("Content-Type"))
	require.Equal(t, "%2BOK%0A", data.get("Reply-Text"))
	require.Equal(t, "", data.get("Content-Length"))
	require.Equal(t, call.UUID(), data.get("Unique-ID"))
	require.Equal(t, "1001", data.get("Caller-Caller-ID-Number"))

	require.Equal(t, "+OK Events Enabled", s.cmd("myevents").get("Reply-Text"))
	require.Equal(t, "+OK will linger", s.cmd("linger").get("Reply-Text"))
	require.Equal(t, "+OK", s.cmd(sendmsg("answer", "", "u1")).get("Reply-Text"))
	s.waitEvent("CHANNEL_ANSWER", nil)
	e := s.waitEvent("CHANNEL_EXECUTE_COMPLETE", nil)
	require.Equal(t, "u1", e.Get("Application-UUID"))

	s.cmd(sendmsg("play_and_get_digits", `1 4 2 8000 # tone_stream://%(3000,0,800) silence_stream://250 ivr_digits \d+ 3000`, "u2"))
	_, err = call.WaitFor(ctx, OnPrompt("tone_stream://%(3000,0,800)"))
	require.NoError(t, err)
	require.NoError(t, call.SendDTMF("42#"))
	e = s.waitEvent("CHANNEL_EXECUTE_COMPLETE", func(e *Event) bool { return e.Get("Application-UUID") == "u2" })
	require.Equal(t, "42", e.Get("variable_ivr_digits"))
	require.Equal(t, "success", e.Get("variable_read_result"))
	require.Equal(t, "#", e.Get("variable_read_terminator_used"))

	require.Equal(t, "42", s.cmd("api uuid_getvar "+call.UUID()+" ivr_digits").body)
	s.cmd("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n")
	s.waitEvent("CHANNEL_HANGUP_COMPLETE", nil)
	n := s.next()
	require.Equal(t, "text/disconnect-notice", n.get("Content-Type"))
	require.Equal(t, "linger", n.get("Content-Disposition"))
	require.Equal(t, "-1", n.get("Linger-Time"))
	_ = s.nc.Close()

	res, err := call.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.Equal(t, "switch", res.HungUpBy)
	require.Equal(t, []string{"socket", "answer", "play_and_get_digits"}, res.Apps)
	require.True(t, strings.Contains(strings.Join(call.Heard(), ","), "800"))
}

func TestSplitAppArgs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []string
	}{
		{`1 4 2 8000 # tone_stream://%(300,0,800) silence_stream://250 ivr_digits \d+ 3000`,
			[]string{"1", "4", "2", "8000", "#", "tone_stream://%(300,0,800)", "silence_stream://250", "ivr_digits", `\d+`, "3000"}},
		{`1 1 1 5000 # 'say:Press 1 for sales' silence_stream://250 digits \d 2000`,
			[]string{"1", "1", "1", "5000", "#", "say:Press 1 for sales", "silence_stream://250", "digits", `\d`, "2000"}},
		{`a\ b  'it\'s'`, []string{"a b", "it's"}},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, splitAppArgs(tc.in), tc.in)
	}
}

func TestOriginateVariablesSplitAsFreeSWITCHDoes(t *testing.T) {
	t.Parallel()
	// esl.Client quotes values with blanks and escapes commas ({a='x y',b=1\,2}).
	argv := splitOriginateArgs(`{origination_caller_id_name='Example Bank\, N.A.',ivrd_flow=callback}sofia/gateway/carrier/+12125550101 '&socket(127.0.0.1:8084 async full)'`)
	require.Equal(t, "&socket(127.0.0.1:8084 async full)", argv[1])
	global, groups, err := parseDialString(argv[0])
	require.NoError(t, err)
	require.Equal(t, []Header{{"origination_caller_id_name", "Example Bank, N.A."}, {"ivrd_flow", "callback"}}, global)
	require.Equal(t, "sofia/gateway/carrier/+12125550101", groups[0][0].dial)
	// A bridge's data is not split first, so the quotes reach the variable list.
	require.Equal(t, []Header{{"a", "x y"}, {"b", "1,2"}}, parseVarList(`a='x y',b=1\,2`))
}
