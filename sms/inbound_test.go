package sms

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testRequester stands in for package callback: it records requests and answers with an
// ETA, a refusal, or a few failures first.
type testRequester struct {
	mu        sync.Mutex
	reqs      []CallbackRequest
	eta       time.Duration
	refuse    string
	failFirst int
}

func (r *testRequester) RequestCallback(_ context.Context, req CallbackRequest) (Confirmation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	if r.failFirst > 0 {
		r.failFirst--
		return Confirmation{}, errors.New("callback store unavailable")
	}
	if r.refuse != "" {
		return Confirmation{}, &CallbackRefusedError{Reason: r.refuse}
	}
	return Confirmation{RequestID: "cb-1", ETA: req.ReceivedAt.Add(r.eta)}, nil
}

func (r *testRequester) requests() []CallbackRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]CallbackRequest(nil), r.reqs...)
}

// twilioBundle is a Service whose inbound side is reached through a test HTTP server
// configured as the Twilio webhook target.
type twilioBundle struct {
	*testBundle
	srv     string
	console *Console
}

func setupTwilioInbound(t *testing.T, cfg Config, clock *testClock) *twilioBundle {
	t.Helper()
	console := NewConsole(nil, 100)
	// The public URL must be known before the service is built; reserve the server first.
	mux := http.NewServeMux()
	srv := newLazyServer(t, mux)
	cfg.Twilio = TwilioConfig{AccountSID: testTwilioSID, AuthToken: testTwilioToken, PublicURL: srv}
	b := setup(t, cfg, setupOpts{gw: console, start: true, clock: clock})
	b.svc.Inbound.Routes(mux)
	return &twilioBundle{testBundle: b, srv: srv, console: console}
}

