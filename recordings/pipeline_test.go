package recordings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

// testBundle is a pipeline on a real database, with the River pieces to run it.
type testBundle struct {
	pool    *pgxpool.Pool
	pipe    *Pipeline
	workers *river.Workers
	webhook *webhookSink
}

// setup builds a pipeline from cfg (retries 50 ms apart, a webhook sink) on a fresh database.
func setup(t testing.TB, cfg Config, opts PipelineOptions) *testBundle {
	t.Helper()
	b := &testBundle{pool: pgtest.NewPool(t, Migrations), webhook: newWebhookSink(t)}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 50 * time.Millisecond
	}
	cfg.Webhook = Endpoint{URL: b.webhook.srv.URL}
	opts.Logger = slog.New(slog.DiscardHandler)
	var err error
	b.pipe, err = NewPipeline(cfg, b.pool, opts)
	require.NoError(t, err)
	b.workers = river.NewWorkers()
	b.pipe.AddWorkers(b.workers)
	return b
}

// client makes a River client for the pipeline's jobs; it is started unless start is false,
// and stopped when the test ends.
func (b *testBundle) client(t testing.TB, start bool) *river.Client[pgx.Tx] {
	t.Helper()
	c, err := river.NewClient(riverpgxv5.New(b.pool), &river.Config{
		Queues:            map[string]river.QueueConfig{Queue: {MaxWorkers: 2}},
		Workers:           b.workers,
		RetryPolicy:       b.pipe.RetryPolicy(),
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            slog.New(slog.DiscardHandler),
		TestOnly:          true,
	})
	require.NoError(t, err)
	if start {
		require.NoError(t, c.Start(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = c.StopAndCancel(ctx)
		})
	}
	return c
}

// waitDelivery waits until the delivery of recording id to dest is no longer pending. The
// limit is only a guard against a hang: decoders run niced, so on a busy machine they are slow.
func (b *testBundle) waitDelivery(t testing.TB, id int64, dest string) Delivery {
	t.Helper()
	var got Delivery
	require.Eventually(t, func() bool {
		ds, err := b.pipe.Store().Deliveries(context.Background(), id)
		require.NoError(t, err)
		for _, d := range ds {
			if d.Destination == dest && d.Status != DeliveryPending {
				got = d
				return true
			}
		}
		return false
	}, 5*time.Minute, 20*time.Millisecond, "delivery of recording %d to %s never settled", id, dest)
	return got
}

func testCall(id, path string) Call {
	return Call{CallID: id, Caller: "+4915112345678", Agent: "sarah", Queue: "billing", FlowPath: "hotline/main/billing",
		Start: time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC), Duration: 3 * time.Second, Path: path}
}

// webhookSink records webhook posts.
type webhookSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []WebhookArgs
}

func newWebhookSink(t testing.TB) *webhookSink {
	w := &webhookSink{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var a WebhookArgs
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.events = append(w.events, a)
		w.mu.Unlock()
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookSink) wait(t testing.TB, n int) []WebhookArgs {
	t.Helper()
	require.Eventually(t, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.events) >= n
	}, 2*time.Minute, 10*time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]WebhookArgs(nil), w.events...)
}

// qaServer is a QA endpoint that stores each recording once by its Idempotency-Key, as a
// well-behaved receiver does, and counts every request.
type qaServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	down     int // answer 503 to this many more requests
	requests int
	stored   map[string]Recording
	// hold, when set, is called after a request is read and stored, before it is answered.
	hold func(r *http.Request)
}

