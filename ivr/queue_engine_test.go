package ivr

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl/fstest"
)

func TestQueueWrapUpKeepsTheAgentFromTheNextCallerUntilItEnds(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{Agents: []string{"user/1001"}, WrapUp: 30 * time.Second})
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 2 * time.Second})
	ctx := context.Background()
	require.NoError(t, b.engine.Logout(ctx, "general", "user/1001"))
	first := b.place(t, "101")
	b.stats(t, "1 waiting", func(s QueueStats) bool { return s.Waiting == 1 })
	second := b.place(t, "102")
	b.stats(t, "2 waiting", func(s QueueStats) bool { return s.Waiting == 2 })
	require.NoError(t, b.engine.Login(ctx, "general", "user/1001"))
	bridgedAt(t, first)
	s := b.stats(t, "the agent in wrap-up", func(s QueueStats) bool { return s.Answered == 1 && s.Agents[0].State == "wrap_up" })
	require.Equal(t, 1, s.Waiting, "the second caller still waits")
	b.clock.Advance(29 * time.Second)
	s = b.stats(t, "still wrap-up", func(s QueueStats) bool { return true })
	require.Equal(t, "wrap_up", s.Agents[0].State)
	b.clock.Advance(time.Second)
	bridgedAt(t, second)
}

func TestQueueServiceLevelFiguresCountWaitsAgainst20And30Seconds(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{Agents: []string{"user/1001"}})
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, HangupAfter: time.Second})
	ctx := context.Background()
	require.NoError(t, b.engine.Logout(ctx, "general", "user/1001"))
	s := b.stats(t, "empty", func(QueueStats) bool { return true })
	require.False(t, s.EstimateKnown, "no history: the wait cannot be estimated")
	require.Equal(t, "We cannot estimate the wait yet.", waitText("en", s.EstimatedWait, s.EstimateKnown))

	// Waits of 25 s, 0 s and 40 s.
	for _, wait := range []time.Duration{25 * time.Second, 0, 40 * time.Second} {
		c := b.place(t, "101")
		waitEvent(t, c, "music", isMusic)
		b.clock.Advance(wait)
		require.NoError(t, b.engine.Login(ctx, "general", "user/1001"))
		bridgedAt(t, c)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := c.Wait(wctx)
		cancel()
		require.NoError(t, err)
		require.NoError(t, b.engine.Logout(ctx, "general", "user/1001"))
	}
	s = b.stats(t, "3 answered", func(s QueueStats) bool { return s.Answered == 3 })
	require.Equal(t, 1, s.AnsweredWithin20)
	require.Equal(t, 2, s.AnsweredWithin30)
	require.Equal(t, 65*time.Second/3, s.AvgWait)
	require.Equal(t, 40*time.Second, s.P90Wait)
	require.True(t, s.EstimateKnown, "three answers in the last half hour: an estimate")
	require.Positive(t, s.EstimatedWait)
}

func TestQueueEstimateComesFromTheRecentAnswerRate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	q := &queueState{}
	for i := 0; i < 4; i++ {
		q.stats.noteAnswered(0, now.Add(time.Duration(i)*time.Minute))
	}
	// Four answers over the last 4 minutes (to now = 10:04): one a minute; third in line
	// waits about 3 minutes.
	est, ok := q.estimate(3, now.Add(4*time.Minute))
	require.True(t, ok)
	require.Equal(t, 3*time.Minute, est)
	require.Equal(t, "The wait is about 3 minutes.", waitText("en", est, ok))
	_, ok = q.estimate(3, now.Add(time.Hour))
	require.False(t, ok, "history older than half an hour says nothing")
}

func TestQueueAgentsLogInAndOutOverHTTP(t *testing.T) {
	t.Parallel()
	e, err := NewQueueEngine(QueueEngineOptions{Queues: map[string]*QueueConfig{"cards": {Agents: []string{"user/1001"}}}})
	require.NoError(t, err)
	require.NoError(t, e.Start(context.Background()))
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)

	post := func(path string) (int, map[string]any) {
		resp, err := http.Post(srv.URL+path, "", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	for _, tc := range []struct {
		name, path string
		code       int
		in         float64
		err        string
	}{
		{"a new agent logs in", "/api/queues/cards/login?agent=user/1002", 200, 2, ""},
		{"a configured agent logs out", "/api/queues/cards/logout?agent=user/1001", 200, 1, ""},
		{"logging in twice is harmless", "/api/queues/cards/login?agent=user/1002", 200, 1, ""},
		{"an unknown queue is 404", "/api/queues/loans/login?agent=user/1002", 404, 0, "unknown queue"},
		{"an unknown agent is 404", "/api/queues/cards/logout?agent=user/9", 404, 0, "unknown agent"},
		{"a bad endpoint is 400", "/api/queues/cards/login?agent=1002", 400, 0, "FreeSWITCH endpoint"},
		{"no agent is 400", "/api/queues/cards/login", 400, 0, "?agent="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(tc.path)
			require.Equal(t, tc.code, code, "%v", body)
			if tc.err != "" {
				require.Contains(t, body["error"], tc.err)
				return
			}
			require.Equal(t, tc.in, body["agents_logged_in"])
		})
	}
	resp, err := http.Get(srv.URL + "/api/queues")
	require.NoError(t, err)
	defer resp.Body.Close()
	var all []QueueStats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&all))
	require.Len(t, all, 1)
	var states []string
	for _, a := range all[0].Agents {
		states = append(states, a.Endpoint+"="+map[bool]string{true: "in", false: "out"}[a.LoggedIn])
	}
	require.Equal(t, "user/1001=out user/1002=in", strings.Join(states, " "))
}

func TestQueueConfigValidateSaysWhatToFix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  QueueConfig
		err  string
	}{
		{"good", QueueConfig{Agents: []string{"user/1001", "sofia/gateway/carrier/5551234"}, RingTimeout: time.Second}, ""},
		{"bare extension", QueueConfig{Agents: []string{"1001"}}, "user/1001"},
		{"duplicate", QueueConfig{Agents: []string{"user/1", "user/1"}}, "listed twice"},
		{"same keys", QueueConfig{TextKey: "1", CallbackKey: "1"}, "different keys"},
		{"negative", QueueConfig{MaxLength: -1}, "max_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}
