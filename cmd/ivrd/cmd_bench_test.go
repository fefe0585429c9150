package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBenchReadsTheBenchmarkLineAndJudgesTheTargets(t *testing.T) {
	t.Parallel()
	figures := map[string]float64{}
	parseBenchLine("BenchmarkHotlineCalls-2   	   20000	   2100000 ns/op	       412.5 calls/s	      5123 peak_calls	         0.21 dtmf_p50_ms	         7.5 dtmf_p99_ms	        59.4 ivrd_KB/call	         0 leaked_goroutines", figures)
	require.Equal(t, 5123.0, figures["peak_calls"])
	require.Equal(t, 7.5, figures["dtmf_p99_ms"])
	var out bytes.Buffer
	printBenchTable(&out, figures)
	require.Regexp(t, `calls up at once \(peak\)\s+5123\s+>= 5000\s+ok`, out.String())
	require.Regexp(t, `DTMF -> next command p99 \(ms\)\s+7.5\s+< 5\s+MISSED`, out.String())
	require.Regexp(t, `ivrd memory per call \(KB\)\s+59.4\s+< 64\s+ok`, out.String())
	require.Regexp(t, `goroutines left after the calls\s+0\s+0\s+ok`, out.String())
}

func TestBenchFindsTheSourceTreeFromASubfolder(t *testing.T) {
	t.Parallel()
	root, err := moduleRoot() // tests run in cmd/ivrd
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "ivr", "runtime_bench_test.go"), "the benchmark ivrd bench runs")
}
