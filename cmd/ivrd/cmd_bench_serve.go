package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
)

// benchStats is what the ivrd process of a split bench reports about itself on each "stats"
// line it reads (one JSON line back). "stats gc" collects garbage first, so heap is what is live.
type benchStats struct {
	Active     int            `json:"active"`     // calls ivrd has up
	Goroutines int            `json:"goroutines"` // runtime.NumGoroutine
	HeapInuse  uint64         `json:"heap_inuse"`
	StackInuse uint64         `json:"stack_inuse"`
	Outcomes   map[string]int `json:"outcomes"`
	Texts      int64          `json:"texts"`
	FirstError string         `json:"first_error,omitempty"`
}

// serveBenchIvrd is the ivrd side of a split bench: the hotline flow on a real outbound
// socket, the bank lookups answered in-process (they are not what is measured), texts
// counted. It prints "listening ADDR", then answers "stats" / "stats gc" lines on stdin with
// a benchStats JSON line, and on "stop" (or end of stdin) shuts down, writes the CPU profile
// and prints a last benchStats line. With memProfile, "stats gc" also writes the heap profile
// there.
func serveBenchIvrd(ctx context.Context, env *cmdEnv, flowFile, listen, profile, memProfile string) error {
	cal, err := ivr.ParseCalendar("bank", []byte("timezone: America/New_York\nhours:\n  mon-sun: 00:00-24:00\n"))
	if err != nil {
		return err
	}
	set, ds := ivr.LoadFiles(&ivr.Catalog{Calendars: map[string]*ivr.Calendar{"bank": cal}, SkipFileCheck: true}, flowFile)
	if ds.HasErrors() {
		return fmt.Errorf("load %s: %w", flowFile, ds.Err())
	}
	f := set.ByName["hotline"]
	if f == nil {
		return fmt.Errorf("%s has no flow named hotline; give the shipped flows/hotline.yaml with --flow", flowFile)
	}
	var texts atomic.Int64
	discard := slog.New(slog.DiscardHandler)
	rt, err := ivr.NewRuntime(ivr.Config{
		Flows:        ivr.NewFlowSet(ivr.VersionedFlow{Flow: f, Version: "bench"}),
		HTTP:         &http.Client{Transport: benchBankLookups{}},
		Texter:       benchTexter{&texts},
		Logger:       discard,
		MediaTimeout: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("start the runtime: %w", err)
	}
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		firstErr string
	)
	srv, err := esl.Listen(ctx, listen, func(ctx context.Context, call *esl.Call) {
		rec := rt.Run(ctx, ivr.NewESLChannel(call, discard), ivr.CallOptions{Flow: "hotline"})
		mu.Lock()
		outcomes[string(rec.Outcome)]++
		if rec.Outcome == ivr.OutcomeError && firstErr == "" {
			firstErr = fmt.Sprintf("call %s: %v", rec.ID, rec.Error)
		}
		mu.Unlock()
	}, esl.ServerOptions{FilterEvents: true, Logger: discard})
	if err != nil {
		return fmt.Errorf("listen for the emulator's calls: %w", err)
	}
	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			return fmt.Errorf("create the CPU profile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("start the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	stats := func(gc bool) benchStats {
		if gc {
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		defer mu.Unlock()
		oc := make(map[string]int, len(outcomes))
		for k, v := range outcomes {
			oc[k] = v
		}
		return benchStats{Active: srv.ActiveCalls(), Goroutines: runtime.NumGoroutine(), HeapInuse: ms.HeapInuse,
			StackInuse: ms.StackInuse, Outcomes: oc, Texts: texts.Load(), FirstError: firstErr}
	}
	out := json.NewEncoder(env.stdout)
	fmt.Fprintf(env.stdout, "listening %s\n", srv.Addr())
	sc := bufio.NewScanner(env.stdin)
	for sc.Scan() {
		cmd := strings.TrimSpace(sc.Text())
		if cmd == "stop" {
			break
		}
		st := stats(cmd == "stats gc")
		if cmd == "stats gc" && memProfile != "" {
			if err := writeHeapProfile(memProfile); err != nil {
				return err
			}
		}
		if err := out.Encode(st); err != nil {
			return fmt.Errorf("report stats: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down ivrd's socket: %w", err)
	}
	return out.Encode(stats(false))
}

// benchBankLookups answers the hotline's lookups in the ivrd process: the caller is not a
// customer (404) and the balance is 1234.50.
type benchBankLookups struct{}

func (benchBankLookups) RoundTrip(r *http.Request) (*http.Response, error) {
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

// benchTexter counts the texts the hotline sends instead of sending them.
type benchTexter struct{ n *atomic.Int64 }

func (t benchTexter) Send(context.Context, sms.Text) (sms.Queued, error) {
	t.n.Add(1)
	return sms.Queued{}, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create the heap profile: %w", err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("write the heap profile: %w", err)
	}
	return f.Close()
}
