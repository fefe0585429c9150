package sms

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/sms/kanneltest"
)

func TestKannelGatewayClassifiesFailures(t *testing.T) {
	t.Parallel()
	k := kanneltest.Start(t, kanneltest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msg := Message{ID: "1", From: "5000", To: numUS, Text: "x"}

	wrong, err := NewKannelGateway(KannelConfig{SendURL: k.SendURL, Username: k.Username, Password: "wrong"}, nil)
	require.NoError(t, err)
	_, err = wrong.Send(ctx, msg)
	require.Error(t, err)
	require.False(t, IsRetryable(err), "bad credentials will not get better: %v", err)
	require.NotContains(t, err.Error(), "wrong", "the password never shows in errors")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String() + "/cgi-bin/sendsms"
	l.Close()
	down, err := NewKannelGateway(KannelConfig{SendURL: closed, Username: "ivrd", Password: "s3cret"}, nil)
	require.NoError(t, err)
	_, err = down.Send(ctx, msg)
	require.True(t, IsRetryable(err), "Kannel down is worth retrying: %v", err)
	require.NotContains(t, err.Error(), "s3cret")

	ok, err := NewKannelGateway(KannelConfig{SendURL: k.SendURL, Username: k.Username, Password: k.Password}, nil)
	require.NoError(t, err)
	id, err := ok.Send(ctx, msg)
	require.NoError(t, err)
	require.Equal(t, "1", id)
	got, err := k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "x", got.Text())

	_, err = NewKannelGateway(KannelConfig{SendURL: k.SendURL, Username: "ivrd", PasswordEnv: "IVRD_TEST_UNSET_KANNEL_PASSWORD"}, nil)
	require.ErrorContains(t, err, "IVRD_TEST_UNSET_KANNEL_PASSWORD is empty")
}

func TestTwilioGatewayClassifiesFailures(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	ctx := context.Background()
	msg := Message{ID: "1", From: "5000", To: numUS, Text: "x"}

	cfg := tw.config()
	cfg.AuthToken = "wrong"
	g, err := NewTwilioGateway(cfg)
	require.NoError(t, err)
	_, err = g.Send(ctx, msg)
	require.False(t, IsRetryable(err), "401 is permanent: %v", err)

	tw.failNext = 1
	_, err = tw.gateway(t).Send(ctx, msg)
	require.True(t, IsRetryable(err), "503 is retryable: %v", err)
	var ge *GatewayError
	require.ErrorAs(t, err, &ge)
	require.Equal(t, http.StatusServiceUnavailable, ge.Status)

	sid, err := tw.gateway(t).Send(ctx, msg)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(sid, "SM"))
}

func TestConsoleKeepsRecentTexts(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c := NewConsole(&out, 2)
	for _, text := range []string{"one", "two", "您好"} {
		_, err := c.Send(context.Background(), Message{From: "5000", To: numUS, Text: text})
		require.NoError(t, err)
	}
	recent := c.Recent()
	require.Len(t, recent, 2)
	require.Equal(t, "two", recent[0].Text)
	require.Equal(t, "您好", recent[1].Text)
	require.Equal(t, UCS2, recent[1].Segments.Encoding)
	require.Contains(t, out.String(), "SMS 5000 -> +14155552671 (1 gsm7 segment(s)): one\n")
}

func TestKannelHandlerPostURLAndCharsets(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	srv := b.server(t)

	// post-url: the body is the text, the rest comes in the query or X-Kannel headers.
	req, err := http.NewRequest(http.MethodPost, srv.URL+PathKannelInbound+"?id=p1&to=5000", strings.NewReader("HELP me"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("X-Kannel-From", numUS)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Without mo-recode Kannel sends UCS-2 texts as UTF-16BE.
	q := url.Values{"id": {"p2"}, "from": {numCN}, "text": {"\x4f\x60\x59\x7d"}, "coding": {"2"}, "charset": {"UTF-16BE"}}
	resp, err = http.Get(srv.URL + PathKannelInbound + "?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	rows, err := b.pool.Query(context.Background(), `SELECT gateway_message_id, from_number, body, action FROM sms_inbound ORDER BY id`)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var id, from, body, action string
		require.NoError(t, rows.Scan(&id, &from, &body, &action))
		got = append(got, id+" "+from+" "+body+" "+action)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"p1 +14155552671 HELP me reply", "p2 +8613800138000 你好 unknown"}, got)
}

func TestNewServiceSignsKannelDLRsWithConfiguredSecret(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Gateway = "kannel"
	cfg.Kannel = KannelConfig{SendURL: "http://127.0.0.1:1/cgi-bin/sendsms", Username: "ivrd", Password: "p", DLRURL: "http://ivrd/sms/kannel/dlr", DLRSecret: "shared"}
	b := setup(t, testConfig(), setupOpts{})
	svc, err := New(cfg, b.pool, Options{})
	require.NoError(t, err)
	kg, ok := svc.Gateway.(*KannelGateway)
	require.True(t, ok)
	require.Contains(t, kg.dlrCallbackURL("42"), "sig="+dlrSignature([]byte("shared"), "42"))
	srv := httptest.NewServer(svc.Inbound.KannelDLRHandler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "?id=42&type=1")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "an unsigned report is refused")
}

// TestTwilioSignatureKnownVector checks the signature against the worked example of Twilio's
// webhook security guide, so the fake Twilio and ivrd cannot share one mistake.
func TestTwilioSignatureKnownVector(t *testing.T) {
	t.Parallel()
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	require.Equal(t, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params))
	params.Set("Digits", "9999")
	require.NotEqual(t, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params))
}