func newQAServer(t *testing.T, token string) *qaServer {
	q := &qaServer{stored: map[string]Recording{}}
	q.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q.mu.Lock()
		q.requests++
		down := q.down > 0
		if down {
			q.down--
		}
		hold := q.hold
		q.mu.Unlock()
		if down {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		meta, audio, err := readUpload(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(audio)
		if hex.EncodeToString(sum[:]) != meta.SHA256 || r.Header.Get("Idempotency-Key") != IdempotencyKey(&meta) {
			http.Error(w, "checksum or idempotency key mismatch", http.StatusBadRequest)
			return
		}
		q.mu.Lock()
		if _, dup := q.stored[r.Header.Get("Idempotency-Key")]; !dup {
			q.stored[r.Header.Get("Idempotency-Key")] = meta
		}
		q.mu.Unlock()
		if hold != nil {
			hold(r)
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(q.srv.Close)
	return q
}

func readUpload(r *http.Request) (Recording, []byte, error) {
	var meta Recording
	var audio []byte
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return meta, nil, err
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return meta, audio, nil
		}
		if err != nil {
			return meta, nil, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return meta, nil, err
		}
		switch p.FormName() {
		case "metadata":
			if err := json.Unmarshal(b, &meta); err != nil {
				return meta, nil, err
			}
		case "audio":
			audio = b
		}
	}
}

func (q *qaServer) counts() (requests, stored int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.requests, len(q.stored)
}

func httpOnly(t *testing.T, url string) Config {
	t.Setenv("QA_TOKEN", "s3cret")
	return Config{Offline: OfflineConfig{Disabled: true},
		Destinations: []Destination{{Name: "qa", Type: DestHTTP, Endpoint: Endpoint{URL: url, TokenEnv: "QA_TOKEN"}}}}
}

func TestPipelineDeliversOnceAfterTheEndpointWasDown(t *testing.T) {
	qa := newQAServer(t, "s3cret")
	qa.down = 3
	b := setup(t, httpOnly(t, qa.srv.URL), PipelineOptions{})
	client := b.client(t, true)

	rec, err := b.pipe.Submit(context.Background(), client, testCall("call-down", writeWAV(t, 8000, 1, 16, 1, 8000*3)))
	require.NoError(t, err)
	d := b.waitDelivery(t, rec.ID, "qa")

	require.Equal(t, DeliverySent, d.Status)
	require.Equal(t, 4, d.Attempts, "three 503s, then accepted")
	requests, stored := qa.counts()
	require.Equal(t, 4, requests)
	require.Equal(t, 1, stored)
	got := qa.stored[IdempotencyKey(rec)]
	require.Equal(t, "call-down", got.CallID)
	require.Equal(t, "billing", got.Queue)
	require.Equal(t, "hotline/main/billing", got.FlowPath)
	require.Equal(t, 3*time.Second, got.AudioDuration)

	events := b.webhook.wait(t, 1)
	require.Len(t, events, 1)
	require.Equal(t, EventSent, events[0].Event)
	require.Equal(t, "qa", events[0].Destination)
	require.Equal(t, rec.SHA256, events[0].SHA256)
}

func TestPipelineMarksAFailedDeliveryAndTellsTheWebhook(t *testing.T) {
	qa := newQAServer(t, "another token") // ivrd's token is refused: 401, not worth retrying
	b := setup(t, httpOnly(t, qa.srv.URL), PipelineOptions{})
	client := b.client(t, true)

	rec, err := b.pipe.Submit(context.Background(), client, testCall("call-401", writeWAV(t, 8000, 1, 16, 1, 8000*3)))
	require.NoError(t, err)
	d := b.waitDelivery(t, rec.ID, "qa")
	require.Equal(t, DeliveryFailed, d.Status)
	require.Equal(t, 1, d.Attempts)
	require.Contains(t, d.Reason, "401 Unauthorized")
	events := b.webhook.wait(t, 1)
	require.Equal(t, EventFailed, events[0].Event)
	require.Contains(t, events[0].Reason, "401")
	require.NotContains(t, events[0].Reason, "s3cret", "secrets never leave")
}

func TestPipelineReportsAHeaderOnlyWAVAndDoesNotForwardIt(t *testing.T) {
	qa := newQAServer(t, "s3cret")
	b := setup(t, httpOnly(t, qa.srv.URL), PipelineOptions{})
	client := b.client(t, true)
	ctx := context.Background()

	rec, err := b.pipe.Submit(ctx, client, testCall("call-44", writeWAV(t, 8000, 1, 16, 1, 0)))
	var ce *CheckError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, ReasonEmpty, ce.Reason)
	require.Equal(t, "empty", rec.CheckStatus)
	require.Equal(t, int64(44), rec.Size)

	st, err := b.pipe.Store().ScoreByCall(ctx, "call-44")
	require.NoError(t, err)
	require.False(t, st.Result.Passed)
	require.Contains(t, st.Result.Reason, "recording empty: header only (44 bytes")

	var jobs int
	require.NoError(t, b.pool.QueryRow(ctx, `select count(*) from river_job where kind = 'recording_forward'`).Scan(&jobs))
	require.Zero(t, jobs, "a bad recording is not forwarded")
	ds, err := b.pipe.Store().Deliveries(ctx, rec.ID)
	require.NoError(t, err)
	require.Empty(t, ds)

	events := b.webhook.wait(t, 1)
	require.Equal(t, EventRejected, events[0].Event)
	require.Contains(t, events[0].Reason, "header only")
	requests, _ := qa.counts()
	require.Zero(t, requests)

	// Hangup submits the same call again "for safety": nothing new happens.
	again, err := b.pipe.Submit(ctx, client, testCall("call-44", rec.Path))
	require.ErrorAs(t, err, &ce)
	require.Equal(t, rec.ID, again.ID)
}

func TestPipelineReportsAMissingRecording(t *testing.T) {
	b := setup(t, httpOnly(t, "http://127.0.0.1:1"), PipelineOptions{})
	client := b.client(t, false)
	rec, err := b.pipe.Submit(context.Background(), client, testCall("call-nomedia", "/nonexistent/call-nomedia.wav"))
	var ce *CheckError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, ReasonMissing, ce.Reason)
	require.Equal(t, "missing", rec.CheckStatus)
	require.Contains(t, rec.CheckDetail, "Media not enabled")
}

