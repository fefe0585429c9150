package ivr

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/sms"
)

// queueFlow waits in queue q with a hold treatment of spoken promotions, an announcement with
// the position, and keys 1 (a text, then back in the queue) and 2 (a callback).
const queueFlow = `
flow: q
prompts:
  promo_a: "Promo A: text us at 5000."
  promo_b: "Promo B: balance by text."
  promo_c: "Promo C: cards by text."
  still: "Thanks for waiting."
  sent: "We sent you a text. You are still in the queue."
  booked: "We will call you back. Goodbye."
  full: "Sorry, all agents are busy."
holds:
  standard:
    music: tone_stream://%(2000,2000,440);loops=-1
    announce: still
    announce_every: 60s
    announce_position: true
    promos: [promo_a, promo_b, promo_c]
    promo_every: 30s
    keys:
      1: text_me
      2: call_me
steps:
  agent:
    queue:
      name: general
      priority: if(caller.number == "300", 5, 0)
      hold: standard
      max_wait: 1h
      on_timeout: full
    next: bye
  text_me:
    sms:
      template: help
    next: sent
  sent:
    play: sent
    next: agent
  call_me:
    callback:
      reason: asked while waiting
    next: booked
  booked:
    play: booked
    next: bye
  full:
    play: full
    next: bye
  bye:
    hangup:
`

type queueBundle struct {
	*e2eBundle
	engine    *QueueEngine
	clock     *ManualClock
	texts     *lockedTexter
	callbacks *lockedRegistrar
	turns     chan CallbackTurn
}

func setupQueue(t *testing.T, qc *QueueConfig) *queueBundle {
	t.Helper()
	return setupQueueWith(t, qc, nil)
}

// setupQueueWith is setupQueue with a promotion recorder.
func setupQueueWith(t *testing.T, qc *QueueConfig, promotions PromotionRecorder) *queueBundle {
	t.Helper()
	clock := NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	b := &queueBundle{clock: clock, texts: &lockedTexter{}, callbacks: &lockedRegistrar{}, turns: make(chan CallbackTurn, 8)}
	var err error
	b.engine, err = NewQueueEngine(QueueEngineOptions{Queues: map[string]*QueueConfig{"general": qc}, Clock: clock,
		OnCallbackTurn: func(ct CallbackTurn) { b.turns <- ct }, Promotions: promotions})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, b.engine.Start(ctx))
	t.Cleanup(func() {
		cancel()
		_ = b.engine.Stop(context.Background())
	})
	b.e2eBundle = setupE2E(t, Config{Queues: b.engine, Clock: clock, Texter: b.texts, Callbacks: b.engine.KeepPlace(b.callbacks)},
		parseTestFlow(t, queueFlow))
	return b
}

// place starts a call from caller without waiting for its end.
func (b *queueBundle) place(t *testing.T, caller string) *fstest.Call {
	t.Helper()
	c, err := b.fs.PlaceCall(context.Background(), fstest.CallSpec{CallerNumber: caller, CalledNumber: "5000"})
	require.NoError(t, err)
	t.Cleanup(func() { c.Hangup("NORMAL_CLEARING") })
	return c
}

// stats waits until cond holds of the queue's figures (the engine works asynchronously) and
// returns them.
func (b *queueBundle) stats(t *testing.T, what string, cond func(QueueStats) bool) QueueStats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := b.engine.QueueStats(context.Background(), "general")
		require.NoError(t, err)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue never reached %s: %+v", what, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEvent waits for the next event of c matching pred.
func waitEvent(t *testing.T, c *fstest.Call, what string, pred func(fstest.CallEvent) bool) fstest.CallEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ev, err := c.WaitFor(ctx, pred)
	require.NoError(t, err, "waiting for %s; heard %v", what, c.Heard())
	return ev
}

func isMusic(e fstest.CallEvent) bool {
	return e.Kind == fstest.KindPlayback && strings.Contains(e.Data, "tone_stream")
}

func bridgedAt(t *testing.T, c *fstest.Call) time.Time {
	t.Helper()
	return waitEvent(t, c, "bridged", func(e fstest.CallEvent) bool { return e.Kind == fstest.KindBridged }).At
}

