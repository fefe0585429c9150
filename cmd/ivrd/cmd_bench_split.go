package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ivrd/ivrd/esl/fstest"
)

// splitOptions is one split bench run: calls placed at rate per second, prompts played speed
// times faster than real time, ivrd serving flow, its CPU profile written to profile.
type splitOptions struct {
	calls       int
	rate, speed float64
	flow        string
	profile     string
	memProfile  string // ivrd's heap profile, taken with the memory figures
}

// benchIvrdCommand starts the ivrd process of a split run with args (after "ivrd bench");
// tests replace it to start their own binary.
var benchIvrdCommand = func(ctx context.Context, args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find ivrd's own binary to start the ivrd process: %w", err)
	}
	return exec.CommandContext(ctx, exe, append([]string{"bench"}, args...)...), nil
}

var splitTargets = []benchTarget{
	{"placed/s", "calls placed per second", ">= 500", nil},
	{"peak", "calls up at once (peak)", ">= 5000", func(v float64) bool { return v >= 5000 }},
	{"failed", "calls that failed", "0", func(v float64) bool { return v == 0 }},
	{"p50", "DTMF -> next command p50 (ms, at the emulator)", "", nil},
	{"p99", "DTMF -> next command p99 (ms, at the emulator)", "< 5", func(v float64) bool { return v < 5 }},
	{"cpu_ms", "ivrd CPU per call (ms)", "", nil},
	{"cores", "ivrd cores used (average while placing calls)", "", nil},
	{"go_kb", "ivrd memory per call: Go heap+stacks (KB)", "< 64", func(v float64) bool { return v < 64 }},
	{"rss_kb", "ivrd memory per call: RSS growth (KB)", "< 64", func(v float64) bool { return v < 64 }},
	{"still_up", "calls ivrd still had up after the emulator ended all", "0", func(v float64) bool { return v == 0 }},
	{"leaked", "ivrd goroutines left after the calls end", "0", func(v float64) bool { return v == 0 }},
	{"emu_share", "emulator share of the CPU both used (%)", "", nil},
}

// benchIvrd is the ivrd process of a split run and the line protocol to it.
type benchIvrd struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	mu   sync.Mutex
	addr string
}

func (p *benchIvrd) stats(gc bool) (benchStats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	req := "stats\n"
	if gc {
		req = "stats gc\n"
	}
	if _, err := io.WriteString(p.in, req); err != nil {
		return benchStats{}, fmt.Errorf("ask ivrd for its stats: %w", err)
	}
	return p.read()
}

func (p *benchIvrd) read() (benchStats, error) {
	var s benchStats
	if !p.out.Scan() {
		return s, fmt.Errorf("ivrd process stopped answering: %v", p.out.Err())
	}
	if err := json.Unmarshal(p.out.Bytes(), &s); err != nil {
		return s, fmt.Errorf("read ivrd's stats %q: %w", p.out.Text(), err)
	}
	return s, nil
}

