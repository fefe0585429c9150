package sms

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestFollowUpOncePerRulePerCall(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	call := FinishedCall{CallID: "call-1", Caller: "415-555-2671", Outcome: "abandoned", Tags: []string{"abandoned_in_queue"}, Lang: "en"}

	// The hook may fire twice (a retried job, two instances): still one text per rule.
	var wg sync.WaitGroup
	results := make([][]FollowUpResult, 5)
	errs := make([]error, 5)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = b.svc.FollowUps.OnCallEnded(ctx, call)
		}()
	}
	wg.Wait()
	sent := 0
	for i := range results {
		require.NoError(t, errs[i])
		require.Len(t, results[i], 1)
		require.Equal(t, "abandoned", results[i][0].Rule)
		require.NotZero(t, results[i][0].TextID)
		if results[i][0].Skipped == "" {
			sent++
		} else {
			require.Equal(t, "already handled for this call", results[i][0].Skipped)
		}
	}
	require.Equal(t, 1, sent)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM sms_outbound`))
	var body, purpose string
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT body, purpose FROM sms_outbound`).Scan(&body, &purpose))
	require.Equal(t, "Sorry we missed you, +14155552671. Reply CALL.", body)
	require.Equal(t, PurposeFollowUp, purpose)

	// Another call from the same number gets its own follow-up.
	call.CallID = "call-2"
	res, err := b.svc.FollowUps.OnCallEnded(ctx, call)
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.Empty(t, res[0].Skipped)
}

func TestFollowUpRulesMatchOutcomeStepsAndTags(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	tests := []struct {
		name  string
		call  FinishedCall
		rules []string
	}{
		{"card services path, completed", FinishedCall{Outcome: "completed", Steps: []string{"menu", "card_services", "queue"}}, []string{"cards"}},
		{"card services path, abandoned: outcome does not match", FinishedCall{Outcome: "abandoned", Steps: []string{"card_services"}}, nil},
		{"abandoned in queue after card services", FinishedCall{Outcome: "abandoned", Steps: []string{"card_services"}, Tags: []string{"abandoned_in_queue"}}, []string{"abandoned"}},
		{"both rules", FinishedCall{Outcome: "completed", Steps: []string{"card_services"}, Tags: []string{"abandoned_in_queue"}}, []string{"abandoned", "cards"}},
		{"nothing matches", FinishedCall{Outcome: "completed", Steps: []string{"balance"}}, nil},
	}
	for i, tc := range tests {
		tc.call.CallID = "c" + itoa(int64(i))
		tc.call.Caller = numUS
		res, err := b.svc.FollowUps.OnCallEnded(ctx, tc.call)
		require.NoError(t, err, tc.name)
		var got []string
		for _, r := range res {
			got = append(got, r.Rule)
		}
		require.Equal(t, tc.rules, got, tc.name)
	}
}

func TestFollowUpSkipsOptedOutCappedAndBadNumbers(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Limits.FollowUpsPerNumberPerDay = 1
	cfg.Templates["agent"] = map[string]string{"en": "You spoke with {{vars.agent}}."}
	cfg.FollowUps = append(cfg.FollowUps, FollowUpRule{Name: "agent", Outcomes: []string{"transferred"}, Template: "agent"})
	clock := newTestClock(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	b := setup(t, cfg, setupOpts{clock: clock})
	ctx := context.Background()
	missed := func(id, caller string) FollowUpResult {
		res, err := b.svc.FollowUps.OnCallEnded(ctx, FinishedCall{CallID: id, Caller: caller, Tags: []string{"abandoned_in_queue"}})
		require.NoError(t, err)
		require.Len(t, res, 1)
		return res[0]
	}

	require.NoError(t, b.svc.OptOuts.OptOut(ctx, numCN, "test"))
	r := missed("a", numCN)
	require.Zero(t, r.TextID)
	require.Contains(t, r.Skipped, "opted out")

	require.Empty(t, missed("b", numUS).Skipped)
	r = missed("c", numUS)
	require.Contains(t, r.Skipped, "follow-up daily cap")
	clock.Advance(25 * time.Hour)
	require.Empty(t, missed("d", numUS).Skipped, "the cap is per 24 hours")

	r = missed("e", "anonymous")
	require.Contains(t, r.Skipped, "caller number")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM sms_outbound`))
	require.Equal(t, 5, b.count(t, `SELECT count(*) FROM sms_followup`), "skips are recorded too")

	r = missed("a", numCN)
	require.Equal(t, "already handled for this call", r.Skipped, "a skipped rule is not tried again for that call")

	// A template whose variable the call does not give is skipped (recorded), not retried forever.
	call := FinishedCall{CallID: "f", Caller: "+14155552672", Outcome: "transferred"}
	res, err := b.svc.FollowUps.OnCallEnded(ctx, call)
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.Contains(t, res[0].Skipped, "vars.agent not set")
	call.CallID, call.Vars = "g", map[string]any{"vars": map[string]any{"agent": "Sarah"}}
	res, err = b.svc.FollowUps.OnCallEnded(ctx, call)
	require.NoError(t, err)
	require.Empty(t, res[0].Skipped)
	rec, err := b.svc.Sender.Record(ctx, res[0].TextID)
	require.NoError(t, err)
	require.Equal(t, "You spoke with Sarah.", rec.Body)
}

func TestFollowUpWaitsForQuietHoursToEnd(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.QuietHours = QuietHours{Start: "21:00", End: "08:00"}
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	b := setup(t, cfg, setupOpts{clock: newTestClock(time.Date(2026, 3, 2, 22, 15, 0, 0, ny))})
	res, err := b.svc.FollowUps.OnCallEnded(context.Background(), FinishedCall{CallID: "late", Caller: numNY, Tags: []string{"abandoned_in_queue"}})
	require.NoError(t, err)
	require.Len(t, res, 1)
	rec, err := b.svc.Sender.Record(context.Background(), res[0].TextID)
	require.NoError(t, err)
	require.True(t, time.Date(2026, 3, 3, 8, 0, 0, 0, ny).Equal(rec.SendAfter), "got %v", rec.SendAfter)
}

func TestFollowUpJobSendsAfterTheCall(t *testing.T) {
	t.Parallel()
	console := NewConsole(nil, 10)
	b := setup(t, testConfig(), setupOpts{gw: console, start: true})
	ctx := context.Background()
	call := FinishedCall{CallID: "job-call", Caller: numUS, Outcome: "completed", Steps: []string{"card_services"}}
	for range 2 { // enqueued twice: still one text
		require.NoError(t, pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error { return b.svc.FollowUps.EnqueueTx(ctx, tx, call) }))
	}
	require.Eventually(t, func() bool {
		return b.count(t, `SELECT count(*) FROM sms_outbound WHERE status = 'sent'`) == 1 &&
			b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'sms_followup' AND state = 'completed'`) == 2
	}, 30*time.Second, 10*time.Millisecond)
	texts := console.Recent()
	require.Len(t, texts, 1)
	require.Equal(t, "Card services by text: reply HELP.", texts[0].Text)
	require.Equal(t, numUS, texts[0].To)
}