// postTwilio posts form to path, signed with token for the URL url (default: the real one).
func (tb *twilioBundle) postTwilio(t *testing.T, path string, form url.Values, token, signedURL string) (int, string, http.Header) {
	t.Helper()
	if signedURL == "" {
		signedURL = tb.srv + path
	}
	req, err := http.NewRequest(http.MethodPost, tb.srv+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("X-Twilio-Signature", TwilioSignature(token, signedURL, form))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func twilioInboundForm(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "AccountSid": {testTwilioSID}, "From": {from}, "To": {"+14155550000"}, "Body": {body}, "NumMedia": {"0"}}
}

func TestTwilioWebhookChecksSignature(t *testing.T) {
	t.Parallel()
	tb := setupTwilioInbound(t, testConfig(), nil)
	form := twilioInboundForm("SM1", numUS, "hours")

	tests := []struct {
		name      string
		token     string
		signedURL string
		tamper    bool
		want      int
	}{
		{"wrong token is refused", "not-the-token", "", false, http.StatusForbidden},
		{"no signature is refused", "", "", false, http.StatusForbidden},
		{"signature for another URL is refused", testTwilioToken, "https://evil.example/sms/twilio/inbound", false, http.StatusForbidden},
		{"a changed body is refused", testTwilioToken, "", true, http.StatusForbidden},
		{"a good signature is accepted", testTwilioToken, "", false, http.StatusOK},
	}
	for _, tc := range tests {
		f := form
		if tc.tamper {
			// Sign the original, send another body.
			req, _ := http.NewRequest(http.MethodPost, tb.srv+PathTwilioInbound, strings.NewReader(twilioInboundForm("SM1", numUS, "STOP").Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", TwilioSignature(testTwilioToken, tb.srv+PathTwilioInbound, form))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err, tc.name)
			resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode, tc.name)
			continue
		}
		code, body, _ := tb.postTwilio(t, PathTwilioInbound, f, tc.token, tc.signedURL)
		require.Equal(t, tc.want, code, "%s: %s", tc.name, body)
		if code == http.StatusForbidden {
			require.Equal(t, 0, tb.count(t, `SELECT count(*) FROM sms_inbound`), "%s: nothing stored", tc.name)
		}
	}
	require.Equal(t, 1, tb.count(t, `SELECT count(*) FROM sms_inbound`))
	var id int64
	require.NoError(t, tb.pool.QueryRow(context.Background(), `SELECT id FROM sms_inbound`).Scan(&id))
	require.Equal(t, "Open 8-20.", tb.replyTo(t, id).Body)
	require.Equal(t, 0, tb.count(t, `SELECT count(*) FROM sms_optout`), "the tampered STOP had no effect")
}

func TestTwilioWebhookRetryStoresOnce(t *testing.T) {
	t.Parallel()
	tb := setupTwilioInbound(t, testConfig(), nil)
	form := twilioInboundForm("SMdup", numUS, "HELP")
	for i := range 3 {
		code, body, h := tb.postTwilio(t, PathTwilioInbound, form, testTwilioToken, "")
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, "<Response>")
		require.Equal(t, i > 0, h.Get("X-Ivrd-Duplicate") == "true")
	}
	require.Equal(t, 1, tb.count(t, `SELECT count(*) FROM sms_inbound`))
	var id int64
	require.NoError(t, tb.pool.QueryRow(context.Background(), `SELECT id FROM sms_inbound`).Scan(&id))
	rec := tb.waitStatus(t, tb.replyTo(t, id).ID, StatusSent)
	require.Equal(t, "Reply CALL to be called back.", rec.Body)
	require.Equal(t, 1, tb.count(t, `SELECT count(*) FROM sms_outbound`), "one reply")
	require.Len(t, tb.console.Recent(), 1)
}

func TestInboundBadRequestsAreRefusedAndNotStored(t *testing.T) {
	t.Parallel()
	tb := setupTwilioInbound(t, testConfig(), nil)
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"no MessageSid", url.Values{"From": {numUS}, "Body": {"hi"}}, "missing MessageSid"},
		{"no From", url.Values{"MessageSid": {"SM9"}, "Body": {"hi"}}, "missing From"},
		{"no Body", url.Values{"MessageSid": {"SM9"}, "From": {numUS}}, "missing Body"},
		{"sender is not a number", url.Values{"MessageSid": {"SM9"}, "From": {"BANK"}, "Body": {"hi"}}, "not a valid phone number"},
	}
	for _, tc := range tests {
		code, body, _ := tb.postTwilio(t, PathTwilioInbound, tc.form, testTwilioToken, "")
		require.Equal(t, http.StatusBadRequest, code, tc.name)
		require.Contains(t, body, tc.want, tc.name)
	}
	kannel := []struct {
		name, query, want string
	}{
		{"Kannel without id", "from=%2B14155552671&text=hi", "add id=%I"},
		{"Kannel without from", "id=1&text=hi", "add from=%p"},
		{"Kannel without text", "id=1&from=%2B14155552671", "missing text"},
		{"Kannel with broken UTF-8", "id=1&from=%2B14155552671&text=%FF%FE", "mo-recode"},
	}
	for _, tc := range kannel {
		resp, err := http.Get(tb.srv + PathKannelInbound + "?" + tc.query)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.name)
		require.Contains(t, string(body), tc.want, tc.name)
	}
	require.Equal(t, 0, tb.count(t, `SELECT count(*) FROM sms_inbound`))
}

