package callback

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/ivr"
)

const gw = "sofia/gateway/carrier/"

func TestDialOutcomesByCause(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		script   []fstest.Outcome // what the customer's phone does on each call
		state    string
		reason   Reason
		attempts [][2]string
		wetried  bool
	}{
		{"answers at once", []fstest.Outcome{fstest.OutcomeAnswer}, "done", ReasonAnswered,
			[][2]string{{"answered", ""}}, false},
		{"busy twice, then answers", []fstest.Outcome{fstest.OutcomeBusy, fstest.OutcomeBusy, fstest.OutcomeAnswer}, "done", ReasonAnswered,
			[][2]string{{"failed", "USER_BUSY"}, {"failed", "USER_BUSY"}, {"answered", ""}}, false},
		{"rejected, unavailable, no answer: we tried", []fstest.Outcome{fstest.OutcomeReject, fstest.OutcomeUnavailable, fstest.OutcomeNoAnswer}, "failed", ReasonUnreached,
			[][2]string{{"failed", "CALL_REJECTED"}, {"failed", "NO_USER_RESPONSE"}, {"failed", "NO_ANSWER"}}, true},
		{"an unallocated number stops at once", []fstest.Outcome{fstest.OutcomeInvalid}, "failed", ReasonInvalidNumber,
			[][2]string{{"failed", "UNALLOCATED_NUMBER"}}, false},
	}
	b := setup(t, testConfig(), setupOpts{start: true})
	numbers := []string{"+14155550101", "+14155550102", "+14155550103", "+14155550104"}
	var mu sync.Mutex
	scripts := map[string][]fstest.Outcome{}
	for i, tc := range tests {
		scripts[numbers[i]] = tc.script
		b.fs.SetEndpoint(gw+numbers[i], fstest.Behavior{Outcome: tc.script[0]})
	}
	// Script the next call as soon as the emulator created this one's leg.
	dials := countDials(t, b, func(number, _ string, n int) {
		mu.Lock()
		defer mu.Unlock()
		if s := scripts[number]; n < len(s) {
			b.fs.SetEndpoint(gw+number, fstest.Behavior{Outcome: s[n]})
		}
	})
	ids := make([]int64, len(tests))
	for i := range tests {
		rc, err := b.svc.Request(context.Background(), Request{Source: SourceAPI, Key: "o" + itoa(int64(i)), Number: numbers[i]})
		require.NoError(t, err)
		ids[i] = rc.ID
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, reason := b.waitFinal(t, ids[i])
			require.Equal(t, tc.state, st)
			require.Equal(t, string(tc.reason), reason)
			require.Equal(t, tc.attempts, b.attempts(t, ids[i]), "every attempt is recorded with its cause")
			require.Equal(t, len(tc.attempts), dials.get(numbers[i]), "one call per attempt at the switch")
			if tc.wetried {
				require.Equal(t, "We tried to call you. Call us at +18005550000.", b.waitOutbound(t, "callback:"+itoa(ids[i])+":failed"))
				require.Contains(t, b.textsTo(t, numbers[i], 2), "We tried to call you. Call us at +18005550000.", "the text is sent")
			} else {
				require.Zero(t, b.count(t, `SELECT count(*) FROM sms_outbound WHERE unique_key = $1`, "callback:"+itoa(ids[i])+":failed"))
			}
		})
	}
	var node, uuid string
	require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT node, uuid FROM callback_attempt WHERE request_id = $1`, ids[0]).Scan(&node, &uuid))
	require.Equal(t, "fs1", node, "the attempt records its node")
	client, _ := b.nodes.Client("fs1")
	up, err := client.Exists(context.Background(), uuid)
	require.NoError(t, err)
	require.True(t, up, "the answered leg has the origination_uuid written before the originate")
}

func TestDialDeadlineEndsRetries(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxAttempts = 10
	cfg.Backoff = 2 * cfg.Deadline
	cfg.MaxBackoff = cfg.Backoff
	b := setup(t, cfg, setupOpts{start: true})
	b.fs.SetEndpoint(gw+numUS, fstest.Behavior{Outcome: fstest.OutcomeBusy})
	rc, err := b.svc.Request(context.Background(), Request{Source: SourceAPI, Key: "dl", Number: numUS})
	require.NoError(t, err)
	st, reason := b.waitFinal(t, rc.ID)
	require.Equal(t, "failed", st)
	require.Equal(t, string(ReasonDeadline), reason, "no second attempt fits before the deadline")
	require.Len(t, b.attempts(t, rc.ID), 1)
	require.True(t, strings.HasPrefix(b.waitOutbound(t, "callback:"+itoa(rc.ID)+":failed"), "We tried"))
}

func TestKeptPlaceIsDialedWhenItsTurnComes(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{start: true})
	b.fs.SetEndpoint(gw+"*", fstest.Behavior{Outcome: fstest.OutcomeAnswer})
	dials := countDials(t, b, nil)
	ctx := context.Background()
	rec, err := b.svc.RegisterCallback(ctx, ivr.CallbackRequest{Key: "call:k:press2", Number: numUS, Caller: numUS, CallID: "k",
		Vars: map[string]string{FlowVarPosition: "5", FlowVarPriority: "0"}})
	require.NoError(t, err)
	require.True(t, rec.ETA.After(time.Now().Add(5*time.Minute)), "without its turn, the callback waits about as long as the place would")
	st, _ := b.state(t, mustID(t, rec.ID))
	require.Equal(t, "waiting", st)
	require.Zero(t, dials.get(numUS))

	b.svc.CallbackTurn(ivr.CallbackTurn{Queue: "general", ReceiptID: rec.ID, Number: numUS, CallID: "k", Position: 5})
	st, reason := b.waitFinal(t, mustID(t, rec.ID))
	require.Equal(t, "done", st)
	require.Equal(t, string(ReasonAnswered), reason)
	require.Equal(t, 1, dials.get(numUS))

	b.svc.CallbackTurn(ivr.CallbackTurn{ReceiptID: rec.ID}) // a second turn changes nothing
	require.Error(t, b.svc.DialNow(ctx, "nope"))
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return n
}
