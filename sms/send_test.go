package sms

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/metrics"
)

func TestSendRetriesFailingGatewayThenSendsExactlyOnce(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	tw.failNext = 2
	met := metrics.New()
	b := setup(t, testConfig(), setupOpts{gw: tw.gateway(t), start: true, metrics: met})
	ctx := context.Background()

	q, err := b.svc.Sender.Send(ctx, Text{To: "(415) 555-2671", Key: "t1", Template: "greeting", Vars: map[string]any{"name": "Ana"}})
	require.NoError(t, err)
	require.Equal(t, numUS, q.To, "numbers are stored in E.164")
	rec := b.waitStatus(t, q.ID, StatusSent)

	accepted, requests := tw.snapshot()
	require.Equal(t, 3, requests, "two 503s, then accepted")
	require.Len(t, accepted, 1, "the carrier got the text once")
	require.Equal(t, "Hello Ana!", accepted[0].Get("Body"))
	require.Equal(t, numUS, accepted[0].Get("To"))
	require.Equal(t, "5000", accepted[0].Get("From"))
	require.Equal(t, 3, rec.Attempts)
	require.Equal(t, "twilio", rec.Gateway)
	require.Equal(t, "SM00000000000000000000000000000001", rec.GatewayMessageID)
	require.NotNil(t, rec.SentAt)
	require.Equal(t, 1.0, counterValue(t, met.TextsSent.WithLabelValues("twilio", PurposeFlow)))
	require.Equal(t, 0.0, counterValue(t, met.TextsFailed.WithLabelValues("twilio", PurposeFlow)), "retried failures are not final")

	// The job completes: nothing is left to send it again.
	require.Eventually(t, func() bool {
		return b.count(t, `SELECT count(*) FROM river_job WHERE state <> 'completed'`) == 0
	}, 30*time.Second, 10*time.Millisecond)
}

func TestSendPermanentGatewayFailureIsRecordedNotRetried(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	tw.reject = true
	b := setup(t, testConfig(), setupOpts{gw: tw.gateway(t), start: true})
	q, err := b.svc.Sender.Send(context.Background(), Text{To: numUS, Key: "t1", Body: "hi"})
	require.NoError(t, err)
	rec := b.waitStatus(t, q.ID, StatusFailed)
	require.Contains(t, rec.Reason, "21211")
	_, requests := tw.snapshot()
	require.Equal(t, 1, requests)
}

func TestSendSameKeyQueuesOnce(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	b := setup(t, testConfig(), setupOpts{gw: tw.gateway(t), start: true})
	ctx := context.Background()
	q1, err := b.svc.Sender.Send(ctx, Text{To: numUS, Key: "flow:call-1:step-3", Body: "one"})
	require.NoError(t, err)
	q2, err := b.svc.Sender.Send(ctx, Text{To: numUS, Key: "flow:call-1:step-3", Body: "one"})
	require.NoError(t, err)
	require.True(t, q2.Duplicate)
	require.Equal(t, q1.ID, q2.ID)
	b.waitStatus(t, q1.ID, StatusSent)
	accepted, _ := tw.snapshot()
	require.Len(t, accepted, 1)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM sms_outbound`))
}

func TestSendJobNeverResendsAcceptedText(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	b := setup(t, testConfig(), setupOpts{gw: tw.gateway(t)}) // workers not started: run deliver by hand
	ctx := context.Background()
	s := b.svc.Sender

	q, err := s.Send(ctx, Text{To: numUS, Key: "a", Body: "first"})
	require.NoError(t, err)
	require.NoError(t, s.deliver(ctx, q.ID, false))
	require.NoError(t, s.deliver(ctx, q.ID, false), "a retried job finds the text sent")
	accepted, _ := tw.snapshot()
	require.Len(t, accepted, 1)

	// A crash after the gateway took the text but before the outcome was recorded leaves
	// the text "sending": the retried job does not resend it.
	q2, err := s.Send(ctx, Text{To: numUS, Key: "b", Body: "second"})
	require.NoError(t, err)
	_, err = b.pool.Exec(ctx, `UPDATE sms_outbound SET status = 'sending', attempts = 1 WHERE id = $1`, q2.ID)
	require.NoError(t, err)
	require.NoError(t, s.deliver(ctx, q2.ID, false))
	accepted, _ = tw.snapshot()
	require.Len(t, accepted, 1, "not resent")
	rec, err := s.Record(ctx, q2.ID)
	require.NoError(t, err)
	require.Equal(t, StatusFailed, rec.Status)
	require.Contains(t, rec.Reason, reasonInterrupted)
	// ...and a delivery report proving it went out corrects the record.
	require.NoError(t, s.updateStatusByID(ctx, q2.ID, StatusDelivered, ""))
	rec, err = s.Record(ctx, q2.ID)
	require.NoError(t, err)
	require.Equal(t, StatusDelivered, rec.Status)
}

func TestSendRefusesOptedOutNumbers(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	b := setup(t, testConfig(), setupOpts{gw: tw.gateway(t)})
	ctx := context.Background()
	s, oo := b.svc.Sender, b.svc.OptOuts

	// Queued before STOP, sent after: the job refuses it.
	q, err := s.Send(ctx, Text{To: numUS, Key: "queued-before-stop", Body: "x"})
	require.NoError(t, err)
	require.NoError(t, oo.OptOut(ctx, numUS, "test"))
	_, err = s.Send(ctx, Text{To: "+1 415-555-2671", Key: "after-stop", Body: "x"})
	require.ErrorIs(t, err, ErrOptedOut)
	require.NoError(t, s.deliver(ctx, q.ID, false))
	rec, err := s.Record(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, StatusFailed, rec.Status)
	require.Equal(t, "opted out before sending", rec.Reason)
	_, requests := tw.snapshot()
	require.Zero(t, requests)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM sms_outbound`), "a refused text is not recorded")

	require.NoError(t, oo.OptIn(ctx, numUS))
	_, err = s.Send(ctx, Text{To: numUS, Key: "after-start", Body: "x"})
	require.NoError(t, err)
}

