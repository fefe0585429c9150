package callback

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
)

func TestAgentFirst(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Mode = ModeAgentFirst
	cfg.Agents = []string{"user/1001"}
	cfg.Backoff = 50 * time.Millisecond
	b := setup(t, cfg, setupOpts{start: true})
	ctx := context.Background()
	client, _ := b.nodes.Client("fs1")
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	sub, err := client.Subscribe(sctx, esl.SubscribeOptions{Events: []string{"CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_HANGUP"}})
	require.NoError(t, err)
	var mu sync.Mutex
	bridged := map[string]string{} // customer number -> agent leg's uuid
	agentLegs := 0
	agentHangups := map[string]int{} // by cause
	go func() {
		for e := range sub.Events() {
			mu.Lock()
			switch e.Name() {
			case "CHANNEL_CREATE":
				if e.Get("Caller-Destination-Number") == "1001" {
					agentLegs++
				}
			case "CHANNEL_HANGUP":
				if e.Get("Caller-Destination-Number") == "1001" {
					agentHangups[e.Get("Hangup-Cause")]++
				}
			case "CHANNEL_BRIDGE":
				bridged[e.Get("Other-Leg-Destination-Number")] = e.Get("Unique-ID")
				bridged[e.Get("Caller-Destination-Number")] = e.Get("Other-Leg-Unique-ID")
			}
			mu.Unlock()
		}
	}()

	t.Run("agent busy: the customer is not dialed yet", func(t *testing.T) {
		b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeBusy})
		dials := countDials(t, b, nil)
		rc, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "af1", Number: numUS})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return agentLegs >= 1
		}, 30*time.Second, 10*time.Millisecond)
		require.Zero(t, dials.get(numUS))
		st, _ := b.state(t, rc.ID)
		require.Equal(t, "waiting", st, "the callback waits for an agent")

		// An agent frees up: the customer is dialed and bridged to the agent.
		b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer})
		st, reason := b.waitFinal(t, rc.ID)
		require.Equal(t, "done", st)
		require.Equal(t, string(ReasonAnswered), reason)
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return bridged[numUS] != ""
		}, 30*time.Second, 10*time.Millisecond, "the customer is bridged to the reserved agent")
		require.Equal(t, 1, dials.get(numUS))
	})

	t.Run("customer busy: the reserved agent is released, the customer is tried again", func(t *testing.T) {
		b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer})
		b.fs.SetEndpoint(gw+numUS2, fstest.Behavior{Outcome: fstest.OutcomeBusy})
		rc, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "af2", Number: numUS2})
		require.NoError(t, err)
		st, reason := b.waitFinal(t, rc.ID)
		require.Equal(t, "failed", st)
		require.Equal(t, string(ReasonUnreached), reason)
		require.Equal(t, [][2]string{{"failed", "USER_BUSY"}, {"failed", "USER_BUSY"}, {"failed", "USER_BUSY"}}, b.attempts(t, rc.ID))
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return agentHangups["ORIGINATOR_CANCEL"] >= 3
		}, 30*time.Second, 10*time.Millisecond, "each reserved agent is released: %v", agentHangups)
	})
}
