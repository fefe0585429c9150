package ivr

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/sms"
	"github.com/ivrd/ivrd/store/pgtest"
)

func TestQueueRecordsWhatTheCallerHeardAndDidForThePromotionReport(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, QueueMigrations, sms.Migrations)
	st := NewPromotionStore(pool)
	b := setupQueueWith(t, &QueueConfig{Agents: []string{"user/1001"}, Variants: []string{"A", "B"}}, st)
	require.NoError(t, b.engine.Logout(context.Background(), "general", "user/1001"))
	c := b.place(t, "15551230001")
	waitEvent(t, c, "music", isMusic)
	b.clock.Advance(30 * time.Second)
	waitEvent(t, c, "a promotion", fstest.OnPrompt("Promo"))
	require.NoError(t, c.SendDTMF("1"))
	waitEvent(t, c, "the text confirmation", fstest.OnPrompt("We sent you a text"))
	waitEvent(t, c, "music again", isMusic)
	c.Hangup("NORMAL_CLEARING")
	b.stats(t, "the abandon", func(s QueueStats) bool { return s.Abandoned == 1 })

	var (
		variant, outcome string
		heard            []string
		pressed          bool
	)
	require.Eventually(t, func() bool {
		err := pool.QueryRow(context.Background(), `SELECT variant, heard, outcome, pressed_text FROM ivr_queue_promotion WHERE queue = 'general'`).
			Scan(&variant, &heard, &outcome, &pressed)
		return err == nil && outcome == QueueAbandoned
	}, 30*time.Second, 10*time.Millisecond, "the exposure is stored when the caller leaves")
	require.Contains(t, []string{"A", "B"}, variant)
	require.Len(t, heard, 1)
	want := map[string]string{"A": "promo_a", "B": "promo_b"}[variant]
	require.Equal(t, want, heard[0], "variant %s starts its rotation at its own promotion", variant)
	require.True(t, pressed, "pressing 1 on an earlier visit is kept")

	// The caller texts the hotline an hour later: a conversion for their variant.
	_, err := pool.Exec(context.Background(), `INSERT INTO sms_inbound (gateway, gateway_message_id, from_number, to_number, body, received_at)
		VALUES ('console', 'm1', '+15551230001', '5000', 'BALANCE', $1)`, b.clock.Now().Add(time.Hour))
	require.NoError(t, err)
	rows, err := st.Report(context.Background(), b.clock.Now().Add(-time.Hour), b.clock.Now().Add(time.Hour), 7*24*time.Hour)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, PromotionReportRow{Queue: "general", Variant: variant, Callers: 1, Heard: 1, PressedText: 1, TextedAfter: 1,
		Prompts: map[string]int{want: 1}}, rows[0])
}

func TestPromotionReportCountsConversionsPerVariant(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, QueueMigrations, sms.Migrations)
	st := NewPromotionStore(pool)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, x := range []PromotionExposure{
		{CallID: "a1", Queue: "cards", Caller: "+15550000001", Variant: "A", Heard: []string{"p1", "p2"}, Outcome: QueueText, PressedText: true, At: t0},
		{CallID: "a2", Queue: "cards", Caller: "+15550000002", Variant: "A", Heard: []string{"p1"}, Outcome: QueueAnswered, At: t0},
		{CallID: "a3", Queue: "cards", Caller: "+15550000003", Variant: "A", Outcome: QueueAnswered, At: t0},
		{CallID: "b1", Queue: "cards", Caller: "+15550000004", Variant: "B", Heard: []string{"p2"}, Outcome: QueueCallback, AskedCallback: true, At: t0},
		{CallID: "b2", Queue: "cards", Caller: "+15550000005", Variant: "B", Heard: []string{"p2"}, Outcome: QueueAbandoned, At: t0},
		// Recorded twice (back in the queue after a text): one caller, keys kept.
		{CallID: "b2", Queue: "cards", Caller: "+15550000005", Variant: "B", Heard: []string{"p2", "p1"}, Outcome: QueueAbandoned, PressedText: true, At: t0.Add(time.Minute)},
		{CallID: "b2", Queue: "cards", Caller: "+15550000005", Variant: "B", Heard: []string{"p2", "p1"}, Outcome: QueueAbandoned, At: t0.Add(2 * time.Minute)},
		// Outside the report's period.
		{CallID: "old", Queue: "cards", Caller: "+15550000009", Variant: "A", Heard: []string{"p1"}, Outcome: QueueText, PressedText: true, At: t0.AddDate(0, -1, 0)},
	} {
		require.NoError(t, st.RecordPromotion(ctx, x))
	}
	for i, m := range []struct {
		from string
		at   time.Time
	}{
		{"15550000002", t0.Add(48 * time.Hour)},         // a2 texts two days later: counts
		{"+15550000004", t0.Add(-time.Hour)},            // b1 texted before the call: does not
		{"+1 555 000 0005", t0.Add(8 * 24 * time.Hour)}, // b2 after the 7-day window: does not
	} {
		_, err := pool.Exec(ctx, `INSERT INTO sms_inbound (gateway, gateway_message_id, from_number, to_number, body, received_at)
			VALUES ('console', $1, $2, '5000', 'HELP', $3)`, fmt.Sprint(i), m.from, m.at)
		require.NoError(t, err)
	}
	rows, err := st.Report(ctx, t0.Add(-24*time.Hour), t0.Add(24*time.Hour), 7*24*time.Hour)
	require.NoError(t, err)
	require.Equal(t, []PromotionReportRow{
		{Queue: "cards", Variant: "A", Callers: 3, Heard: 2, PressedText: 1, TextedAfter: 1, Prompts: map[string]int{"p1": 2, "p2": 1}},
		{Queue: "cards", Variant: "B", Callers: 2, Heard: 2, PressedText: 1, AskedCallback: 1, Prompts: map[string]int{"p1": 1, "p2": 2}},
	}, rows)
}
