package ivr

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ivrd/ivrd/esl"
)

// BenchmarkQueue2000Waiting puts 2,000 callers in one queue at once, over real ESL, with hold
// music and announcements running (a promotion every 5 s, the position and wait every 10 s,
// wall-clock time), then frees one agent at a time (b.N agents, at most 50) and measures how
// long the head caller takes to be handed over: from Login to the bridge arriving at the
// switch (hold music broken with uuid_break, bridge sent), as the switch reports it. The
// FreeSWITCH emulator runs as a separate process (ivrd emulator, built by the benchmark), so
// this process's CPU and memory are ivrd's: the queue engine, the runtime, the ESL server,
// plus the small inbound client that places the calls. It reports:
//
//	join_s            time for the 2,000 callers to be placed and waiting
//	ivrd_cpu_cores    CPU used by this process over 10 s of steady hold (1 = one core)
//	ivrd_KB/caller    heap+stack of ivrd's side (packages ivr, esl) per waiting caller
//	rss_MB            the process's resident memory with 2,000 waiting
//	goroutines/caller goroutines of the process per waiting caller
//	handoff_p50_ms    Login to bridge at the switch, median / 99th percentile / worst
//	handoff_p99_ms
//	handoff_max_ms
//	announcements/s   announcements and promotions played per second across the queue
//
// Run (needs the go tool to build the emulator):
//
//	go test ./ivr -run '^$' -bench Queue2000Waiting -benchtime 20x -timeout 10m
func BenchmarkQueue2000Waiting(b *testing.B) {
	const callers = 2000
	agents := min(max(b.N, 1), 50)
	const memRate = 64 * 1024
	runtime.MemProfileRate = memRate
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)

	var agentList []string
	var agentNums []string
	for i := 0; i < agents; i++ {
		agentNums = append(agentNums, strconv.Itoa(3000+i))
		agentList = append(agentList, "user/"+agentNums[i])
	}
	engine, err := NewQueueEngine(QueueEngineOptions{Queues: map[string]*QueueConfig{"general": {Agents: agentList, MaxLength: callers + 10}}, Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	if err := engine.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = engine.Stop(context.Background()) }()
	for _, a := range agentList {
		if err := engine.Logout(ctx, "general", a); err != nil {
			b.Fatal(err)
		}
	}
	flow, ds := ParseFlow("bench.yaml", []byte(`
flow: q
prompts:
  promo: "Text us at 5000 for your balance."
  still: "Thanks for waiting."
holds:
  standard:
    music: tone_stream://%(2000,2000,440);loops=-1
    announce: still
    announce_every: 10s
    announce_position: true
    announce_wait: true
    promos: [promo]
    promo_every: 5s
    keys: {1: bye}
steps:
  agent:
    queue:
      name: general
      hold: standard
    next: bye
  bye:
    hangup:
`), &Catalog{SkipFileCheck: true})
	if ds.HasErrors() {
		b.Fatal(ds.Err())
	}
	var plays sync.Map
	rt, err := NewRuntime(Config{Flows: NewFlowSet(VersionedFlow{Flow: flow, Version: "bench"}), Queues: engine, Logger: quiet, MediaTimeout: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := esl.Listen(ctx, "127.0.0.1:0", func(ctx context.Context, call *esl.Call) {
		rt.Run(ctx, &countingChannel{ESLChannel: NewESLChannel(call, quiet), plays: &plays}, CallOptions{Flow: "q"})
	}, esl.ServerOptions{FilterEvents: true, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	// The switch: ivrd emulator in its own process.
	dir := b.TempDir()
	bin := filepath.Join(dir, "ivrd")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ivrd").CombinedOutput(); err != nil {
		b.Fatalf("build ivrd: %v\n%s", err, out)
	}
	inbound := freeAddr(b)
	emu := exec.CommandContext(ctx, bin, "emulator", "--listen", inbound, "--password", "ClueCon", "--outbound", srv.Addr().String(),
		"--speed", "10", "--agents", strings.Join(agentNums, ","), "--agent-ring", "0s")
	emu.Stderr = os.Stderr
	if err := emu.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = emu.Process.Kill(); _ = emu.Wait() }()
	dial := func() *esl.Client {
		for tries := 0; ; tries++ {
			dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
			c, err := esl.Dial(dctx, esl.Node{Name: "emu", Address: inbound, Password: "ClueCon"},
				esl.ClientOptions{Logger: quiet, CommandTimeout: 2 * time.Minute})
			dcancel()
			if err == nil {
				return c
			}
			if tries == 100 {
				b.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	const placers = 8
	var clients []*esl.Client
	for i := 0; i < placers; i++ {
		c := dial()
		defer c.Close()
		clients = append(clients, c)
	}
	bridges, err := clients[0].Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CHANNEL_EXECUTE"}, Filters: []esl.Filter{{Header: "Application", Value: "bridge"}}})
	if err != nil {
		b.Fatal(err)
	}

	start := time.Now()
	var wg sync.WaitGroup
	for p := 0; p < placers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < callers; i += placers {
				actx, acancel := context.WithTimeout(ctx, 2*time.Minute)
				out, err := clients[p].API(actx, fmt.Sprintf("fstest_call 5000 +1555%07d", i))
				acancel()
				if err != nil || !strings.HasPrefix(out, "+OK") {
					b.Errorf("place call %d: %q %v", i, out, err)
				}
			}
		}()
	}
	wg.Wait()
	for {
		s, err := engine.QueueStats(ctx, "general")
		if err != nil {
			b.Fatal(err)
		}
		if s.Waiting == callers {
			break
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d callers waiting after 5 minutes", s.Waiting, callers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	joined := time.Since(start)

	// Steady hold: CPU over 10 s while music, promotions and announcements run.
	time.Sleep(3 * time.Second)
	playsBefore := countPlays(&plays)
	cpu0, wall0 := processCPU(), time.Now()
	time.Sleep(10 * time.Second)
	cpu := processCPU() - cpu0
	wall := time.Since(wall0)
	played := countPlays(&plays) - playsBefore
	snap := takeMemSnapshot(callers, memRate)
	rss := residentMB()
	goroutines := runtime.NumGoroutine()

	b.ResetTimer()
	var handoffs []time.Duration
	for i := 0; i < agents; i++ {
		t0 := time.Now()
		if err := engine.Login(ctx, "general", agentList[i]); err != nil {
			b.Fatal(err)
		}
		select {
		case <-bridges.Events():
			handoffs = append(handoffs, time.Since(t0))
		case <-time.After(30 * time.Second):
			b.Fatalf("agent %d: no bridge within 30 s", i)
		}
	}
	b.StopTimer()
	slices.Sort(handoffs)
	b.ReportMetric(joined.Seconds(), "join_s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "ivrd_cpu_cores")
	b.ReportMetric(snap.ivrdBytes/callers/1024, "ivrd_KB/caller")
	b.ReportMetric(rss, "rss_MB")
	b.ReportMetric(float64(goroutines)/callers, "goroutines/caller")
	b.ReportMetric(pctMs(handoffs, 0.5), "handoff_p50_ms")
	b.ReportMetric(pctMs(handoffs, 0.99), "handoff_p99_ms")
	b.ReportMetric(float64(handoffs[len(handoffs)-1].Microseconds())/1000, "handoff_max_ms")
	b.ReportMetric(float64(played)/wall.Seconds(), "announcements/s")
	b.Logf("ivrd memory by allocation site (per caller):\n%s", snap.top)
}

// countingChannel counts the announcements and promotions (speech) played.
type countingChannel struct {
	*ESLChannel
	plays *sync.Map
}

func (c *countingChannel) Play(ctx context.Context, media []Media, terminators string) (string, error) {
	if len(media) > 0 && media[0].Kind == MediaSpeech {
		n, _ := c.plays.LoadOrStore(c.ID(), new(int64))
		c.plays.Store(c.ID(), ptrAdd(n.(*int64)))
	}
	return c.ESLChannel.Play(ctx, media, terminators)
}

func ptrAdd(p *int64) *int64 { v := *p + 1; return &v }

func countPlays(m *sync.Map) int64 {
	var n int64
	m.Range(func(_, v any) bool { n += *v.(*int64); return true })
	return n
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func residentMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
