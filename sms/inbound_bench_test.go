package sms

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkInboundWebhook measures inbound texts stored per second through Kannel's get-url
// handler over real HTTP: each request parses, normalises the number, matches keywords,
// stores the text (deduplicated) and enqueues its reply job in one transaction.
func BenchmarkInboundWebhook(b *testing.B) {
	tb := setup(b, testConfig(), setupOpts{maxConns: 16})
	mux := http.NewServeMux()
	tb.svc.Inbound.Routes(mux)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			q := url.Values{"id": {fmt.Sprintf("bench-%d", n)}, "from": {numUS}, "to": {"5000"}, "text": {"what are your opening hours"}, "charset": {"UTF-8"}, "coding": {"0"}}
			resp, err := client.Get(srv.URL + PathKannelInbound + "?" + q.Encode())
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "texts/s")
	var stored int64
	if err := tb.pool.QueryRow(b.Context(), `SELECT count(*) FROM sms_inbound`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != seq.Load() {
		b.Fatalf("stored %d of %d texts", stored, seq.Load())
	}
}