func TestQueueServesHigherPriorityFirstThenInOrderOfArrival(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{Agents: []string{"user/1001"}})
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 5 * time.Second})
	require.NoError(t, b.engine.Logout(context.Background(), "general", "user/1001"))
	var calls []*fstest.Call
	for i, caller := range []string{"101", "102", "300"} {
		calls = append(calls, b.place(t, caller))
		b.stats(t, fmt.Sprintf("%d waiting", i+1), func(s QueueStats) bool { return s.Waiting == i+1 })
	}
	require.NoError(t, b.engine.Login(context.Background(), "general", "user/1001"))
	vip, first, second := bridgedAt(t, calls[2]), bridgedAt(t, calls[0]), bridgedAt(t, calls[1])
	require.True(t, vip.Before(first), "the priority caller (300) is served before earlier callers")
	require.True(t, first.Before(second), "equal priority: in order of arrival")
	s := b.stats(t, "3 answered", func(s QueueStats) bool { return s.Answered == 3 })
	require.Equal(t, 3, s.AnsweredWithin20, "the clock did not move: every wait was 0")
	require.Equal(t, 0, s.Abandoned)
}

func TestQueueRingsTheLongestIdleAgentAndRollsOverOneWhoDoesNotAnswer(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{Agents: []string{"user/1001", "user/1002", "user/1003"}, RingTimeout: 3 * time.Second})
	ctx := context.Background()
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 2 * time.Second})
	b.fs.SetEndpoint("user/1002", fstest.Behavior{Outcome: fstest.OutcomeNoAnswer})
	b.fs.SetEndpoint("user/1003", fstest.Behavior{Outcome: fstest.OutcomeBusy, After: 500 * time.Millisecond})
	for _, a := range []string{"user/1001", "user/1002", "user/1003"} {
		require.NoError(t, b.engine.Logout(ctx, "general", a))
	}
	// Idle longest: 1002, then 1003, then 1001.
	for _, a := range []string{"user/1002", "user/1003", "user/1001"} {
		require.NoError(t, b.engine.Login(ctx, "general", a))
		b.clock.Advance(10 * time.Second)
	}
	c, res, rec := b.call(t, fstest.CallSpec{CallerNumber: "101"})
	ev := c.Events()
	require.Equal(t, []string{"user/1002", "user/1003", "user/1001"}, kinds(ev, fstest.KindBridge))
	failed := kinds(ev, fstest.KindBridgeFailed)
	require.Len(t, failed, 2)
	require.Contains(t, failed[0], "NO_ANSWER")
	require.Contains(t, failed[1], "USER_BUSY")
	require.Equal(t, "NORMAL_CLEARING", res.Cause, "the caller stayed up through the failed agents")
	require.Contains(t, kinds(ev, fstest.KindApp), "set ringback=tone_stream://%(2000,2000,440);loops=-1", "agents ring over the hold music")
	require.Equal(t, OutcomeQueued, rec.Outcome)
	s := b.stats(t, "answered", func(s QueueStats) bool { return s.Answered == 1 })
	require.Equal(t, 2, s.Rollovers)
}

func TestQueuePlaysPromotionsAndAnnouncementsOnScheduleAndCountsTheAbandon(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{Agents: []string{"user/1001"}})
	require.NoError(t, b.engine.Logout(context.Background(), "general", "user/1001"))
	c := b.place(t, "101")
	waitEvent(t, c, "music", isMusic)
	var heard []string
	say := func(e fstest.CallEvent) bool {
		return e.Kind == fstest.KindPlayback && strings.Contains(e.Data, "say:")
	}
	for _, want := range [][]string{
		{"Promo"},                       // 30 s
		{"Thanks for waiting", "Promo"}, // 60 s: announcement (with the position), then the promotion
		{"Promo"},                       // 90 s
		{"Thanks for waiting", "Promo"}, // 120 s: every promotion was heard once: round again
	} {
		b.clock.Advance(30 * time.Second)
		for range want {
			heard = append(heard, waitEvent(t, c, "a prompt", say).Data)
		}
		waitEvent(t, c, "music again", isMusic)
	}
	var promos []string
	for _, h := range heard {
		if i := strings.Index(h, "Promo "); i >= 0 {
			promos = append(promos, h[i:i+7])
		}
	}
	require.Len(t, promos, 4)
	require.ElementsMatch(t, []string{"Promo A", "Promo B", "Promo C"}, promos[:3], "no promotion twice before all were heard")
	require.Equal(t, promos[0], promos[3], "then the rotation starts over")
	require.Contains(t, heard[1], "You are next in the queue.")
	c.Hangup("NORMAL_CLEARING")
	s := b.stats(t, "the abandon", func(s QueueStats) bool { return s.Abandoned == 1 })
	require.Equal(t, 0, s.Waiting)
}

