package ivr

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/sms"
)

// BenchmarkHotlineCalls drives the shipped hotline flow over real ESL: the FreeSWITCH
// emulator places b.N calls at a fixed rate into ivrd's outbound socket; each caller picks
// English, asks for the balance, types the account, confirms it and asks for a text (five
// key presses, two lookups, a text). It reports:
//
//	calls/s          new calls per second the run kept up (every call must also end well:
//	                 failed_calls)
//	peak_calls       most calls up at once
//	dtmf_p50_ms      time from the key press that completes an entry (as the switch sees it)
//	dtmf_p99_ms      to the next command ivrd sends (as the switch sees it), round trip
//	                 over TCP included
//	ivrd_KB/call     heap and stack memory of ivrd's side (packages ivr and esl, not the
//	                 emulator) per call up, at the peak
//	process_KB/call  the whole process (ivrd and the emulator) per call up, at the peak
//	leaked_goroutines goroutines still running once every call ended
//
// Environment: IVRD_BENCH_RATE (new calls per second, default 500), IVRD_BENCH_SPEED (how
// much faster than real time the emulated prompts play, default 5: a call then lasts about
// 3 s; 0.3 makes it about 50 s, so 100 calls/s keep about 5,000 calls up) and
// IVRD_BENCH_SNAPSHOT_AT (the call after which memory is measured, default 3/4 of b.N; "off"
// for none: the snapshot stops the world for seconds when thousands of calls are up). Run:
//
//	go test ./ivr -run '^$' -bench HotlineCalls -benchtime 20000x -timeout 20m
func BenchmarkHotlineCalls(b *testing.B) {
	rate := envFloat("IVRD_BENCH_RATE", 500)
	speed := envFloat("IVRD_BENCH_SPEED", 5)
	const memRate = 64 * 1024
	runtime.MemProfileRate = memRate

	ctx := context.Background()
	fs, err := fstest.Start(ctx, fstest.Options{Clock: fstest.ScaledClock(speed)})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()

	var cal Calendar
	if err := cal.UnmarshalYAML(benchYAMLNode(b, "timezone: America/New_York\nhours:\n  mon-sun: 00:00-24:00\n")); err != nil {
		b.Fatal(err)
	}
	set, ds := LoadFiles(&Catalog{Calendars: map[string]*Calendar{"bank": &cal}, SkipFileCheck: true}, "../flows/hotline.yaml")
	if ds.HasErrors() {
		b.Fatal(ds.Err())
	}
	var texts atomic.Int64
	rt, err := NewRuntime(Config{
		Flows:  NewFlowSet(VersionedFlow{Flow: set.ByName["hotline"], Version: "bench"}),
		HTTP:   &http.Client{Transport: benchBank{}},
		Texter: texterFunc(func(context.Context, sms.Text) (sms.Queued, error) { texts.Add(1); return sms.Queued{}, nil }),
		Logger: slog.New(slog.DiscardHandler),
		// A call whose prompt FreeSWITCH never reports finished fails in a minute, not ten.
		MediaTimeout: time.Minute,
	})
	if err != nil {
		b.Fatal(err)
	}
	var outcomes sync.Map
	var errorsLogged atomic.Int64
	srv, err := esl.Listen(ctx, "127.0.0.1:0", func(ctx context.Context, call *esl.Call) {
		rec := rt.Run(ctx, NewESLChannel(call, slog.New(slog.DiscardHandler)), CallOptions{Flow: "hotline"})
		n, _ := outcomes.LoadOrStore(rec.Outcome, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if rec.Outcome == OutcomeError && errorsLogged.Add(1) <= 3 {
			b.Logf("call %s: %s", rec.ID, rec.Error)
		}
	}, esl.ServerOptions{FilterEvents: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fs.Dialplan().Add("default", "5000", fstest.Socket(srv.Addr().String()))

	script := []fstest.Step{
		{On: fstest.OnPrompt("For English"), DTMF: "1"},
		{On: fstest.OnPrompt("For your balance"), DTMF: "1"},
		{On: fstest.OnPrompt("8 digit account"), DTMF: "12345678"},
		{On: fstest.OnPrompt("You entered"), DTMF: "1"},
		{On: fstest.OnPrompt("available balance"), DTMF: "2"},
	}

	runtime.GC()
	baseline := takeLeakBaseline()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		wg        sync.WaitGroup
		up        atomic.Int64
		peak      atomic.Int64
		snapOnce  sync.Once
		snap      memSnapshot
		// The memory snapshot stops the world; key presses around it are not counted.
		pauseFrom, pauseTo time.Time
	)
	interval := time.Duration(float64(time.Second) / rate)
	snapAt := int(envFloat("IVRD_BENCH_SNAPSHOT_AT", float64(b.N*3/4)))
	if os.Getenv("IVRD_BENCH_SNAPSHOT_AT") == "off" {
		snapAt = -1 // latency only: the snapshot stops the world for seconds at thousands of calls
	} else if snapAt >= b.N {
		snapAt = b.N * 3 / 4
	}
	b.ResetTimer()
	start := time.Now()
	next := start
	for i := 0; i < b.N; i++ {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(interval)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			defer cancel()
			c, err := fs.PlaceCall(cctx, fstest.CallSpec{CallerNumber: fmt.Sprintf("+1555%07d", i), Script: script})
			if err != nil {
				mu.Lock()
				failures++
				mu.Unlock()
				return
			}
			n := up.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			res, err := c.Wait(cctx)
			up.Add(-1)
			mu.Lock()
			for _, k := range fstest.KeyLatencies(c.Events(), speed) {
				// Key presses around the memory snapshot (the world stopped) are not counted.
				if k.Command.Before(pauseFrom) || k.DTMF.After(pauseTo) {
					latencies = append(latencies, k.Took)
				}
			}
			if err != nil || res.Cause != "NORMAL_CLEARING" {
				failures++
				if failures <= 3 {
					b.Logf("call %s failed (%v, cause %s): %v", c.UUID(), err, res.Cause, c.Events())
				}
			}
			mu.Unlock()
		}()
		// Measure memory once, when the calls up reach their steady state.
		if i == snapAt {
			snapOnce.Do(func() {
				from := fs.Clock().Now()
				snap = takeMemSnapshot(int(up.Load()), memRate)
				mu.Lock()
				pauseFrom, pauseTo = from, fs.Clock().Now().Add(time.Duration(float64(time.Second)*speed))
				mu.Unlock()
			})
		}
	}
	placed := time.Since(start)
	wg.Wait()
	b.StopTimer()

	// Every call ended: wait for the runtime to finish the last ones, then count goroutines.
	deadline := time.Now().Add(30 * time.Second)
	for srv.ActiveCalls() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// Wait (cheaply) for the goroutine count to come back down, then compare stacks once:
	// dumping thousands of stacks repeatedly would stop the world for seconds.
	for tries := 0; tries < 200 && runtime.NumGoroutine() > len(baseline); tries++ {
		time.Sleep(50 * time.Millisecond)
	}
	leaked := baseline.newer()

	b.ReportMetric(float64(b.N)/placed.Seconds(), "calls/s")
	b.ReportMetric(float64(peak.Load()), "peak_calls")
	b.ReportMetric(pctMs(latencies, 0.50), "dtmf_p50_ms")
	b.ReportMetric(pctMs(latencies, 0.99), "dtmf_p99_ms")
	if snap.calls > 0 {
		b.ReportMetric(snap.ivrdBytes/float64(snap.calls)/1024, "ivrd_KB/call")
		b.ReportMetric(float64(snap.process-(base.HeapInuse+base.StackInuse))/float64(snap.calls)/1024, "process_KB/call")
		b.ReportMetric(snap.ivrdGoroutines/float64(snap.calls), "ivrd_goroutines/call")
	}
	b.ReportMetric(float64(len(leaked)), "leaked_goroutines")
	b.ReportMetric(float64(failures), "failed_calls")
	var oc []string
	outcomes.Range(func(k, v any) bool {
		oc = append(oc, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	b.Logf("%d calls at %.0f/s (speed %gx): placed %.1f calls/s, all ended after %s, peak %d up, DTMF->command p50 %.2f ms p99 %.2f ms (%d samples), %d failed, outcomes %v, texts %d, leaked goroutines %d",
		b.N, rate, speed, float64(b.N)/placed.Seconds(), time.Since(start).Round(time.Second), peak.Load(), pctMs(latencies, 0.5), pctMs(latencies, 0.99), len(latencies), failures, oc, texts.Load(), len(leaked))
	if snap.calls > 0 {
		b.Logf("memory at %d calls up: ivrd %.1f KB/call (heap %.1f, stacks %.1f; %.1f goroutines/call), whole process %.1f KB/call",
			snap.calls, snap.ivrdBytes/float64(snap.calls)/1024, snap.ivrdHeap/float64(snap.calls)/1024,
			snap.ivrdStack/float64(snap.calls)/1024, snap.ivrdGoroutines/float64(snap.calls),
			float64(snap.process-(base.HeapInuse+base.StackInuse))/float64(snap.calls)/1024)
		b.Logf("ivrd heap by allocation site (top):\n%s", snap.top)
	}
	if len(leaked) > 0 {
		b.Errorf("%d goroutines leaked; first:\n%s", len(leaked), leaked[0])
	}
}

// pctMs is the p-th quantile of latencies in milliseconds.
func pctMs(latencies []time.Duration, p float64) float64 {
	return float64(fstest.Percentile(latencies, p)) / float64(time.Millisecond)
}

// memSnapshot is memory in use at one moment, split into ivrd's part and the whole process.
type memSnapshot struct {
	calls          int
	process        uint64
	ivrdHeap       float64
	ivrdStack      float64
	ivrdBytes      float64
	ivrdGoroutines float64
	top            string
}

// takeMemSnapshot attributes live heap to ivrd when an allocation's stack passes through
// package ivr or esl (not the emulator, esl/fstest), from the sampled heap profile scaled as
// pprof does, and stacks by counting ivrd's goroutines at the average stack size.
func takeMemSnapshot(calls, rate int) memSnapshot {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memSnapshot{calls: calls, process: ms.HeapInuse + ms.StackInuse}
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, false)
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		n, ok = runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:n]
			break
		}
	}
	bySite := map[string]float64{}
	for _, r := range recs {
		if r.InUseBytes() == 0 {
			continue
		}
		frames := runtime.CallersFrames(r.Stack())
		ours, site := false, ""
		for {
			f, more := frames.Next()
			if site == "" && !strings.HasPrefix(f.Function, "runtime.") {
				site = f.Function
			}
			if isIvrdFunc(f.Function) {
				ours = true
				if !strings.HasPrefix(site, "github.com/ivrd") {
					site = f.Function + " (" + site + ")"
				}
				break
			}
			if !more {
				break
			}
		}
		if !ours {
			continue
		}
		avg := float64(r.InUseBytes()) / float64(r.InUseObjects())
		scale := 1 / (1 - math.Exp(-avg/float64(rate)))
		v := float64(r.InUseBytes()) * scale
		s.ivrdHeap += v
		bySite[site] += v
	}
	var g int
	for _, stack := range goroutines() {
		for _, line := range strings.Split(stack, "\n") {
			if fn, _, ok := strings.Cut(strings.TrimSpace(line), "("); ok && isIvrdFunc(fn) {
				g++
				break
			}
		}
	}
	s.ivrdGoroutines = float64(g)
	s.ivrdStack = float64(ms.StackInuse) / float64(runtime.NumGoroutine()) * float64(g)
	s.ivrdBytes = s.ivrdHeap + s.ivrdStack
	type kv struct {
		k string
		v float64
	}
	var l []kv
	for k, v := range bySite {
		l = append(l, kv{k, v})
	}
	slices.SortFunc(l, func(a, b kv) int { return int(b.v - a.v) })
	var top bytes.Buffer
	for i, e := range l {
		if i == 12 {
			break
		}
		fmt.Fprintf(&top, "  %8.1f B/call  %s\n", e.v/float64(max(calls, 1)), e.k)
	}
	s.top = top.String()
	return s
}

