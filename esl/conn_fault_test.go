package esl

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawPeer is a hand-scripted FreeSWITCH for wire faults the emulator cannot express: it
// accepts one connection and runs script on it.
func rawPeer(t *testing.T, script func(nc net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(nc, bufio.NewReader(nc))
	}()
	return ln.Addr().String()
}

// greet does FreeSWITCH's side of auth and the client's first subscription.
func greet(t *testing.T, nc net.Conn, br *bufio.Reader) {
	write(nc, "Content-Type: auth/request\n\n")
	expect(t, br, "auth pw")
	write(nc, "Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
	expect(t, br, "event plain BACKGROUND_JOB")
	write(nc, "Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n")
}

func write(nc net.Conn, s string) { _, _ = io.WriteString(nc, s) }

func expect(t *testing.T, br *bufio.Reader, line string) {
	cmd, err := readClientCommand(br)
	if err != nil {
		t.Errorf("peer waiting for %q: %v", line, err)
		return
	}
	if cmd.line != line {
		t.Errorf("peer got %q, want %q", cmd.line, line)
	}
}

func apiResponse(body string) string {
	return "Content-Type: api/response\nContent-Length: " + itoa(len(body)) + "\n\n" + body
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func dialRaw(t *testing.T, addr string) *Client {
	t.Helper()
	opts := quietClientOptions()
	opts.MinBackoff = time.Hour // one connection only: these peers accept once
	c, err := Dial(testCtx(t), Node{Name: "raw", Address: addr, Password: "pw"}, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestNonEOFReadErrorsAreReportedNotSwallowed(t *testing.T) {
	t.Parallel()
	addr := rawPeer(t, func(nc net.Conn, br *bufio.Reader) {
		greet(t, nc, br)
		expect(t, br, "api status")
		write(nc, "Content-Type: api/response\nContent-Length: banana\n\n")
		_, _ = br.ReadByte() // hold the socket open: the client must notice on its own
	})
	c := dialRaw(t, addr)
	_, err := c.API(testCtx(t), "status")
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, err, ErrProtocol)
	require.Contains(t, err.Error(), `bad Content-Length "banana"`)
}

func TestFreeSWITCHClosingMidCommandFailsItAtOnce(t *testing.T) {
	t.Parallel()
	addr := rawPeer(t, func(nc net.Conn, br *bufio.Reader) {
		greet(t, nc, br)
		expect(t, br, "api status")
		// closes without replying (eslgo deadlocks here when the ctx has no deadline)
	})
	c := dialRaw(t, addr)
	_, err := c.API(context.Background(), "status")
	require.ErrorIs(t, err, ErrClosed)
	require.NotErrorIs(t, err, ErrTimeout, "failed because of the close, not the command timeout")
}

func TestACancelledCommandsLateReplyGoesNowhere(t *testing.T) {
	t.Parallel()
	read := make(chan struct{})
	addr := rawPeer(t, func(nc net.Conn, br *bufio.Reader) {
		greet(t, nc, br)
		expect(t, br, "api echo one")
		close(read)
		expect(t, br, "api echo two")
		write(nc, apiResponse("one")) // the late reply to the cancelled command
		write(nc, apiResponse("two"))
		_, _ = br.ReadByte()
	})
	c := dialRaw(t, addr)
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.API(ctx, "echo one")
		errc <- err
	}()
	<-read
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	out, err := c.API(testCtx(t), "echo two")
	require.NoError(t, err)
	require.Equal(t, "two", out, "eslgo hands the next command the previous reply")
	require.True(t, c.Connected(), "a cancel is not a stall: the connection stays")
}

func TestAStalledCommandClosesTheConnection(t *testing.T) {
	t.Parallel()
	addr := rawPeer(t, func(nc net.Conn, br *bufio.Reader) {
		greet(t, nc, br)
		expect(t, br, "api echo one")
		_, _ = br.ReadByte() // no reply, ever
	})
	opts := quietClientOptions()
	opts.MinBackoff = time.Hour
	opts.CommandTimeout = 100 * time.Millisecond
	c, err := Dial(testCtx(t), Node{Address: addr, Password: "pw"}, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	cn, err := c.conn(testCtx(t))
	require.NoError(t, err)
	_, err = c.API(context.Background(), "echo one")
	require.ErrorIs(t, err, ErrTimeout)
	<-cn.Done()
	require.ErrorIs(t, cn.Err(), ErrTimeout, "closed so the late reply cannot reach another command")
}

func TestCallSocketClosedMidPlaybackEndsTheCall(t *testing.T) {
	t.Parallel()
	blocks := loadTrace(t, "05c_outbound_caller_hangup.txt")
	// Keep FreeSWITCH's side up to the playback command, then vanish.
	var cut []traceBlock
	for _, b := range blocks {
		cut = append(cut, b)
		if b.dir == "C->S" && string(b.data[:7]) == "sendmsg" && len(cut) > 8 {
			break
		}
	}
	b := setupOutbound(t, ServerOptions{}, func(ctx context.Context, c *Call) error {
		r := require.New(t)
		r.NoError(c.Answer(ctx))
		_, err := c.Playback(ctx, "tone_stream://%(10000,0,440)", PlaybackOpts{Terminators: "*"})
		r.ErrorIs(err, ErrHangup)
		r.ErrorIs(err, ErrClosed, "the socket closed under the command")
		<-c.Done()
		return nil
	})
	_, peer := dialOutbound(t, b.srv.Addr().String(), cut)
	b.wait(t, peer)
}

func plainEvent(headers ...string) string {
	body := strings.Join(headers, "\n") + "\n\n"
	return "Content-Length: " + itoa(len(body)) + "\nContent-Type: text/event-plain\n\n" + body
}

func TestGapsInEventSequenceAreCountedWhenSubscribedToAll(t *testing.T) {
	t.Parallel()
	addr := rawPeer(t, func(nc net.Conn, br *bufio.Reader) {
		greet(t, nc, br)
		expect(t, br, "event plain ALL")
		write(nc, "Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n")
		for _, seq := range []string{"10", "11", "14", "15"} {
			write(nc, plainEvent("Event-Name: HEARTBEAT", "Core-UUID: core-1", "Event-Sequence: "+seq))
		}
		_, _ = br.ReadByte()
	})
	c := dialRaw(t, addr)
	sub, err := c.Subscribe(testCtx(t), SubscribeOptions{Events: []string{"ALL"}})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	for i := 0; i < 4; i++ {
		<-sub.Events()
	}
	st := c.Stats()
	require.Equal(t, uint64(1), st.SeqGaps)
	require.Equal(t, uint64(2), st.MissedEvents, "12 and 13 never arrived")
	require.Equal(t, uint64(4), st.Events)
}
