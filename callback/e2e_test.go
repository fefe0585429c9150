package callback

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	fstestfs "testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
	"github.com/ivrd/ivrd/sms/kanneltest"
)

// finished is the follow-up rules' view of a call record (as the daemon builds it).
func finished(rec *ivr.CallRecord) sms.FinishedCall {
	outcome := map[ivr.Outcome]string{ivr.OutcomeSelfServed: "completed", ivr.OutcomeAbandoned: "abandoned",
		ivr.OutcomeTransferred: "transferred", ivr.OutcomeQueued: "queued", ivr.OutcomeCallback: "callback"}[rec.Outcome]
	return sms.FinishedCall{CallID: rec.ID, Caller: rec.Caller, Outcome: outcome, Steps: rec.Steps(), Tags: rec.Tags,
		Lang: rec.Language, EndedAt: rec.EndedAt}
}

// loadFlows loads the shipped flows (flows/*.yaml) into a FlowSet.
func loadFlows(t *testing.T) *ivr.FlowSet {
	t.Helper()
	data, err := os.ReadFile("../flows/callback.yaml")
	require.NoError(t, err)
	fsys := fstestfs.MapFS{"callback.yaml": {Data: data}}
	cat := &ivr.Catalog{Queues: map[string]bool{"general": true, "loans": true, "cards": true}, Templates: map[string]bool{}, SkipFileCheck: true}
	for name := range smsConfig().Templates {
		cat.Templates[name] = true
	}
	loaded, ds := ivr.LoadFS(fsys, ".", cat)
	require.False(t, ds.HasErrors(), "flows/callback.yaml must load: %v", ds.Err())
	set := &ivr.FlowSet{}
	for _, f := range loaded.Flows {
		set.Put(ivr.VersionedFlow{Flow: f, Version: ivr.ContentVersion(data)})
	}
	_, _, err = set.Flow("callback")
	require.NoError(t, err)
	return set
}

// TestEndToEndTextToCallback is the whole story with real parts: a customer texts CALL ME
// through Kannel (fake SMSC), gets the confirmation, does not answer twice, answers the third
// call, hears the callback flow, presses 1, reaches an agent, and gets a text afterwards.
func TestEndToEndTextToCallback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const customer = "+14155550142"

	// ivrd's HTTP side (sms webhooks) and Kannel pointing at it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mux := http.NewServeMux()
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
	k := kanneltest.Start(t, kanneltest.Options{InboundURL: "http://" + l.Addr().String() + sms.PathKannelInbound})
	gwy, err := sms.NewKannelGateway(sms.KannelConfig{SendURL: k.SendURL, Username: k.Username, Password: k.Password}, nil)
	require.NoError(t, err)

	// ivrd's outbound socket: the runtime runs the flow ivrd_flow names.
	var rt *ivr.Runtime
	records := make(chan *ivr.CallRecord, 4)
	out, err := esl.Listen(ctx, "127.0.0.1:0", func(ctx context.Context, call *esl.Call) {
		rt.Run(ctx, ivr.NewESLChannel(call, quiet), ivr.CallOptions{Flow: call.Var(VarFlow), Direction: "outbound",
			NoAnswer: true, Vars: FlowVars(call.Var)})
	}, esl.ServerOptions{Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = out.Shutdown(sctx)
	})

	cfg := testConfig()
	cfg.Extension = "ivrd_callback XML default"
	b := setup(t, cfg, setupOpts{start: true, gw: gwy, socket: out.Addr().String(),
		dialplan: fstest.NewDialplan().Add("default", "ivrd_callback", fstest.Socket(out.Addr().String()))})
	b.sms.Inbound.Routes(mux)
	rt, err = ivr.NewRuntime(ivr.Config{
		Flows:  loadFlows(t),
		Queues: &ivr.AgentRollover{Queues: map[string]*ivr.QueueConfig{"general": {Agents: []string{"user/1001"}}}},
		Texter: b.sms.Sender, Callbacks: b.svc, RecordingsDir: t.TempDir(), Logger: quiet,
		OnCallEnded: []func(context.Context, *ivr.CallRecord){func(ctx context.Context, rec *ivr.CallRecord) {
			_, err := b.sms.FollowUps.OnCallEnded(ctx, finished(rec))
			require.NoError(t, err)
			records <- rec
		}},
	})
	require.NoError(t, err)

	// The customer's phone: no answer, no answer, then answered and 1 pressed at the menu.
	// The agent answers and talks a little.
	b.fs.SetEndpoint(gw+customer, fstest.Behavior{Outcome: fstest.OutcomeNoAnswer})
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 30 * time.Second})
	pressing := make(chan struct{})
	t.Cleanup(func() { close(pressing) })
	client, _ := b.nodes.Client("fs1")
	dials := countDials(t, b, func(number, uuid string, n int) {
		if number != customer {
			return
		}
		if n == 2 {
			b.fs.SetEndpoint(gw+customer, fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: 3 * time.Second})
		}
		if n == 3 {
			// The customer keeps pressing 1 until the menu takes it (and the agent answers).
			go func() {
				for {
					select {
					case <-pressing:
						return
					case <-time.After(20 * time.Millisecond):
					}
					_, _ = client.API(context.Background(), "uuid_send_dtmf "+uuid+" 1")
				}
			}()
		}
	})

	require.NoError(t, k.SMSC.Deliver(ctx, customer, "5000", "CALL ME"))
	next := func(what string) kanneltest.Outbound {
		t.Helper()
		nctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		m, err := k.SMSC.Next(nctx)
		require.NoError(t, err, "waiting for the %s text", what)
		return m
	}
	conf := next("confirmation")
	require.Equal(t, customer, "+"+trimPlus(conf.To))
	require.Contains(t, conf.Text(), "We will call you at about")

	var id int64
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT id FROM callback_request WHERE number = $1`, customer).Scan(&id))
	st, reason := b.waitFinal(t, id)
	require.Equal(t, "done", st)
	require.Equal(t, string(ReasonAnswered), reason)
	require.Equal(t, [][2]string{{"failed", "NO_ANSWER"}, {"failed", "NO_ANSWER"}, {"answered", ""}}, b.attempts(t, id))
	require.Equal(t, 3, dials.get(customer))

	var rec *ivr.CallRecord
	select {
	case rec = <-records:
	case <-time.After(90 * time.Second):
		t.Fatal("the answered callback's flow never ended")
	}
	require.Equal(t, "callback", rec.Flow)
	require.Contains(t, rec.Steps(), "greet", "the customer heard the callback flow")
	require.Contains(t, rec.Steps(), "general_queue")
	require.Equal(t, ivr.OutcomeQueued, rec.Outcome)
	agent := false
	for _, e := range rec.Events {
		if e.Kind == ivr.EventQueue && strings.HasPrefix(e.Detail, "answered by user/1001") {
			agent = true
		}
	}
	require.True(t, agent, "the customer reached the agent: %+v", rec.Events)
	require.Positive(t, rec.Talk)

	follow := next("follow-up")
	require.Equal(t, "Thanks for talking to us. Reply HELP for the menu.", follow.Text())
}

func trimPlus(s string) string {
	for len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	return s
}
