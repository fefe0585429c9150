package recordings

import (
	"context"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkPipelineOffline is the whole offline path for a burst of 8 kHz recordings (the
// call-centre sentences, about 4 s each): Submit (check, store, enqueue), River, the
// transcriber with its default bounded concurrency (cores-1 decoders on low-priority
// threads), scoring and storing. It reports recordings per minute.
func BenchmarkPipelineOffline(b *testing.B) {
	rules, err := LoadRules("testdata/qa.yaml")
	if err != nil {
		b.Fatal(err)
	}
	workers := max(1, runtime.NumCPU()-1)
	s, err := NewSphinx(OfflineConfig{Workers: workers}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	bundle := setup(b, Config{Offline: OfflineConfig{Workers: workers}}, PipelineOptions{Rules: rules, Offline: s})
	client := bundle.client(b, true)
	var paths []string
	for _, text := range callCentre {
		paths = append(paths, speech(b, text, 8000))
	}
	ctx := context.Background()
	n := 0
	b.ResetTimer()
	for b.Loop() {
		var ids []int64
		for _, p := range paths {
			n++
			c := testCall("bench-"+strconv.Itoa(n), p)
			c.Duration = 0
			rec, err := bundle.pipe.Submit(ctx, client, c)
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, rec.ID)
		}
		for _, id := range ids {
			if d := bundle.waitDelivery(b, id, OfflineDestination); d.Status != DeliverySent {
				b.Fatalf("recording %d: %s", id, d.Reason)
			}
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Minutes(), "recordings/min")
	b.ReportMetric(float64(workers), "decoders")
}
