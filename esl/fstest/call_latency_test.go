package fstest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeyLatenciesPairEachKeyWithTheNextCommand(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ev := []CallEvent{
		{Kind: KindApp, App: "answer", At: at(0)},     // no key before it: not a latency
		{Kind: KindDTMF, At: at(100)},                 // superseded by the next key
		{Kind: KindDTMF, At: at(110)},                 // the key the command answers
		{Kind: KindApp, App: "playback", At: at(130)}, // 20 ms emulated
		{Kind: KindApp, App: "playback", At: at(140)}, // no new key: not a latency
		{Kind: KindDTMF, At: at(200)},
		{Kind: KindApp, App: "hangup", At: at(240)}, // 40 ms emulated
	}
	got := KeyLatencies(ev, 10) // the clock ran 10x: real times are a tenth
	require.Len(t, got, 2)
	require.Equal(t, at(110), got[0].DTMF)
	require.Equal(t, at(130), got[0].Command)
	require.Equal(t, 2*time.Millisecond, got[0].Took)
	require.Equal(t, 4*time.Millisecond, got[1].Took)
}

func TestPercentileIsTheNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none gives zero", nil, 0.99, 0},
		{"one value is every quantile", ms(7), 0.5, 7 * time.Millisecond},
		{"median of unsorted input", ms(5, 1, 3, 2, 4), 0.5, 3 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
		{"p90 of ten is the ninth", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 0.90, 9 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Percentile(tc.in, tc.p))
		})
	}
}
