package callback

import (
	"context"
	"math"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
)

// BenchmarkPacing20PerSecond places callbacks at calls_per_second: 20 through River, the ESL
// pool and the emulator for CALLBACK_PACING_WINDOW (default 10s; 60s for the report) and
// reports the rate the switch saw (CHANNEL_CREATE of the callback legs), its error against
// 20/s, and the spread of the gaps between calls.
func BenchmarkPacing20PerSecond(b *testing.B) {
	window := 10 * time.Second
	if v := os.Getenv("CALLBACK_PACING_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(b, err)
		window = d
	}
	const rate = 20.0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := testConfig()
		cfg.CallsPerSecond = rate
		cfg.Workers = 40
		cfg.MaxPerNode = 100
		cfg.PerNumberPerDay = 1
		bb := setup(b, cfg, setupOpts{emulator: true})
		bb.fs.SetEndpoint(gw+"*", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 5 * time.Second})
		client, _ := bb.nodes.Client("fs1")
		ctx, cancel := context.WithCancel(context.Background())
		sub, err := client.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CHANNEL_CREATE"}})
		require.NoError(b, err)
		var mu sync.Mutex
		var at []time.Time
		go func() {
			for e := range sub.Events() {
				if e.Var(VarID) != "" {
					mu.Lock()
					at = append(at, time.Now())
					mu.Unlock()
				}
			}
		}()
		n := int(rate*window.Seconds()) + 1
		for k := range n {
			_, err := bb.svc.Request(ctx, Request{Source: SourceAPI, Key: itoa(int64(k)), Number: "+1415555" + itoa(int64(4000+k))})
			require.NoError(b, err)
		}
		b.StartTimer()
		require.NoError(b, bb.river.Start(ctx))
		require.Eventually(b, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(at) >= n
		}, window+time.Minute, 10*time.Millisecond)
		b.StopTimer()
		mu.Lock()
		span := at[n-1].Sub(at[0])
		got := float64(n-1) / span.Seconds()
		gaps := make([]float64, 0, n-1)
		for k := 1; k < n; k++ {
			gaps = append(gaps, float64(at[k].Sub(at[k-1]).Microseconds())/1000)
		}
		mu.Unlock()
		sort.Float64s(gaps)
		b.ReportMetric(got, "calls/s")
		b.ReportMetric(100*math.Abs(got-rate)/rate, "%error")
		b.ReportMetric(span.Seconds(), "s-window")
		b.ReportMetric(gaps[len(gaps)/2], "ms-gap-p50")
		b.ReportMetric(gaps[len(gaps)*99/100], "ms-gap-p99")
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = bb.river.StopAndCancel(sctx)
		scancel()
	}
}