// isIvrdFunc reports whether fn is ivrd's side of a call: packages ivr and esl, not the
// emulator.
func isIvrdFunc(fn string) bool {
	return (strings.HasPrefix(fn, "github.com/ivrd/ivrd/ivr.") || strings.HasPrefix(fn, "github.com/ivrd/ivrd/esl.")) &&
		!strings.Contains(fn, "fstest") && !strings.Contains(fn, "Benchmark") && !strings.Contains(fn, "takeMemSnapshot") && !strings.Contains(fn, "TestMain")
}

// benchBank answers the hotline's lookups in-process: the caller is not a customer (404)
// and the balance is 1234.50.
type benchBank struct{}

func (benchBank) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	status, body := 404, `{}`
	if strings.Contains(r.URL.Path, "balance") {
		status, body = 200, `{"account": {"balance": 1234.5, "currency": "USD"}}`
	}
	return &http.Response{StatusCode: status, Status: strconv.Itoa(status), Body: io.NopCloser(strings.NewReader(body)),
		Header: http.Header{}, Request: r, ProtoMajor: 1, ProtoMinor: 1}, nil
}

type texterFunc func(context.Context, sms.Text) (sms.Queued, error)

func (f texterFunc) Send(ctx context.Context, t sms.Text) (sms.Queued, error) { return f(ctx, t) }

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && v > 0 {
		return v
	}
	return def
}

func benchYAMLNode(b *testing.B, src string) ast.Node {
	f, err := parser.ParseBytes([]byte(src), 0)
	if err != nil {
		b.Fatal(err)
	}
	return f.Docs[0].Body
}