func TestQueueKey1TextsTheCallerWhoKeepsTheirPlace(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{Agents: []string{"user/1001"}})
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 3 * time.Second})
	require.NoError(t, b.engine.Logout(context.Background(), "general", "user/1001"))
	first := b.place(t, "101")
	b.stats(t, "1 waiting", func(s QueueStats) bool { return s.Waiting == 1 })
	second := b.place(t, "102")
	b.stats(t, "2 waiting", func(s QueueStats) bool { return s.Waiting == 2 })
	waitEvent(t, first, "music", isMusic)
	b.clock.Advance(30 * time.Second)
	waitEvent(t, first, "a promotion", fstest.OnPrompt("Promo"))
	require.NoError(t, first.SendDTMF("1"))
	waitEvent(t, first, "the text confirmation", fstest.OnPrompt("We sent you a text"))
	waitEvent(t, first, "music again", isMusic)
	s := b.stats(t, "the first caller back", func(s QueueStats) bool { return s.Waiting == 2 })
	require.Equal(t, 1, s.Deflected)
	require.Len(t, b.texts.all(), 1)
	require.Equal(t, "101", b.texts.all()[0].To)
	require.NoError(t, b.engine.Login(context.Background(), "general", "user/1001"))
	require.True(t, bridgedAt(t, first).Before(bridgedAt(t, second)), "the caller who pressed 1 kept their place")
}

func TestQueueKey2BooksACallbackThatKeepsThePlace(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{Agents: []string{"user/1001"}})
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 3 * time.Second})
	ctx := context.Background()
	require.NoError(t, b.engine.Logout(ctx, "general", "user/1001"))
	first := b.place(t, "101")
	b.stats(t, "1 waiting", func(s QueueStats) bool { return s.Waiting == 1 })
	second := b.place(t, "102")
	b.stats(t, "2 waiting", func(s QueueStats) bool { return s.Waiting == 2 })
	waitEvent(t, second, "music", isMusic)
	b.clock.Advance(30 * time.Second)
	waitEvent(t, second, "a promotion", fstest.OnPrompt("Promo"))
	require.NoError(t, second.SendDTMF("2"))
	waitEvent(t, second, "the goodbye", fstest.OnPrompt("We will call you back"))
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := second.Wait(wctx)
	require.NoError(t, err)
	got := b.callbacks.all()
	require.Len(t, got, 1)
	require.Equal(t, "2", got[0].Vars["queue_position"], "the callback carries the caller's place")
	require.Equal(t, "general", got[0].Vars["queue"])
	third := b.place(t, "103")
	s := b.stats(t, "a kept place and 2 waiting", func(s QueueStats) bool { return s.Waiting == 2 && s.KeptPlaces == 1 })
	require.Equal(t, 1, s.Callbacks)

	require.NoError(t, b.engine.Login(ctx, "general", "user/1001"))
	select {
	case turn := <-b.turns:
		require.Equal(t, 2, turn.Position)
		require.Equal(t, "cb-1", turn.ReceiptID)
	case <-time.After(30 * time.Second):
		t.Fatal("the kept place never got its turn")
	}
	require.Len(t, kinds(first.Events(), fstest.KindUnbridged), 1, "the turn came after the caller ahead was served")
	bridgedAt(t, third)
	s = b.stats(t, "turn counted", func(s QueueStats) bool { return s.CallbackTurns == 1 })
	require.Equal(t, 0, s.KeptPlaces)
}

func TestQueueOverflowsAtMaxWaitAndMaxLength(t *testing.T) {
	t.Parallel()
	b := setupQueue(t, &QueueConfig{MaxWait: 2 * time.Minute, MaxLength: 1})
	first := b.place(t, "101")
	waitEvent(t, first, "music", isMusic)
	second := b.place(t, "102")
	waitEvent(t, second, "the overflow step at once (queue full)", fstest.OnPrompt("all agents are busy"))
	b.clock.Advance(time.Minute)
	b.clock.Advance(time.Minute)
	waitEvent(t, first, "the overflow step after max_wait", fstest.OnPrompt("all agents are busy"))
	s := b.stats(t, "two overflows", func(s QueueStats) bool { return s.Overflowed == 2 })
	require.Equal(t, 0, s.Answered)
	require.Equal(t, 0, s.Abandoned)
}

// lockedTexter records texts (safe for concurrent calls).
type lockedTexter struct {
	mu   sync.Mutex
	sent []sms.Text
}

func (l *lockedTexter) Send(_ context.Context, t sms.Text) (sms.Queued, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, t)
	return sms.Queued{ID: int64(len(l.sent)), To: t.To}, nil
}

func (l *lockedTexter) all() []sms.Text {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sms.Text(nil), l.sent...)
}

// lockedRegistrar records callbacks (safe for concurrent calls).
type lockedRegistrar struct {
	mu  sync.Mutex
	got []CallbackRequest
}

func (l *lockedRegistrar) RegisterCallback(_ context.Context, req CallbackRequest) (CallbackReceipt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, req)
	return CallbackReceipt{ID: fmt.Sprintf("cb-%d", len(l.got))}, nil
}

func (l *lockedRegistrar) all() []CallbackRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]CallbackRequest(nil), l.got...)
}

var _ = esl.ErrHangup
