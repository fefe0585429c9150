package callback

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
)

func TestRequestRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	require.NoError(t, b.sms.OptOuts.OptOut(ctx, numUS2, "test"))
	tests := []struct {
		name   string
		req    Request
		reason Reason
	}{
		{"letters are not a number", Request{Source: SourceAPI, Key: "a1", Number: "call me maybe"}, ReasonBadNumber},
		{"too few digits", Request{Source: SourceAPI, Key: "a2", Number: "+1415"}, ReasonBadNumber},
		{"empty number", Request{Source: SourceAPI, Key: "a3", Number: ""}, ReasonBadNumber},
		{"a denied prefix", Request{Source: SourceAPI, Key: "a4", Number: "+16465550123"}, ReasonDeniedPrefix},
		{"a premium-rate number", Request{Source: SourceAPI, Key: "a5", Number: numPremium}, ReasonPremiumRate},
		{"an international number", Request{Source: SourceAPI, Key: "a6", Number: numUK}, ReasonInternational},
		{"an opted-out number", Request{Source: SourceSMS, Key: "sms:7", Number: numUS2}, ReasonOptedOut},
		{"a flow asking for someone else's number", Request{Source: SourceFlow, Key: "call:x:cb", Number: numUS, Caller: numUS2}, ReasonOtherNumber},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.svc.Request(ctx, tc.req)
			var refused *RefusedError
			require.ErrorAs(t, err, &refused)
			require.ErrorIs(t, err, ErrRefused)
			require.Equal(t, tc.reason, refused.Reason)
			require.NotEmpty(t, refused.Detail)
			st, reason := b.state(t, refused.RequestID)
			require.Equal(t, "refused", st)
			require.Equal(t, string(tc.reason), reason, "the refusal is stored with its reason")
			// The same request again (a retried webhook) gets the same answer, stores nothing new.
			_, err2 := b.svc.Request(ctx, tc.req)
			var again *RefusedError
			require.ErrorAs(t, err2, &again)
			require.Equal(t, refused.RequestID, again.RequestID)
		})
	}
	require.Equal(t, len(tests), b.count(t, `SELECT count(*) FROM callback_request`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM river_job`), "nothing refused is ever scheduled")
}

func TestRequestAllowListsOpenTheDefaults(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.AllowCountries = []string{"US", "GB"}
	cfg.AllowPrefixes = []string{"+1900555"}
	b := setup(t, cfg, setupOpts{})
	ctx := context.Background()
	_, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "uk", Number: numUK})
	require.NoError(t, err, "GB is allowed")
	_, err = b.svc.Request(ctx, Request{Source: SourceAPI, Key: "prem", Number: numPremium})
	require.NoError(t, err, "an allowed prefix lets one premium-rate range through")
	_, err = b.svc.Request(ctx, Request{Source: SourceAPI, Key: "nat", Number: "(415) 555-0199"})
	require.NoError(t, err, "a national number reads in the default region")
	var n string
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT number FROM callback_request WHERE source_key = 'api:nat'`).Scan(&n))
	require.Equal(t, "+14155550199", n)
}

func TestRequestDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	first, err := b.svc.Request(ctx, Request{Source: SourceSMS, Key: "sms:1", Number: numUS})
	require.NoError(t, err)
	require.False(t, first.Duplicate)

	t.Run("duplicate webhook: the same text again creates nothing", func(t *testing.T) {
		again, err := b.svc.Request(ctx, Request{Source: SourceSMS, Key: "sms:1", Number: numUS})
		require.NoError(t, err)
		require.Equal(t, first.ID, again.ID)
		require.False(t, again.Duplicate)
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM callback_request`))
	})
	t.Run("duplicate request from another channel gets the same callback", func(t *testing.T) {
		rec, err := b.svc.RegisterCallback(ctx, ivr.CallbackRequest{Key: "call:abc:cb", Number: numUS, Caller: numUS})
		require.NoError(t, err)
		require.Equal(t, itoa(first.ID), rec.ID)
		rc, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "web-9", Number: "4155552671"})
		require.NoError(t, err)
		require.True(t, rc.Duplicate)
		require.Equal(t, first.ID, rc.ID)
		require.Equal(t, 2, b.count(t, `SELECT count(*) FROM callback_request WHERE reason = 'duplicate' AND duplicate_of = $1`, first.ID))
	})
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'callback_dial'`), "one callback, one dial job")
}

