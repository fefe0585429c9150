package esl

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// eventStream returns the text/event-plain messages of a whole real call (trace 04, `event
// plain ALL`), byte-exact, and how many there are.
func eventStream(b *testing.B) ([]byte, int) {
	raw, err := os.ReadFile("fstest/testdata/traces/04_event_plain_ALL_ivr_call.raw")
	if err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	var out bytes.Buffer
	n := 0
	for {
		m, err := readMessage(br)
		if err != nil {
			break
		}
		if m.contentType() != typeEventPlain {
			continue
		}
		out.WriteString("Content-Length: " + itoa(len(m.body)) + "\nContent-Type: text/event-plain\n\n" + m.body)
		n++
	}
	return out.Bytes(), n
}

// loopReader repeats its bytes forever.
type loopReader struct {
	b   []byte
	off int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}

// BenchmarkEventsParsedAndDispatched: real FreeSWITCH events read, parsed and delivered in
// order to a subscriber that consumes them (run with -cpu 1 for the one-core figure).
func BenchmarkEventsParsedAndDispatched(b *testing.B) {
	stream, perLoop := eventStream(b)
	c, err := newClient(Node{Address: "x:1", Password: "p"}, quietClientOptions())
	if err != nil {
		b.Fatal(err)
	}
	sub := newSubscription(nil, nil)
	c.subs = []*clientSub{{sub: sub, all: true, names: map[string]bool{"ALL": true}}}
	cn := newConn(nil, bufio.NewReaderSize(&loopReader{b: stream}, 64<<10), connConfig{onEvent: func(e *Event) { c.onEvent(nil, e) }})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < b.N; i++ {
			<-sub.Events()
		}
	}()
	b.SetBytes(int64(len(stream) / perLoop))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		m, err := readMessage(cn.br)
		if err != nil {
			b.Fatal(err)
		}
		cn.dispatch(m)
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkCallEventDispatch: the same events through an outbound Call's state machine
// (variables, application completion, DTMF buffer) with no subscriber.
func BenchmarkCallEventDispatch(b *testing.B) {
	stream, _ := eventStream(b)
	br := bufio.NewReaderSize(&loopReader{b: stream}, 64<<10)
	data, _ := newEventPlain("Event-Name: CHANNEL_DATA\nUnique-ID: u\n\n")
	call := newCall(&conn{done: make(chan struct{})}, data, quietClientOptions().Logger)
	cn := newConn(nil, br, connConfig{onEvent: call.onEvent})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		m, err := readMessage(br)
		if err != nil {
			b.Fatal(err)
		}
		cn.dispatch(m)
		if i%1000 == 0 {
			call.FlushDTMF()
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// echoPeer is a minimal FreeSWITCH inbound socket that answers `api echo X` with X, so the
// benchmark measures this package's round trip, not an emulator.
func echoPeer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				bw := bufio.NewWriter(nc)
				_, _ = io.WriteString(nc, "Content-Type: auth/request\n\n")
				for {
					cmd, err := readClientCommand(br)
					if err != nil {
						return
					}
					switch {
					case strings.HasPrefix(cmd.line, "api echo "):
						body := strings.TrimPrefix(cmd.line, "api echo ")
						bw.WriteString("Content-Type: api/response\nContent-Length: " + itoa(len(body)) + "\n\n" + body)
					case strings.HasPrefix(cmd.line, "auth "):
						bw.WriteString("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
					default:
						bw.WriteString("Content-Type: command/reply\nReply-Text: +OK\n\n")
					}
					if br.Buffered() == 0 {
						_ = bw.Flush()
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkCommandRoundTrip: api commands one after another over loopback TCP.
func BenchmarkCommandRoundTrip(b *testing.B) {
	c, err := Dial(context.Background(), Node{Address: echoPeer(b), Password: "p"}, quietClientOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if out, err := c.API(ctx, "echo x"); err != nil || out != "x" {
			b.Fatal(out, err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "roundtrips/s")
}

// BenchmarkCommandRoundTripConcurrent: many goroutines sharing one connection (commands
// pipeline; replies still matched in order).
func BenchmarkCommandRoundTripConcurrent(b *testing.B) {
	c, err := Dial(context.Background(), Node{Address: echoPeer(b), Password: "p"}, quietClientOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if out, err := c.API(ctx, "echo y"); err != nil || out != "y" {
				b.Error(out, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "roundtrips/s")
}

// BenchmarkIdleCallMemory: memory held per call that is set up (connect, myevents, linger)
// and waiting in its handler. The figure includes the test's own client-side net.Conn per call.
func BenchmarkIdleCallMemory(b *testing.B) {
	var connectReply string
	for _, blk := range loadTrace(b, "05b_outbound_full_session.txt") {
		if blk.dir == "S->C" {
			connectReply = string(blk.data)
			break
		}
	}
	var ready sync.WaitGroup
	release := make(chan struct{})
	srv, err := Listen(context.Background(), "127.0.0.1:0", func(ctx context.Context, c *Call) {
		ready.Done()
		select {
		case <-c.Done():
		case <-release:
		}
	}, ServerOptions{Logger: quietClientOptions().Logger})
	if err != nil {
		b.Fatal(err)
	}
	n := min(b.N, 2000) // each call holds two file descriptors in this process
	conns := make([]net.Conn, 0, n)
	defer func() {
		close(release)
		for _, nc := range conns {
			_ = nc.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	ready.Add(n)
	for i := 0; i < n; i++ {
		nc, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, nc)
		br := bufio.NewReaderSize(nc, 16)
		for _, reply := range []string{connectReply,
			"Content-Type: command/reply\nReply-Text: +OK Events Enabled\n\n",
			"Content-Type: command/reply\nReply-Text: +OK will linger\n\n"} {
			if _, err := readClientCommand(br); err != nil {
				b.Fatal(err)
			}
			if _, err := io.WriteString(nc, reply); err != nil {
				b.Fatal(err)
			}
		}
	}
	ready.Wait()
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := (after.HeapAlloc + after.StackInuse) - (before.HeapAlloc + before.StackInuse)
	b.ReportMetric(float64(used)/float64(n), "bytes/call")
	b.ReportMetric(float64(srv.ActiveCalls()), "calls")
}