func TestSendRateLimitAndDailyCap(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Limits = Limits{MinInterval: time.Minute, PerNumberPerDay: 3}
	clock := newTestClock(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	b := setup(t, cfg, setupOpts{clock: clock})
	ctx := context.Background()
	n := 0
	send := func(reply bool) error {
		n++
		_, err := b.svc.Sender.Send(ctx, Text{To: numUS, Key: time.Duration(n).String(), Body: "x", Reply: reply})
		return err
	}
	require.NoError(t, send(false))
	clock.Advance(30 * time.Second)
	require.ErrorIs(t, send(false), ErrRateLimited)
	require.NoError(t, send(true), "a reply to the customer's own text is not held by min_interval")
	clock.Advance(2 * time.Minute)
	require.NoError(t, send(false))
	clock.Advance(2 * time.Minute)
	require.ErrorIs(t, send(false), ErrDailyCap)
	require.ErrorIs(t, send(true), ErrDailyCap, "replies count toward the daily cap")
	_, err := b.svc.Sender.Send(ctx, Text{To: numCN, Key: "other", Body: "x"})
	require.NoError(t, err, "limits are per number")
	clock.Advance(24 * time.Hour)
	require.NoError(t, send(false), "the cap is over 24 hours")
}

func TestSendQuietHoursWaitForMorning(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.QuietHours = QuietHours{Start: "21:00", End: "08:00"}
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	clock := newTestClock(time.Date(2026, 3, 2, 23, 0, 0, 0, ny))
	b := setup(t, cfg, setupOpts{clock: clock})
	ctx := context.Background()

	q, err := b.svc.Sender.Send(ctx, Text{To: numNY, Key: "late", Body: "x"})
	require.NoError(t, err)
	morning := time.Date(2026, 3, 3, 8, 0, 0, 0, ny)
	require.True(t, morning.Equal(q.SendAfter), "got %v", q.SendAfter)
	var scheduled time.Time
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT scheduled_at FROM river_job WHERE kind = 'sms_send'`).Scan(&scheduled))
	require.True(t, morning.Equal(scheduled), "the send job waits for 08:00 New York time, got %v", scheduled)

	r, err := b.svc.Sender.Send(ctx, Text{To: numNY, Key: "reply", Body: "x", Reply: true})
	require.NoError(t, err)
	require.True(t, clock.Now().Equal(r.SendAfter), "replies go at once")

	// 23:00 in New York is 12:00 in Shanghai: not quiet there.
	c, err := b.svc.Sender.Send(ctx, Text{To: numCN, Key: "cn", Body: "x"})
	require.NoError(t, err)
	require.True(t, clock.Now().Equal(c.SendAfter))

	clock.Advance(10 * time.Hour) // 09:00 New York
	d, err := b.svc.Sender.Send(ctx, Text{To: numNY, Key: "day", Body: "x"})
	require.NoError(t, err)
	require.True(t, clock.Now().Equal(d.SendAfter))
}

func TestSendTemplatesAndSegments(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	s := b.svc.Sender

	q, err := s.Send(ctx, Text{To: numCN, Key: "zh", Template: "greeting", Lang: "zh", Vars: map[string]any{"name": "李"}})
	require.NoError(t, err)
	require.Equal(t, "你好，李！", q.Body)
	rec, err := s.Record(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, UCS2, rec.Encoding)
	require.Equal(t, 1, rec.Segments)
	require.Equal(t, StatusQueued, rec.Status)

	q, err = s.Send(ctx, Text{To: numUS, Key: "fallback", Template: "hours", Lang: "zh"})
	require.NoError(t, err)
	require.Equal(t, "Open 8-20.", q.Body, "a missing language falls back to the default one")
	require.Equal(t, "en", q.Lang)

	_, err = s.Send(ctx, Text{To: numUS, Key: "missing-var", Template: "greeting"})
	require.ErrorContains(t, err, "name not set")
	require.ErrorIs(t, err, ErrTemplate)
	_, err = s.Send(ctx, Text{To: numUS, Key: "no-template", Template: "nope"})
	require.ErrorIs(t, err, ErrNoTemplate)
	_, err = s.Send(ctx, Text{To: "12", Key: "bad-number", Body: "x"})
	require.ErrorIs(t, err, ErrBadNumber)
	_, err = s.Send(ctx, Text{To: numUS, Body: "x"})
	require.ErrorContains(t, err, "Key is empty")
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}
