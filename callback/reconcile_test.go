package callback

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/sms"
)

// An attempt left in state dialing (the worker died between writing it and learning the
// outcome) is settled by uuid_exists, never dialed again.
func TestReconcileAttemptLeftDialing(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{start: true})
	b.fs.SetEndpoint(gw+"*", fstest.Behavior{Outcome: fstest.OutcomeAnswer})
	client, _ := b.nodes.Client("fs1")
	ctx := context.Background()
	dials := countDials(t, b, nil)

	tests := []struct {
		name   string
		number string
		up     bool // the call went through before the worker died
		state  string
		reason Reason
	}{
		{"the call is up: it counts as answered", "+14155550201", true, "done", ReasonAnswered},
		{"no such channel: outcome unknown, we-tried text, not redialed", "+14155550202", false, "failed", ReasonUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The request and its attempt as a killed worker left them.
			var id int64
			require.NoError(t, b.pool.QueryRow(ctx, `INSERT INTO callback_request (source, source_key, number, state, attempts, eta, deadline, created_at)
				VALUES ('api', $1, $2, 'dialing', 1, now(), now() + interval '1 hour', now()) RETURNING id`, "api:"+tc.number, tc.number).Scan(&id))
			uuid := newUUID()
			_, err := b.pool.Exec(ctx, `INSERT INTO callback_attempt (request_id, attempt, uuid, node, state, started_at) VALUES ($1, 1, $2, 'fs1', 'dialing', now())`, id, uuid)
			require.NoError(t, err)
			if tc.up {
				_, err := client.Originate(ctx, esl.OriginateRequest{Dial: gw + tc.number, UUID: uuid, Vars: map[string]string{VarID: itoa(id)}})
				require.NoError(t, err)
			}
			// River runs the attempt's job again (rescued).
			_, err = b.river.Insert(ctx, DialArgs{RequestID: id, Attempt: 1}, &river.InsertOpts{Queue: QueueName})
			require.NoError(t, err)
			st, reason := b.waitFinal(t, id)
			require.Equal(t, tc.state, st)
			require.Equal(t, string(tc.reason), reason)
			want := 0
			if tc.up {
				want = 1
			}
			require.Equal(t, want, dials.get(tc.number), "no second call")
			n := b.count(t, `SELECT count(*) FROM sms_outbound WHERE unique_key = $1`, "callback:"+itoa(id)+":failed")
			require.Equal(t, 1-want, n)
		})
	}
}

// Two ivrd instances on one database share the callbacks: each is dialed once.
func TestTwoInstancesShareTheWork(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{start: true})
	b.fs.SetEndpoint(gw+"*", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second})
	dials := countDials(t, b, nil)
	ctx := context.Background()

	// A second instance: its own service, pacer, ESL pool and River client.
	nodes2, err := esl.NewPool([]esl.Node{{Name: "fs1", Address: b.fs.InboundAddr(), Password: b.fs.Password()}}, esl.ClientOptions{Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(nodes2.Close)
	texts2, err := sms.New(smsConfig(), b.pool, sms.Options{Gateway: sms.NewConsole(nil, 10), Logger: quiet})
	require.NoError(t, err)
	svc2, err := New(testConfig(), b.pool, Options{Nodes: nodes2, Texts: texts2.Sender, OptOuts: texts2.OptOuts, Logger: quiet})
	require.NoError(t, err)
	workers := river.NewWorkers()
	svc2.AddWorkers(workers)
	texts2.AddWorkers(workers)
	rc2, err := river.NewClient(riverpgxv5.New(b.pool), &river.Config{Queues: svc2.RiverQueues(), Workers: workers,
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond, Logger: quiet, TestOnly: true})
	require.NoError(t, err)
	svc2.SetJobClient(rc2)
	texts2.SetJobClient(rc2)
	require.NoError(t, rc2.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rc2.StopAndCancel(sctx)
	})

	const n = 60
	for i := range n {
		svc := b.svc
		if i%2 == 1 {
			svc = svc2
		}
		_, err := svc.Request(ctx, Request{Source: SourceAPI, Key: itoa(int64(i)), Number: "+1415555" + itoa(int64(3000+i))})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		return b.count(t, `SELECT count(*) FROM callback_request WHERE state = 'done'`) == n
	}, 60*time.Second, 50*time.Millisecond)
	for i := range n {
		require.Equal(t, 1, dials.get("+1415555"+itoa(int64(3000+i))))
	}
	var one, two int
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE attempted_by[1] = $1), count(*) FILTER (WHERE attempted_by[1] = $2)
		FROM river_job WHERE kind = 'callback_dial'`, b.river.ID(), rc2.ID()).Scan(&one, &two))
	t.Logf("instance 1 dialed %d, instance 2 dialed %d", one, two)
	require.Equal(t, n, one+two)
}

// A dial job that fails on River's every try (here: no switch at all) ends its request with a
// reason and the we-tried text instead of leaving it waiting forever.
func TestDialJobGivesUpOnItsLastTry(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	rc, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "g", Number: numUS})
	require.NoError(t, err)
	w := &DialWorker{s: b.svc}
	job := func(attempt int) *river.Job[DialArgs] {
		return &river.Job[DialArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 25}, Args: DialArgs{RequestID: rc.ID, Attempt: 1}}
	}
	require.Error(t, w.Work(ctx, job(1)))
	st, _ := b.state(t, rc.ID)
	require.Equal(t, "waiting", st, "an early failure is retried by River")
	require.Error(t, w.Work(ctx, job(25)))
	st, reason := b.state(t, rc.ID)
	require.Equal(t, "failed", st)
	require.Equal(t, string(ReasonGaveUp), reason)
	require.Contains(t, b.waitOutbound(t, "callback:"+itoa(rc.ID)+":failed"), "We tried")
}