func TestInboundStopIsHonouredAtOnceAndStartUndoesIt(t *testing.T) {
	t.Parallel()
	tb := setupTwilioInbound(t, testConfig(), nil)
	ctx := context.Background()

	code, body, _ := tb.postTwilio(t, PathTwilioInbound, twilioInboundForm("SMstop", numUS, " Stop. "), testTwilioToken, "")
	require.Equal(t, http.StatusOK, code, body)
	out, err := tb.svc.OptOuts.IsOptedOut(ctx, numUS)
	require.NoError(t, err)
	require.True(t, out, "opted out by the time the webhook answered")
	_, err = tb.svc.Sender.Send(ctx, Text{To: numUS, Key: "promo", Body: "news"})
	require.ErrorIs(t, err, ErrOptedOut)
	_, err = tb.svc.FollowUps.OnCallEnded(ctx, FinishedCall{CallID: "c1", Caller: numUS, Tags: []string{"abandoned_in_queue"}})
	require.NoError(t, err)
	require.Equal(t, 0, tb.count(t, `SELECT count(*) FROM sms_outbound WHERE purpose = 'followup'`), "no follow-up after STOP")

	var stopID int64
	require.NoError(t, tb.pool.QueryRow(ctx, `SELECT id FROM sms_inbound WHERE gateway_message_id = 'SMstop'`).Scan(&stopID))
	conf := tb.waitStatus(t, tb.replyTo(t, stopID).ID, StatusSent)
	require.Equal(t, "You are opted out. Reply START to return.", conf.Body, "the STOP confirmation still goes out")
	require.Equal(t, PurposeConfirm, conf.Purpose)

	code, _, _ = tb.postTwilio(t, PathTwilioInbound, twilioInboundForm("SMstart", numUS, "start"), testTwilioToken, "")
	require.Equal(t, http.StatusOK, code)
	out, err = tb.svc.OptOuts.IsOptedOut(ctx, numUS)
	require.NoError(t, err)
	require.False(t, out)
	_, err = tb.svc.Sender.Send(ctx, Text{To: numUS, Key: "promo", Body: "news"})
	require.NoError(t, err)

	// Chinese STOP works the same.
	code, _, _ = tb.postTwilio(t, PathTwilioInbound, twilioInboundForm("SMzh", numCN, "退订"), testTwilioToken, "")
	require.Equal(t, http.StatusOK, code)
	out, err = tb.svc.OptOuts.IsOptedOut(ctx, numCN)
	require.NoError(t, err)
	require.True(t, out)
	var zhID int64
	require.NoError(t, tb.pool.QueryRow(ctx, `SELECT id FROM sms_inbound WHERE gateway_message_id = 'SMzh'`).Scan(&zhID))
	require.Equal(t, "您已退订。", tb.replyTo(t, zhID).Body)
}

func TestInboundCallMeRequestsCallbackAndConfirms(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.QuietHours.Timezones = map[string]string{"+1": "UTC", "+86": "Asia/Shanghai"}
	clock := newTestClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	tb := setupTwilioInbound(t, cfg, clock)
	req := &testRequester{eta: 25 * time.Minute, failFirst: 1}
	tb.svc.Inbound.SetCallbackRequester(req)
	ctx := context.Background()

	code, _, _ := tb.postTwilio(t, PathTwilioInbound, twilioInboundForm("SMcall", numUS, "Call me, please!"), testTwilioToken, "")
	require.Equal(t, http.StatusOK, code)
	var id int64
	require.NoError(t, tb.pool.QueryRow(ctx, `SELECT id FROM sms_inbound WHERE gateway_message_id = 'SMcall'`).Scan(&id))
	reply := tb.replyTo(t, id)
	require.Equal(t, "We will call you at about 10:25 (25 min).", reply.Body)
	reqs := req.requests()
	require.Len(t, reqs, 2, "the first attempt failed and was retried")
	require.Equal(t, reqs[0], reqs[1], "a retry asks with the same MessageID (idempotency key)")
	require.Equal(t, CallbackRequest{Number: numUS, Source: "sms", MessageID: "sms:" + itoa(id), Lang: "en",
		Text: "Call me, please!", ReceivedAt: clock.Now()}, reqs[0])

	code, _, _ = tb.postTwilio(t, PathTwilioInbound, twilioInboundForm("SMzh", numCN, "给我回电话，谢谢"), testTwilioToken, "")
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, tb.pool.QueryRow(ctx, `SELECT id FROM sms_inbound WHERE gateway_message_id = 'SMzh'`).Scan(&id))
	require.Equal(t, "我们将在18:25左右回电。", tb.replyTo(t, id).Body, "ETA in the customer's time zone and language")

	req.mu.Lock()
	req.refuse = "premium-rate numbers are not called"
	req.mu.Unlock()
	code, _, _ = tb.postTwilio(t, PathTwilioInbound, twilioInboundForm("SMref", "+14155552672", "CALLBACK"), testTwilioToken, "")
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, tb.pool.QueryRow(ctx, `SELECT id FROM sms_inbound WHERE gateway_message_id = 'SMref'`).Scan(&id))
	require.Equal(t, "Sorry, no callback: premium-rate numbers are not called.", tb.replyTo(t, id).Body)
}

