package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// benchChildArgs, when set in the environment, makes this test binary the ivrd process of a
// split bench (the arguments after "ivrd bench", one per line), before any test runs.
const benchChildArgs = "IVRD_BENCH_TEST_IVRD_ARGS"

func init() {
	if a := os.Getenv(benchChildArgs); a != "" {
		env := &cmdEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
		if err := runBench(context.Background(), env, strings.Split(a, "\n")); err != nil {
			os.Stderr.WriteString("ivrd bench --serve-ivrd: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// TestBenchSplitMeasuresIvrdInItsOwnProcess runs a handful of hotline calls with ivrd in a
// child process: every call is self-served, the table has every figure, and ivrd leaves no
// goroutine behind.
func TestBenchSplitMeasuresIvrdInItsOwnProcess(t *testing.T) {
	old := benchIvrdCommand
	benchIvrdCommand = func(ctx context.Context, args []string) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), benchChildArgs+"="+strings.Join(args, "\n"))
		return cmd, nil
	}
	t.Cleanup(func() { benchIvrdCommand = old })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	prof, heap := filepath.Join(t.TempDir(), "ivrd.pprof"), filepath.Join(t.TempDir(), "ivrd.heap")
	var out, errOut bytes.Buffer
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: os.Getenv}
	err := runBench(ctx, env, []string{"--calls", "8", "--rate", "20", "--speed", "20", "--cpuprofile", prof, "--memprofile", heap})
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	s := out.String()
	for _, label := range []string{"calls placed per second", "calls up at once (peak)", "DTMF -> next command p50 (ms",
		"DTMF -> next command p99 (ms", "ivrd CPU per call (ms)", "ivrd cores used", "Go heap+stacks (KB)",
		"RSS growth (KB)", "emulator share of the CPU"} {
		require.Regexp(t, regexp.MustCompile(regexp.QuoteMeta(label)+`.*\s-?[0-9.]+\s`), s)
	}
	require.Regexp(t, `calls that failed\s+0\s+0\s+ok`, s)
	require.Regexp(t, `ivrd goroutines left after the calls end\s+0\s+0\s+ok`, s)
	require.Contains(t, s, "ivrd outcomes map[self-served:8], texts 8")
	require.Contains(t, s, "share this machine's")
	require.FileExists(t, prof, "ivrd's CPU profile")
	require.FileExists(t, heap, "ivrd's heap profile")
}

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
