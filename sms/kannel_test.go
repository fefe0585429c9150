package sms

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/sms/kanneltest"
)

// kannelBundle is a Service sending and receiving through a real Kannel.
type kannelBundle struct {
	*testBundle
	k   *kanneltest.Kannel
	srv string
}

var testDLRKey = []byte("dlr-test-key")

// setupKannel starts ivrd's handlers on a free port (only once serve is called when
// serveLater: until then nothing listens there), Kannel pointing at them, and a Service
// sending through Kannel.
func setupKannel(t *testing.T, serveLater bool) (*kannelBundle, func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	base := "http://" + addr
	mux := http.NewServeMux()
	serve := func() {
		if serveLater {
			var err error
			l, err = net.Listen("tcp", addr)
			require.NoError(t, err)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
	}
	if serveLater {
		l.Close() // nothing listens: smsbox's requests are refused until serve is called
	} else {
		serve()
	}
	k := kanneltest.Start(t, kanneltest.Options{InboundURL: base + PathKannelInbound})
	gw, err := NewKannelGateway(KannelConfig{SendURL: k.SendURL, Username: k.Username, Password: k.Password, DLRURL: base + PathKannelDLR}, testDLRKey)
	require.NoError(t, err)
	b := setup(t, testConfig(), setupOpts{gw: gw, start: true, dlrKey: testDLRKey})
	b.svc.Inbound.Routes(mux)
	return &kannelBundle{testBundle: b, k: k, srv: base}, serve
}

func TestKannelOutboundASCIIChineseAndLongTexts(t *testing.T) {
	t.Parallel()
	kb, _ := setupKannel(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tests := []struct {
		name  string
		body  string
		typ   string
		parts int
	}{
		{"ASCII goes as text", "Your callback is booked for 10:30. Reply STOP to opt out.", "text", 1},
		{"Chinese goes as UCS-2, not question marks", "您的回电已预约，我们将在十点半给您回电。", "ucs-2", 1},
		{"emoji travel as UTF-16 surrogate pairs", "Thanks 🙏 see you soon 😀", "ucs-2", 1},
		{"a long GSM text is split in 153-character parts", strings.Repeat("Long text, ", 25), "udh", 2},
		{"a long Chinese text is split in 67-character parts", strings.Repeat("中文短信分段测试。", 10), "udh", 2},
	}
	for i, tc := range tests {
		q, err := kb.svc.Sender.Send(ctx, Text{To: numUS, Key: "k" + itoa(int64(i)), Body: tc.body})
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.parts, q.Segments.Count, tc.name)
		got, err := kb.k.SMSC.Next(ctx)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.typ, got.Type, tc.name)
		require.Equal(t, tc.parts, got.Parts, tc.name)
		require.Equal(t, numUS, got.To, tc.name)
		require.Equal(t, "5000", got.From, tc.name)
		text := got.Text()
		if q.Segments.Encoding == UCS2 {
			text = got.UCS2()
		}
		require.Equal(t, tc.body, text, tc.name)
		// The fake SMSC reports "accepted by SMSC" then "delivered" to the dlr-url.
		rec := kb.waitStatus(t, q.ID, StatusDelivered)
		require.Equal(t, "kannel", rec.Gateway)
		require.NotNil(t, rec.SentAt)
		require.NotNil(t, rec.DeliveredAt)
	}
}

func TestKannelDeliveryReportsAreSigned(t *testing.T) {
	t.Parallel()
	kb, _ := setupKannel(t, false)
	ctx := context.Background()
	q, err := kb.svc.Sender.Send(ctx, Text{To: numUS, Key: "x", Body: "x"})
	require.NoError(t, err)
	kb.waitStatus(t, q.ID, StatusDelivered)
	q2, err := kb.svc.Sender.Send(ctx, Text{To: numCN, Key: "y", Body: "y"})
	require.NoError(t, err)
	_, err = kb.k.SMSC.Next(ctx)
	require.NoError(t, err)
	kb.waitStatus(t, q2.ID, StatusDelivered)

	resp, err := http.Get(kb.srv + PathKannelDLR + "?id=" + itoa(q.ID) + "&sig=forged&type=16&reply=x")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	rec, err := kb.svc.Sender.Record(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, StatusDelivered, rec.Status)
}

func TestKannelInboundIsStoredOnceAndAnswered(t *testing.T) {
	t.Parallel()
	kb, _ := setupKannel(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	require.NoError(t, kb.k.SMSC.Deliver(ctx, numUS, "5000", "help!"))
	got, err := kb.k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, numUS, got.To)
	require.Equal(t, "Reply CALL to be called back.", got.Text())

	require.NoError(t, kb.k.SMSC.Deliver(ctx, numCN, "5000", "帮助"))
	got, err = kb.k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, numCN, got.To)
	require.Equal(t, "回复回电预约回电。", got.Text(), "a Chinese text in, a Chinese reply out")

	require.Equal(t, 2, kb.count(t, `SELECT count(*) FROM sms_inbound WHERE gateway = 'kannel'`))
	var body string
	require.NoError(t, kb.pool.QueryRow(ctx, `SELECT body FROM sms_inbound WHERE from_number = $1`, numCN).Scan(&body))
	require.Equal(t, "帮助", body, "mo-recode delivers the UCS-2 text as UTF-8")
	require.Empty(t, kb.k.SMSC.Pending(), "one reply per text")
}

func TestKannelInboundWaitsForIvrdAndArrivesOnce(t *testing.T) {
	t.Parallel()
	kb, serve := setupKannel(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	require.NoError(t, kb.k.SMSC.Deliver(ctx, numUS, "5000", "2"))
	// smsbox found ivrd down and is retrying.
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(filepath.Join(kb.k.Dir, "smsbox.log"))
		return strings.Contains(string(b), "Retrying request")
	}, 30*time.Second, 20*time.Millisecond, "smsbox never retried")
	require.Equal(t, 0, kb.count(t, `SELECT count(*) FROM sms_inbound`))

	serve()
	got, err := kb.k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "Open 8-20.", got.Text())
	require.Equal(t, 1, kb.count(t, `SELECT count(*) FROM sms_inbound`))
	require.Equal(t, 1, kb.count(t, `SELECT count(*) FROM sms_outbound`))
}

func TestKannelDownThenUpSendsExactlyOnce(t *testing.T) {
	t.Parallel()
	kb, _ := setupKannel(t, false)
	target, err := url.Parse(kb.k.SendURL)
	require.NoError(t, err)
	// The sendsms URL answers 503 twice (Kannel unreachable), then requests reach smsbox.
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	var mu sync.Mutex
	failures, calls := 2, 0
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		fail := failures > 0
		failures--
		mu.Unlock()
		if fail {
			http.Error(w, "Sending failed.", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	gw, err := NewKannelGateway(KannelConfig{SendURL: front.URL + "/cgi-bin/sendsms", Username: kb.k.Username, Password: kb.k.Password,
		DLRURL: kb.srv + PathKannelDLR}, testDLRKey)
	require.NoError(t, err)
	b := setup(t, testConfig(), setupOpts{gw: gw, start: true, dlrKey: testDLRKey})
	mux := http.NewServeMux()
	b.svc.Inbound.Routes(mux)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	q, err := b.svc.Sender.Send(ctx, Text{To: numUS, Key: "once", Body: "exactly once"})
	require.NoError(t, err)
	rec := b.waitStatus(t, q.ID, StatusSent, StatusDelivered)
	require.Equal(t, 3, rec.Attempts)
	got, err := kb.k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "exactly once", got.Text())
	mu.Lock()
	require.Equal(t, 3, calls)
	mu.Unlock()
	require.Empty(t, kb.k.SMSC.Pending(), "the carrier got the text once")
}

func TestKannelInboundRetriedWhileDatabaseFails(t *testing.T) {
	t.Parallel()
	kb, _ := setupKannel(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The table is away: storing fails, ivrd answers 503, and smsbox keeps the text.
	_, err := kb.pool.Exec(ctx, `ALTER TABLE sms_inbound RENAME TO sms_inbound_away`)
	require.NoError(t, err)
	require.NoError(t, kb.k.SMSC.Deliver(ctx, numUS, "5000", "hours please"))
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(filepath.Join(kb.k.Dir, "smsbox.log"))
		return strings.Contains(string(b), "Retrying request")
	}, 30*time.Second, 20*time.Millisecond, "smsbox never retried after a 503")

	_, err = kb.pool.Exec(ctx, `ALTER TABLE sms_inbound_away RENAME TO sms_inbound`)
	require.NoError(t, err)
	got, err := kb.k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "Open 8-20.", got.Text())
	require.Equal(t, 1, kb.count(t, `SELECT count(*) FROM sms_inbound`))
}