// procCPU is a process's user+system CPU time from /proc/PID/stat (clock ticks of 1/100 s,
// Linux's USER_HZ).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read ivrd's CPU time: %w", err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14 utime
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15 stime
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// procRSS is a process's resident memory from /proc/PID/status.
func procRSS(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read ivrd's memory: %w", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runBenchSplit runs ivrd in a child process and the emulator here as the load generator, and
// prints the figures of ivrd's process alone.
func runBenchSplit(ctx context.Context, env *cmdEnv, o splitOptions) error {
	if o.calls <= 0 || o.rate <= 0 || o.speed <= 0 {
		return errors.New("--calls, --rate and --speed must be above 0")
	}
	args := []string{"--serve-ivrd", "--flow", o.flow}
	if o.profile != "" {
		args = append(args, "--cpuprofile", o.profile)
	}
	if o.memProfile != "" {
		args = append(args, "--memprofile", o.memProfile)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd, err := benchIvrdCommand(cctx, args)
	if err != nil {
		return err
	}
	p := &benchIvrd{cmd: cmd}
	cmd.Stderr = env.stderr
	if p.in, err = cmd.StdinPipe(); err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the ivrd process: %w", err)
	}
	defer func() { _ = p.in.Close(); _ = cmd.Wait() }()
	p.out = bufio.NewScanner(stdout)
	p.out.Buffer(make([]byte, 1<<16), 1<<20)
	if !p.out.Scan() || !strings.HasPrefix(p.out.Text(), "listening ") {
		return fmt.Errorf("the ivrd process did not start (%q); its errors are above", p.out.Text())
	}
	p.addr = strings.TrimPrefix(p.out.Text(), "listening ")
	pid := cmd.Process.Pid

	emu, err := fstest.Start(ctx, fstest.Options{Clock: fstest.ScaledClock(o.speed), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer emu.Close()
	emu.Dialplan().Add("default", "5000", fstest.Socket(p.addr))
	script := []fstest.Step{
		{On: fstest.OnPrompt("For English"), DTMF: "1"},
		{On: fstest.OnPrompt("For your balance"), DTMF: "1"},
		{On: fstest.OnPrompt("8 digit account"), DTMF: "12345678"},
		{On: fstest.OnPrompt("You entered"), DTMF: "1"},
		{On: fstest.OnPrompt("available balance"), DTMF: "2"},
	}

	base, err := p.stats(true)
	if err != nil {
		return err
	}
	baseRSS, err := procRSS(pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "ivrd (pid %d) serving %s on %s; this process (pid %d) is the emulator placing %d calls at %.0f/s, prompts at %gx speed ...\n",
		pid, o.flow, p.addr, os.Getpid(), o.calls, o.rate, o.speed)
	cpu0, err := procCPU(pid)
	if err != nil {
		return err
	}
	self0 := selfCPU()

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		failNotes []string
		wg        sync.WaitGroup
		up, peak  atomic.Int64
		memCalls  int
		memGo     float64
		memRSS    float64
	)
	snapAt := o.calls * 3 / 4
	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	next := start
	for i := 0; i < o.calls; i++ {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(interval)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := emu.PlaceCall(ctx, fstest.CallSpec{CallerNumber: fmt.Sprintf("+1555%07d", i), Script: script})
			if err != nil {
				mu.Lock()
				failures++
				failNotes = append(failNotes, err.Error())
				mu.Unlock()
				return
			}
			n := up.Add(1)
			for pk := peak.Load(); n > pk && !peak.CompareAndSwap(pk, n); pk = peak.Load() {
			}
			wctx, wcancel := context.WithTimeout(ctx, 3*time.Minute)
			res, err := c.Wait(wctx)
			wcancel()
			if err != nil { // given up on: hang it up so ivrd ends its side too
				c.Hangup("NORMAL_CLEARING")
				hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
				_, _ = c.Wait(hctx)
				hcancel()
			}
			up.Add(-1)
			var lat []time.Duration
			for _, k := range fstest.KeyLatencies(c.Events(), o.speed) {
				lat = append(lat, k.Took)
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			if err != nil || res.Cause != "NORMAL_CLEARING" {
				failures++
				if len(failNotes) < 3 {
					failNotes = append(failNotes, fmt.Sprintf("call %s: %v, cause %s", c.UUID(), err, res.Cause))
				}
			}
			mu.Unlock()
		}()
		if i == snapAt { // memory once, in the steady state (a GC in ivrd, concurrent with its calls)
			s, err := p.stats(true)
			if err != nil {
				return err
			}
			rss, err := procRSS(pid)
			if err != nil {
				return err
			}
			if s.Active > 0 {
				memCalls = s.Active
				memGo = float64(int64(s.HeapInuse+s.StackInuse)-int64(base.HeapInuse+base.StackInuse)) / float64(s.Active) / 1024
				memRSS = float64(int64(rss)-int64(baseRSS)) / float64(s.Active) / 1024
			}
		}
	}
	placed := time.Since(start)
	cpuPlaced, err := procCPU(pid)
	if err != nil {
		return err
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := procCPU(pid)
	if err != nil {
		return err
	}
	self1 := selfCPU()

	// Every call ended at the switch: wait for ivrd to end its side and its goroutines to go.
	var end benchStats
	for tries := 0; tries < 200; tries++ {
		if end, err = p.stats(false); err != nil {
			return err
		}
		if end.Active == 0 && end.Goroutines <= base.Goroutines {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := io.WriteString(p.in, "stop\n"); err != nil {
		return fmt.Errorf("stop the ivrd process: %w", err)
	}
	if _, err := p.read(); err != nil {
		return err
	}
	_ = p.in.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("the ivrd process: %w", err)
	}

	ivrdCPU, emuCPU := cpu1-cpu0, self1-self0
	figures := map[string]float64{
		"placed/s":  round2(float64(o.calls) / placed.Seconds()),
		"peak":      float64(peak.Load()),
		"failed":    float64(failures),
		"p50":       round2(ms(fstest.Percentile(latencies, 0.50))),
		"p99":       round2(ms(fstest.Percentile(latencies, 0.99))),
		"cpu_ms":    round2(float64(ivrdCPU) / float64(time.Millisecond) / float64(o.calls)),
		"cores":     round2((cpuPlaced - cpu0).Seconds() / placed.Seconds()),
		"still_up":  float64(end.Active),
		"leaked":    float64(max(end.Goroutines-base.Goroutines, 0)),
		"emu_share": round2(100 * emuCPU.Seconds() / max((ivrdCPU+emuCPU).Seconds(), 1e-9)),
	}
	if memCalls > 0 {
		figures["go_kb"], figures["rss_kb"] = round2(memGo), round2(memRSS)
	}
	fmt.Fprintf(env.stdout, "\n%d calls at %.0f/s (prompts %gx), all ended after %s; %d DTMF samples; memory measured at %d calls up; ivrd CPU %s, emulator CPU %s\n",
		o.calls, o.rate, o.speed, elapsed.Round(time.Millisecond), len(latencies), memCalls, ivrdCPU.Round(time.Millisecond), emuCPU.Round(time.Millisecond))
	fmt.Fprintf(env.stdout, "ivrd and the emulator are separate processes but share this machine's %d CPUs: latency and calls/s include the emulator competing for them.\n\n", numCPU())
	printTargets(env.stdout, splitTargets, figures)
	fmt.Fprintf(env.stdout, "\nivrd outcomes %v, texts %d\n", end.Outcomes, end.Texts)
	if end.FirstError != "" {
		fmt.Fprintf(env.stdout, "first ivrd error: %s\n", end.FirstError)
	}
	for _, n := range failNotes {
		if len(n) > 400 {
			n = n[:400] + " ..."
		}
		fmt.Fprintf(env.stdout, "failed: %s\n", n)
	}
	if o.memProfile != "" {
		fmt.Fprintf(env.stdout, "\nivrd's heap profile at %d calls up: %s (go tool pprof -sample_index inuse_space -top %s)\n", memCalls, o.memProfile, o.memProfile)
	}
	if o.profile != "" {
		fmt.Fprintf(env.stdout, "\nivrd's CPU profile: %s (go tool pprof -top %s)\n", o.profile, o.profile)
		if goBin, err := exec.LookPath("go"); err == nil {
			top := exec.CommandContext(ctx, goBin, "tool", "pprof", "-top", "-nodecount", "25", o.profile)
			top.Stdout, top.Stderr = env.stdout, env.stderr
			if err := top.Run(); err != nil {
				return fmt.Errorf("go tool pprof: %w", err)
			}
		}
	}
	return nil
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }
