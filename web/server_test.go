package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/web"
)

type testBundle struct {
	srv  *web.Server
	base string // http://127.0.0.1:port
}

func setup(t *testing.T, opts web.Options) *testBundle {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := web.New(opts)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return &testBundle{srv: s, base: "http://" + s.Addr().String()}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func readyReport(t *testing.T, b *testBundle) (int, web.ReadyReport) {
	t.Helper()
	code, body := get(t, b.base+"/readyz")
	var rep web.ReadyReport
	require.NoError(t, json.Unmarshal([]byte(body), &rep), body)
	return code, rep
}

func TestHealthzAnswersWhileTheProcessIsUp(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	code, body := get(t, b.base+"/healthz")
	require.Equal(t, 200, code)
	require.Equal(t, "ok\n", body)
}

func TestReadyzIsOKWhenEveryCheckPasses(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	b.srv.AddCheck(web.CheckFreeSWITCH, func(context.Context) error { return nil })
	b.srv.AddCheck(web.CheckDatabase, func(context.Context) error { return nil })
	code, rep := readyReport(t, b)
	require.Equal(t, 200, code)
	require.True(t, rep.Ready)
	require.Empty(t, rep.Failing)
}

func TestReadyzNamesEveryFailingCheckWith503(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	b.srv.AddCheck(web.CheckFreeSWITCH, func(context.Context) error { return errors.New("no ESL connection to fs1") })
	b.srv.AddCheck(web.CheckDatabase, func(context.Context) error { return errors.New("connection refused") })
	b.srv.AddCheck("kannel", func(context.Context) error { return nil })
	code, rep := readyReport(t, b)
	require.Equal(t, 503, code)
	require.False(t, rep.Ready)
	require.Equal(t, []string{"database", "freeswitch"}, rep.Failing)
	require.Equal(t, "no ESL connection to fs1", rep.Errors["freeswitch"])
}

func TestReadyzFailsACheckThatDoesNotAnswerBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{ReadyTimeout: 50_000_000}) // 50ms: the check below never answers
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	b.srv.AddCheck(web.CheckDatabase, func(ctx context.Context) error { <-release; return nil })
	b.srv.AddCheck(web.CheckFreeSWITCH, func(context.Context) error { return nil })
	code, rep := readyReport(t, b)
	require.Equal(t, 503, code)
	require.Equal(t, []string{"database"}, rep.Failing)
	require.Contains(t, rep.Errors["database"], "deadline")
}

func TestReadyzTurnsUnavailableWhenDraining(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	b.srv.AddCheck(web.CheckDatabase, func(context.Context) error { return nil })
	b.srv.Drain()
	code, rep := readyReport(t, b)
	require.Equal(t, 503, code)
	require.True(t, rep.Draining)
	require.Empty(t, rep.Failing)
	code, _ = get(t, b.base+"/healthz")
	require.Equal(t, 200, code, "a draining ivrd is still alive")
}

func TestMetricsAreServedInPrometheusFormat(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	b.srv.Metrics().CallsInProgress.WithLabelValues("fs1").Set(2)
	code, body := get(t, b.base+"/metrics")
	require.Equal(t, 200, code)
	require.Contains(t, body, "# TYPE ivrd_calls_in_progress gauge")
	require.Contains(t, body, `ivrd_calls_in_progress{node="fs1"} 2`)
}

func TestMountServesAnotherPackagesHandler(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	b.srv.Mount("POST /sms/kannel", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write([]byte("got " + string(body)))
	}))
	resp, err := http.Post(b.base+"/sms/kannel", "text/plain", strings.NewReader("CALL ME"))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, "got CALL ME", string(body))

	code, _ := get(t, b.base+"/sms/kannel")
	require.Equal(t, http.StatusMethodNotAllowed, code)
	code, _ = get(t, b.base+"/nothing-here")
	require.Equal(t, http.StatusNotFound, code)
}

func TestShutdownLetsARequestInFlightFinishThenRefusesNewOnes(t *testing.T) {
	t.Parallel()
	s := web.New(web.Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	entered, release := make(chan struct{}), make(chan struct{})
	s.Mount("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = w.Write([]byte("finished"))
	}))
	require.NoError(t, s.Start(t.Context()))
	base := "http://" + s.Addr().String()

	type result struct {
		code int
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()
	<-entered

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a request was still in flight", err)
	case r := <-got:
		t.Fatalf("in-flight request ended before it was released: %+v", r)
	default:
	}
	close(release)

	r := <-got
	require.NoError(t, r.err)
	require.Equal(t, 200, r.code)
	require.Equal(t, "finished", r.body)
	require.NoError(t, <-shut)

	_, err := http.Get(base + "/healthz")
	require.Error(t, err, "a shut-down server must not accept connections")
}

func TestStartReportsABusyPortWithWhatToChange(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	other := web.New(web.Options{Addr: b.srv.Addr().String(), Logger: slog.New(slog.DiscardHandler)})
	err := other.Start(t.Context())
	require.ErrorContains(t, err, "listen.http")
}
