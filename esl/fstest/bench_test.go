package fstest

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkEventEncodePlain measures building the text/event-plain bytes of a typical channel
// event (CHANNEL_EXECUTE_COMPLETE of a loopback leg, ~3 KB).
func BenchmarkEventEncodePlain(b *testing.B) {
	srv := testServer(b, nil, 1)
	ch := srv.newChannel(newUUID(), "loopback/5000-b", "inbound")
	ch.codec = "L16"
	for i := 0; i < 30; i++ {
		ch.vars.set("var_"+string(rune('a'+i)), "some value with spaces & symbols")
	}
	ch.mu.Lock()
	e := ch.eventLocked("CHANNEL_EXECUTE_COMPLETE", siteExecuteComplete, nil, true, true,
		[]Header{{"Application", "playback"}, {"Application-Response", "FILE PLAYED"}})
	ch.mu.Unlock()
	stampEvent(e, time.Now(), 1)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		f := &eventFrame{ev: e}
		n += len(f.bytes("plain"))
	}
	b.SetBytes(int64(n / b.N))
}

// BenchmarkEventsToSubscriber measures events fired, encoded and written over TCP to one
// subscriber that reads them (events per second end to end).
func BenchmarkEventsToSubscriber(b *testing.B) {
	srv := testServer(b, nil, 1)
	nc, err := net.Dial("tcp", srv.InboundAddr())
	require.NoError(b, err)
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	_, err = readMsg(br)
	require.NoError(b, err)
	_, err = nc.Write([]byte("auth ClueCon\n\nevent plain HEARTBEAT\n\n"))
	require.NoError(b, err)
	for i := 0; i < 2; i++ {
		_, err = readMsg(br)
		require.NoError(b, err)
	}
	done := make(chan int)
	go func() {
		n := 0
		for n < b.N {
			if _, err := readMsg(br); err != nil {
				break
			}
			n++
		}
		done <- n
	}()
	b.ResetTimer()
	srv.EmitBurst(b.N)
	got := <-done
	b.StopTimer()
	require.Equal(b, b.N, got)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkIdleOutboundSession measures the memory one answered, idle call costs the emulator:
// two loopback channels, their goroutines and the outbound socket connection.
func BenchmarkIdleOutboundSession(b *testing.B) {
	out := listenOutbound(b)
	srv := testServer(b, out, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const calls = 200
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var clients []net.Conn
		for j := 0; j < calls; j++ {
			_, err := srv.PlaceCall(ctx, CallSpec{})
			require.NoError(b, err)
			nc := <-out.conns
			clients = append(clients, nc)
			_, err = nc.Write([]byte("connect\n\nmyevents\n\n"))
			require.NoError(b, err)
			go func() { _, _ = io.Copy(io.Discard, nc) }()
		}
		b.StopTimer()
		time.Sleep(200 * time.Millisecond)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/calls, "heap-bytes/call")
		b.ReportMetric(float64(runtime.NumGoroutine())/calls, "goroutines/call")
		for _, nc := range clients {
			_ = nc.Close()
		}
		require.Eventually(b, func() bool { return srv.Stats().Channels == 0 }, 30*time.Second, 10*time.Millisecond)
		b.StartTimer()
	}
}