func TestRequestConcurrentDuplicatesMakeOneCallback(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			_, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "k" + itoa(int64(i)), Number: numUS})
			errs <- err
		}()
	}
	for range 20 {
		require.NoError(t, <-errs)
	}
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM callback_request WHERE state = 'waiting'`))
	require.Equal(t, 19, b.count(t, `SELECT count(*) FROM callback_request WHERE reason = 'duplicate'`))
}

func TestRequestDailyLimit(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cfg := testConfig()
	cfg.DedupeWindow = time.Minute
	cfg.PerNumberPerDay = 2
	b := setup(t, cfg, setupOpts{now: func() time.Time { return now }})
	ctx := context.Background()
	for i := range 2 {
		rc, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "d" + itoa(int64(i)), Number: numUS})
		require.NoError(t, err)
		// The callback happened; a new wish after the dedupe window is a new request.
		_, err = b.pool.Exec(ctx, `UPDATE callback_request SET state = 'done', created_at = created_at - interval '2 minutes' WHERE id = $1`, rc.ID)
		require.NoError(t, err)
	}
	_, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "d2", Number: numUS})
	var refused *RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, ReasonDailyLimit, refused.Reason)
	_, reason := b.state(t, refused.RequestID)
	require.Equal(t, string(ReasonDailyLimit), reason)
}

func TestRequestSchedulesInOpenHours(t *testing.T) {
	t.Parallel()
	cal, err := ivr.ParseCalendar("callbacks", []byte("timezone: America/New_York\nhours:\n  mon-fri: 09:00-17:00\n"))
	require.NoError(t, err)
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 11, 27, 18, 30, 0, 0, ny) // Friday evening
	cfg := testConfig()
	cfg.Calendar = "callbacks"
	cfg.PerCallEstimate = 10 * time.Minute
	cfg.MaxPerNode = 1
	b := setup(t, cfg, setupOpts{now: func() time.Time { return now }, calendars: map[string]*ivr.Calendar{"callbacks": cal}})
	ctx := context.Background()
	monday9 := time.Date(2026, 11, 30, 9, 0, 0, 0, ny)

	rc, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "s1", Number: numUS})
	require.NoError(t, err)
	require.True(t, rc.ETA.Equal(monday9), "ETA %s", rc.ETA)
	var at time.Time
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT scheduled_at FROM river_job WHERE kind = 'callback_dial'`).Scan(&at))
	require.True(t, at.Equal(monday9), "the dial job waits for Monday 09:00, got %s", at)

	rc2, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "s2", Number: numUS2})
	require.NoError(t, err)
	require.True(t, rc2.ETA.Equal(monday9.Add(10*time.Minute)), "the second in line is estimated later: %s", rc2.ETA)

	texts := b.waitOutbound(t, "callback:"+itoa(rc.ID)+":confirm")
	require.Contains(t, texts, "09:00", "the confirmation names the time in the calendar's zone")
}

// waitOutbound returns the body of the text queued with key.
func (b *bundle) waitOutbound(t testing.TB, key string) string {
	t.Helper()
	var body string
	err := b.pool.QueryRow(context.Background(), `SELECT body FROM sms_outbound WHERE unique_key = $1`, key).Scan(&body)
	require.NoError(t, err, "text %s", key)
	return body
}

func TestRequestCallbackFromSMS(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	conf, err := b.svc.RequestCallback(ctx, sms.CallbackRequest{Number: numUS, Source: "sms", MessageID: "sms:5", Lang: "en", Text: "call me at +19005551234"})
	require.NoError(t, err)
	require.NotEmpty(t, conf.RequestID)
	var n string
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT number FROM callback_request WHERE id = $1`, conf.RequestID).Scan(&n))
	require.Equal(t, numUS, n, "the sender is called, never a number in the text")
	require.Zero(t, b.count(t, `SELECT count(*) FROM sms_outbound`), "sms replies to texts itself")

	_, err = b.svc.RequestCallback(ctx, sms.CallbackRequest{Number: numPremium, Source: "sms", MessageID: "sms:6"})
	var refused *sms.CallbackRefusedError
	require.True(t, errors.As(err, &refused))
	require.Contains(t, refused.Reason, "premium")
}

func TestQueueCallbackKeepsPosition(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	_, err := b.svc.RegisterCallback(ctx, ivr.CallbackRequest{Key: "call:q1:press2", Number: numUS, Caller: numUS, Queue: "loans",
		Vars: map[string]string{FlowVarPosition: "4", FlowVarPriority: "15"}})
	require.NoError(t, err)
	_, err = b.svc.RegisterCallback(ctx, ivr.CallbackRequest{Key: "call:f1:cb", Number: numUS2, Caller: numUS2})
	require.NoError(t, err)
	var src string
	var pos, prio int
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT source, position, priority FROM callback_request WHERE number = $1`, numUS).Scan(&src, &pos, &prio))
	require.Equal(t, SourceQueue, src)
	require.Equal(t, 4, pos)
	require.Equal(t, 15, prio)
	rows, err := b.pool.Query(ctx, `SELECT priority FROM river_job WHERE kind = 'callback_dial' ORDER BY (args->>'request_id')::int`)
	require.NoError(t, err)
	var prios []int
	for rows.Next() {
		var p int
		require.NoError(t, rows.Scan(&p))
		prios = append(prios, p)
	}
	require.Equal(t, []int{1, 2}, prios, "a caller who left the queue for a callback is dialed first")
}

func TestRequestAfterTheCallback(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	first, err := b.svc.Request(ctx, Request{Source: SourceSMS, Key: "sms:1", Number: numUS})
	require.NoError(t, err)

	t.Run("answered within the window: not called again", func(t *testing.T) {
		_, err := b.pool.Exec(ctx, `UPDATE callback_request SET state = 'done', reason = 'answered' WHERE id = $1`, first.ID)
		require.NoError(t, err)
		_, err = b.svc.Request(ctx, Request{Source: SourceSMS, Key: "sms:2", Number: numUS})
		var refused *RefusedError
		require.ErrorAs(t, err, &refused)
		require.Equal(t, ReasonRecentlyCalled, refused.Reason)
		require.Equal(t, first.ID, refused.DuplicateOf)
		_, err = b.svc.Request(ctx, Request{Source: SourceSMS, Key: "sms:2", Number: numUS})
		require.ErrorAs(t, err, &refused, "the retried webhook gets the same answer")
		require.Equal(t, ReasonRecentlyCalled, refused.Reason)
	})
	t.Run("not reached: the customer may ask again", func(t *testing.T) {
		_, err := b.pool.Exec(ctx, `UPDATE callback_request SET state = 'failed', reason = 'unreached' WHERE id = $1`, first.ID)
		require.NoError(t, err)
		again, err := b.svc.Request(ctx, Request{Source: SourceSMS, Key: "sms:3", Number: numUS})
		require.NoError(t, err)
		require.False(t, again.Duplicate)
		require.NotEqual(t, first.ID, again.ID)
	})
}
