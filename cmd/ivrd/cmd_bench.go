package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func init() {
	register(command{
		name:    "bench",
		args:    "[--calls N] [--rate R] [--speed S] [--in-process] [--cpuprofile FILE] [--memprofile FILE]",
		summary: "load test: the hotline over real ESL against the emulator (calls/s, DTMF-to-command p99, memory per call, leaks)",
		run:     runBench,
	})
}

// ivrd bench is the load test of issue 4. By default (cmd_bench_split.go) ivrd serves the
// shipped hotline in a child process (`ivrd bench --serve-ivrd`, cmd_bench_serve.go) and this
// process is the load generator: the FreeSWITCH emulator places scripted calls at a fixed rate
// into ivrd's outbound socket over real TCP; each caller picks English, asks for the balance,
// types the account, confirms it and asks for a text. ivrd's CPU (/proc/PID/stat), RSS and Go
// memory and goroutines are then its own, not the emulator's (which costs about three times
// ivrd's CPU); the time from a key press to ivrd's next command is taken at the emulator. Both
// processes still share the machine's cores, which the output says.
//
// --in-process runs instead the runtime's Go benchmark BenchmarkHotlineCalls (package ivr) with
// `go test` from the source tree, ivrd and the emulator in one process.

// benchTarget is one figure and its goal.
type benchTarget struct {
	unit, label, goal string
	ok                func(v float64) bool
}

var benchTargets = []benchTarget{
	{"peak_calls", "calls up at once (peak)", ">= 5000", func(v float64) bool { return v >= 5000 }},
	{"calls/s", "calls completed per second", ">= 500 new calls/s placed", nil},
	{"dtmf_p50_ms", "DTMF -> next command p50 (ms)", "", nil},
	{"dtmf_p99_ms", "DTMF -> next command p99 (ms)", "< 5", func(v float64) bool { return v < 5 }},
	{"ivrd_KB/call", "ivrd memory per call (KB)", "< 64", func(v float64) bool { return v < 64 }},
	{"process_KB/call", "whole process per call, emulator included (KB)", "", nil},
	{"ivrd_goroutines/call", "ivrd goroutines per call", "", nil},
	{"leaked_goroutines", "goroutines left after the calls", "0", func(v float64) bool { return v == 0 }},
	{"failed_calls", "calls that failed", "0", func(v float64) bool { return v == 0 }},
}