func TestPipelineDeliversOnceAfterTheWorkerDiesMidUpload(t *testing.T) {
	qa := newQAServer(t, "s3cret")
	b := setup(t, httpOnly(t, qa.srv.URL), PipelineOptions{})
	ctx := context.Background()

	// The first upload reaches the endpoint, which stores it, but ivrd dies before the answer.
	uploading := make(chan struct{})
	var once sync.Once
	qa.hold = func(r *http.Request) {
		first := false
		once.Do(func() { first = true })
		if first {
			close(uploading)
			<-r.Context().Done()
		}
	}
	first := b.client(t, false)
	require.NoError(t, first.Start(ctx))
	rec, err := b.pipe.Submit(ctx, first, testCall("call-killed", writeWAV(t, 8000, 1, 16, 1, 8000*3)))
	require.NoError(t, err)
	<-uploading
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, first.StopAndCancel(stopCtx))

	ds, err := b.pipe.Store().Deliveries(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, DeliveryPending, ds[0].Status, "the dead attempt settled nothing")

	// A new ivrd on the same database finishes the job.
	b.client(t, true)
	d := b.waitDelivery(t, rec.ID, "qa")
	require.Equal(t, DeliverySent, d.Status)
	require.Equal(t, 2, d.Attempts)
	requests, stored := qa.counts()
	require.Equal(t, 2, requests, "sent again after the restart")
	require.Equal(t, 1, stored, "with the same Idempotency-Key, so stored once")
	events := b.webhook.wait(t, 1)
	require.Len(t, events, 1)
	require.Equal(t, EventSent, events[0].Event)
}

func TestPipelineDeliversOnceAfterTheProcessIsKilledMidUpload(t *testing.T) {
	t.Parallel() // mostly waiting for River's leader to expire: overlap it with the decoding tests
	qa := newQAServer(t, "s3cret")
	uploading := make(chan struct{})
	var once sync.Once
	qa.hold = func(r *http.Request) {
		first := false
		once.Do(func() { first = true })
		if first {
			close(uploading)
			<-r.Context().Done() // until the uploader dies
		}
	}
	url := pgtest.NewMigratedDatabase(t, Migrations)
	ctx := context.Background()
	pool, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	token := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(token, []byte("s3cret"), 0o600))
	cfg := Config{RetryBase: 50 * time.Millisecond, Offline: OfflineConfig{Disabled: true},
		Destinations: []Destination{{Name: "qa", Type: DestHTTP, Endpoint: Endpoint{URL: qa.srv.URL, TokenFile: token}}}}
	pipe, err := NewPipeline(cfg, pool, PipelineOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	workers := river.NewWorkers()
	pipe.AddWorkers(workers)
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Workers: workers})
	require.NoError(t, err)
	rec, err := pipe.Submit(ctx, inserter, testCall("call-sigkill", writeWAV(t, 8000, 1, 16, 1, 8000*3)))
	require.NoError(t, err)

	// Another process picks the job up and is killed (SIGKILL: no cleanup at all) while the
	// endpoint is receiving the upload.
	worker := exec.Command(os.Args[0], "-test.run=^$")
	worker.Env = append(os.Environ(), workerProcessEnv+"=1", "IVRD_TEST_DB="+url, "IVRD_TEST_QA="+qa.srv.URL, "QA_TOKEN=s3cret")
	worker.Stderr = os.Stderr
	require.NoError(t, worker.Start())
	t.Cleanup(func() { _ = worker.Process.Kill(); _, _ = worker.Process.Wait() })
	select {
	case <-uploading:
	case <-time.After(2 * time.Minute):
		t.Fatal("the worker process never uploaded")
	}
	require.NoError(t, worker.Process.Kill())
	_, _ = worker.Process.Wait()

	var state string
	require.NoError(t, pool.QueryRow(ctx, `select state from river_job where kind = 'recording_forward'`).Scan(&state))
	require.Equal(t, "running", state, "the killed process left its job running, as a crash does")

	// ivrd restarts: once the dead process's River leadership expires (about 15 s), the new
	// leader rescues the stuck job and the upload is made again, with the same
	// Idempotency-Key, so the endpoint keeps one copy.
	restarted, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{Queue: {MaxWorkers: 2}}, Workers: workers, RetryPolicy: pipe.RetryPolicy(),
		FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		JobTimeout: 10 * time.Second, RescueStuckJobsAfter: 10 * time.Second, TestOnly: true,
	})
	require.NoError(t, err)
	require.NoError(t, restarted.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = restarted.StopAndCancel(sctx)
	})
	var d Delivery
	require.Eventually(t, func() bool {
		ds, err := pipe.Store().Deliveries(ctx, rec.ID)
		require.NoError(t, err)
		d = ds[0]
		return d.Status != DeliveryPending
	}, 5*time.Minute, 20*time.Millisecond)
	require.Equal(t, DeliverySent, d.Status, d.Reason)
	require.Equal(t, 2, d.Attempts)
	requests, stored := qa.counts()
	require.Equal(t, 2, requests, "sent again after the restart")
	require.Equal(t, 1, stored, "and stored once")
}
