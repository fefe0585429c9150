package web_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ivrd/ivrd/web"
)

// BenchmarkStatusPage renders the status page with the fake source (two calls, one queue...).
func BenchmarkStatusPage(b *testing.B) {
	s := web.New(web.Options{Status: fakeStatus(time.Now()), Logger: slog.New(slog.DiscardHandler)})
	h := s.Handler()
	req := httptest.NewRequest("GET", "/status", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkReadyz runs two passing readiness checks per request.
func BenchmarkReadyz(b *testing.B) {
	s := web.New(web.Options{Logger: slog.New(slog.DiscardHandler)})
	s.AddCheck(web.CheckFreeSWITCH, func(context.Context) error { return nil })
	s.AddCheck(web.CheckDatabase, func(context.Context) error { return nil })
	h := s.Handler()
	req := httptest.NewRequest("GET", "/readyz", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkMetricsScrape is one Prometheus scrape with every ivrd series present once.
func BenchmarkMetricsScrape(b *testing.B) {
	s := web.New(web.Options{Logger: slog.New(slog.DiscardHandler)})
	m := s.Metrics()
	m.CallsInProgress.WithLabelValues("fs1").Set(10)
	m.CallsTotal.WithLabelValues("hotline", "completed").Add(100)
	m.StepSeconds.WithLabelValues("menu").Observe(0.003)
	m.QueueWaiting.WithLabelValues("cards").Set(3)
	h := s.Handler()
	req := httptest.NewRequest("GET", "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