func runBench(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd bench", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	calls := fs.Int("calls", 20000, "calls to place in all")
	rate := fs.Float64("rate", 500, "new calls per second")
	speed := fs.Float64("speed", 5, "how much faster than real time the emulated prompts play (5: a hotline call lasts about 10 s, so 500 calls/s keep about 5,000 up)")
	src := fs.String("src", "", "ivrd's source tree (default: the folder holding go.mod, from the current folder up)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the ivrd process (with --in-process: of ivrd and the emulator together) to this file and print its top functions")
	memProfile := fs.String("memprofile", "", "write a heap profile of the ivrd process, taken when its memory per call is measured, to this file")
	verbose := fs.Bool("v", false, "show the benchmark's own output")
	inProcess := fs.Bool("in-process", false, "run the Go benchmark BenchmarkHotlineCalls instead (ivrd and the emulator in one process; needs the Go toolchain)")
	flowFile := fs.String("flow", "", "the hotline flow ivrd serves (default flows/hotline.yaml in the source tree)")
	serveIvrd := fs.Bool("serve-ivrd", false, "internal: be the ivrd process of a split run (serves the hotline, answers stats on stdin)")
	listen := fs.String("listen", "127.0.0.1:0", "with --serve-ivrd: ivrd's outbound socket address")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd bench [--calls N] [--rate R] [--speed S]", fs.Args())
	}
	if *serveIvrd {
		return serveBenchIvrd(ctx, env, *flowFile, *listen, *profile, *memProfile)
	}
	root := *src
	if root == "" && (*inProcess || *flowFile == "") {
		var err error
		if root, err = moduleRoot(); err != nil {
			return err
		}
	}
	if !*inProcess {
		if *flowFile == "" {
			*flowFile = filepath.Join(root, "flows", "hotline.yaml")
		}
		return runBenchSplit(ctx, env, splitOptions{calls: *calls, rate: *rate, speed: *speed, flow: *flowFile, profile: *profile, memProfile: *memProfile})
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return errors.New("ivrd bench runs the runtime's Go benchmark and needs the Go toolchain on PATH (./run deps installs it)")
	}
	fmt.Fprintf(env.stdout, "Running BenchmarkHotlineCalls (package ivr): %d calls at %.0f/s, prompts at %gx speed ...\n", *calls, *rate, *speed)
	goArgs := []string{"test", "./ivr", "-run", "^$", "-bench", "^BenchmarkHotlineCalls$",
		"-benchtime", strconv.Itoa(*calls) + "x", "-count", "1", "-timeout", "60m"}
	if *profile != "" {
		abs, err := filepath.Abs(*profile)
		if err != nil {
			return err
		}
		*profile = abs
		goArgs = append(goArgs, "-cpuprofile", abs)
	}
	cmd := exec.CommandContext(ctx, goBin, goArgs...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), fmt.Sprintf("IVRD_BENCH_RATE=%g", *rate), fmt.Sprintf("IVRD_BENCH_SPEED=%g", *speed))
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run go test: %w", err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait(); pw.Close() }()
	var all strings.Builder
	figures := map[string]float64{}
	var notes []string
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		if *verbose {
			fmt.Fprintln(env.stdout, line)
		}
		if strings.HasPrefix(line, "BenchmarkHotlineCalls") {
			parseBenchLine(line, figures)
		} else if t := strings.TrimSpace(line); strings.HasPrefix(t, "runtime_bench_test.go:") || strings.Contains(t, "B/call") {
			notes = append(notes, t)
		}
	}
	if err := <-waitErr; err != nil || len(figures) == 0 {
		if !*verbose {
			for _, l := range strings.Split(strings.TrimRight(all.String(), "\n"), "\n") {
				if len(l) > 400 { // a failed call's whole event list
					l = l[:400] + " ..."
				}
				fmt.Fprintln(env.stdout, l)
			}
		}
		return fmt.Errorf("the benchmark failed (%v); its output is above (rerun with -v for all of it)", err)
	}
	fmt.Fprintf(env.stdout, "\n%d calls at %.0f/s on %d CPUs, %s\n\n", *calls, *rate, numCPU(), time.Since(start).Round(time.Second))
	printBenchTable(env.stdout, figures)
	if len(notes) > 0 && !*verbose {
		fmt.Fprintln(env.stdout, "\nDetails:")
		for _, n := range notes {
			fmt.Fprintln(env.stdout, "  "+n)
		}
	}
	if *profile != "" {
		fmt.Fprintf(env.stdout, "\nCPU profile %s (go tool pprof -http :0 %s), top functions:\n", *profile, *profile)
		top := exec.CommandContext(ctx, goBin, "tool", "pprof", "-top", "-nodecount", "25", *profile)
		top.Stdout, top.Stderr = env.stdout, env.stderr
		if err := top.Run(); err != nil {
			return fmt.Errorf("go tool pprof: %w", err)
		}
	}
	return nil
}

// parseBenchLine reads "BenchmarkX-2  N  v1 unit1  v2 unit2 ..." into figures by unit.
func parseBenchLine(line string, figures map[string]float64) {
	f := strings.Fields(line)
	for i := 2; i+1 < len(f); i += 2 {
		if v, err := strconv.ParseFloat(f[i], 64); err == nil {
			figures[f[i+1]] = v
		}
	}
}

func printBenchTable(w io.Writer, figures map[string]float64) {
	printTargets(w, benchTargets, figures)
}

// printTargets prints each figure measured with its goal and a verdict where there is one.
func printTargets(w io.Writer, targets []benchTarget, figures map[string]float64) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tMEASURED\tTARGET\t")
	for _, t := range targets {
		v, ok := figures[t.unit]
		if !ok {
			continue
		}
		verdict := ""
		if t.ok != nil {
			verdict = "ok"
			if !t.ok(v) {
				verdict = "MISSED"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.label, strconv.FormatFloat(v, 'f', -1, 64), t.goal, verdict)
	}
	_ = tw.Flush()
}

// moduleRoot finds the folder holding ivrd's go.mod, from the current folder up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/ivrd/ivrd") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("ivrd bench needs the hotline flow (and, with --in-process, ivrd's source tree): run it in the source folder, or give --flow flows/hotline.yaml (or --src DIR)")
		}
		dir = parent
	}
}

func numCPU() int { return runtime.NumCPU() }