func TestInboundMenuAndUnknownTexts(t *testing.T) {
	t.Parallel()
	tb := setupTwilioInbound(t, testConfig(), nil)
	ctx := context.Background()
	for sid, c := range map[string]struct{ text, reply string }{
		"SMa": {"2", "Open 8-20."},
		"SMb": {"what is my balance", "Sorry? Reply HELP."},
		"SMc": {"帮助", "回复回电预约回电。"},
	} {
		code, _, _ := tb.postTwilio(t, PathTwilioInbound, twilioInboundForm(sid, numUS, c.text), testTwilioToken, "")
		require.Equal(t, http.StatusOK, code)
		var id int64
		require.NoError(t, tb.pool.QueryRow(ctx, `SELECT id FROM sms_inbound WHERE gateway_message_id = $1`, sid).Scan(&id))
		require.Equal(t, c.reply, tb.replyTo(t, id).Body, c.text)
	}
}

func TestTwilioStatusCallbackUpdatesTheRecord(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	mux := http.NewServeMux()
	srv := newLazyServer(t, mux)
	cfg := testConfig()
	cfg.Twilio = tw.config()
	cfg.Twilio.PublicURL = srv
	b := setup(t, cfg, setupOpts{gw: tw.gateway(t), start: true})
	b.svc.Inbound.Routes(mux)
	tb := &twilioBundle{testBundle: b, srv: srv}
	ctx := context.Background()

	q, err := b.svc.Sender.Send(ctx, Text{To: numUS, Key: "s", Body: "status please"})
	require.NoError(t, err)
	rec := b.waitStatus(t, q.ID, StatusSent)

	status := func(sid, st string, token string) int {
		code, _, _ := tb.postTwilio(t, PathTwilioStatus, url.Values{"MessageSid": {sid}, "MessageStatus": {st}, "AccountSid": {testTwilioSID}}, token, "")
		return code
	}
	require.Equal(t, http.StatusForbidden, status(rec.GatewayMessageID, "failed", "bad-token"))
	require.Equal(t, http.StatusNotFound, status("SMunknown", "delivered", testTwilioToken))
	require.Equal(t, http.StatusOK, status(rec.GatewayMessageID, "sending", testTwilioToken))
	require.Equal(t, http.StatusOK, status(rec.GatewayMessageID, "delivered", testTwilioToken))
	rec = b.waitStatus(t, q.ID, StatusDelivered)
	require.NotNil(t, rec.DeliveredAt)
	require.Equal(t, http.StatusOK, status(rec.GatewayMessageID, "sent", testTwilioToken), "a late report is accepted...")
	rec, err = b.svc.Sender.Record(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, StatusDelivered, rec.Status, "...but does not move the text backwards")
}

func TestInboundConcurrentRetriesStoreEachTextOnce(t *testing.T) {
	t.Parallel()
	tb := setupTwilioInbound(t, testConfig(), nil)
	var wg sync.WaitGroup
	codes := make(chan int, 60)
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sid := "SMc" + itoa(int64(i%12))
			text := "hours"
			if i%12 == 0 {
				text = "STOP"
			}
			code, _, _ := tb.postTwilio(t, PathTwilioInbound, twilioInboundForm(sid, numUS, text), testTwilioToken, "")
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		require.Equal(t, http.StatusOK, c)
	}
	require.Equal(t, 12, tb.count(t, `SELECT count(*) FROM sms_inbound`))
	require.Equal(t, 12, tb.count(t, `SELECT count(*) FROM river_job WHERE kind = 'sms_inbound'`))
	require.Equal(t, 1, tb.count(t, `SELECT count(*) FROM sms_optout`))

	code, body, _ := tb.postTwilio(t, PathTwilioInbound, twilioInboundForm("SMnul", numUS, "a\x00b"), testTwilioToken, "")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "NUL")
}
