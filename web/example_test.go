package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/ivrd/ivrd/web"
)

// The daemon builds one server, registers what readiness depends on, lets other packages
// mount their handlers, and serves.
func Example() {
	srv := web.New(web.Options{Addr: "127.0.0.1:8080", Logger: slog.New(slog.DiscardHandler)})
	srv.AddCheck(web.CheckDatabase, func(ctx context.Context) error { return nil })
	srv.AddCheck(web.CheckFreeSWITCH, func(ctx context.Context) error {
		return errors.New("no ESL connection to fs1")
	})
	srv.Mount("POST /sms/kannel/inbound", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Metrics().CallsInProgress.WithLabelValues("fs1").Set(0)

	// In the daemon: srv.Start(ctx), and on SIGTERM srv.Drain() then srv.Shutdown(ctx).
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	body, _ := io.ReadAll(rec.Body)
	fmt.Print(rec.Code, " ", string(body))

	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/sms/kannel/inbound", nil))
	fmt.Println(rec.Code)
	// Output:
	// 503 {"ready":false,"failing":["freeswitch"],"errors":{"freeswitch":"no ESL connection to fs1"}}
	// 202
}
