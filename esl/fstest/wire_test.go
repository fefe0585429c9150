package fstest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// msg is one ESL message as a client reads it: the outer headers in order and the body.
type msg struct {
	raw     []byte
	headers []Header
	body    string
}

func (m *msg) get(name string) string {
	for _, h := range m.headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// eventHeaders parses a text/event-plain body into headers (values url-decoded) and inner body.
func (m *msg) event() (*Event, error) {
	if m.get("Content-Type") != "text/event-plain" {
		return nil, fmt.Errorf("not an event: %q", m.get("Content-Type"))
	}
	return parsePlainEvent(m.body)
}

func parsePlainEvent(body string) (*Event, error) {
	head, rest, _ := strings.Cut(body, "\n\n")
	e := &Event{}
	for _, l := range strings.Split(head, "\n") {
		if l == "" {
			continue
		}
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			return nil, fmt.Errorf("bad event header line %q", l)
		}
		if k == "Content-Length" {
			n, err := strconv.Atoi(v)
			if err != nil || n > len(rest) {
				return nil, fmt.Errorf("bad inner content-length %q", v)
			}
			e.Body = rest[:n]
			continue
		}
		e.Headers = append(e.Headers, Header{k, urlDecode(v)})
	}
	return e, nil
}

// readMsg reads one message: headers to a blank line, then Content-Length bytes.
func readMsg(br *bufio.Reader) (*msg, error) {
	m := &msg{}
	var raw strings.Builder
	for {
		line, err := br.ReadString('\n')
		raw.WriteString(line)
		if err != nil {
			if err == io.EOF && raw.Len() == 0 {
				return nil, io.EOF
			}
			return nil, err
		}
		if line == "\n" {
			if len(m.headers) == 0 {
				continue
			}
			break
		}
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ": ")
		m.headers = append(m.headers, Header{k, v})
	}
	if n := m.get("Content-Length"); n != "" {
		l, err := strconv.Atoi(n)
		if err != nil {
			return nil, err
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		m.body = string(b)
		raw.Write(b)
	}
	m.raw = []byte(raw.String())
	return m, nil
}

// client is a minimal test-side ESL client (inbound or an accepted outbound session).
type client struct {
	t    testing.TB
	nc   net.Conn
	br   *bufio.Reader
	msgs chan *msg
	errs chan error
}

func newClient(t testing.TB, nc net.Conn) *client {
	c := &client{t: t, nc: nc, br: bufio.NewReader(nc), msgs: make(chan *msg, 100000), errs: make(chan error, 1)}
	t.Cleanup(func() { _ = nc.Close() })
	go func() {
		for {
			m, err := readMsg(c.br)
			if err != nil {
				c.errs <- err
				close(c.msgs)
				return
			}
			c.msgs <- m
		}
	}()
	return c
}

func dialInbound(t testing.TB, srv *Server) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", srv.InboundAddr(), 5*time.Second)
	require.NoError(t, err)
	c := newClient(t, nc)
	require.Equal(t, "auth/request", c.next().get("Content-Type"))
	return c
}

func (c *client) write(s string) {
	c.t.Helper()
	_, err := c.nc.Write([]byte(s))
	require.NoError(c.t, err)
}

// next returns the next message or fails the test after 10 s.
func (c *client) next() *msg {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("connection closed while waiting for a message")
		}
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatalf("no message within 10s")
	}
	return nil
}

// cmd writes a command and returns its reply, skipping events.
func (c *client) cmd(s string) *msg {
	c.t.Helper()
	c.write(s + "\n\n")
	for {
		m := c.next()
		ct := m.get("Content-Type")
		if ct == "command/reply" || ct == "api/response" {
			return m
		}
	}
}

// waitEvent skips messages until an event named name (matching pred if given) arrives.
func (c *client) waitEvent(name string, pred func(*Event) bool) *Event {
	c.t.Helper()
	for {
		m := c.next()
		if m.get("Content-Type") != "text/event-plain" {
			continue
		}
		e, err := m.event()
		require.NoError(c.t, err)
		if e.Name() == name && (pred == nil || pred(e)) {
			return e
		}
	}
}

// outboundListener is a fake ivrd outbound server: it accepts the socket app's connections.
type outboundListener struct {
	ln    net.Listener
	conns chan net.Conn
}

func listenOutbound(t testing.TB) *outboundListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o := &outboundListener{ln: ln, conns: make(chan net.Conn, 16)}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			o.conns <- nc
		}
	}()
	return o
}

func (o *outboundListener) addr() string { return o.ln.Addr().String() }

func (o *outboundListener) accept(t testing.TB) *client {
	t.Helper()
	select {
	case nc := <-o.conns:
		return newClient(t, nc)
	case <-time.After(10 * time.Second):
		t.Fatalf("the socket application did not connect within 10s")
	}
	return nil
}

// testServer starts an emulator with the trace dialplan (5000 -> out) and a fast clock.
func testServer(t testing.TB, out *outboundListener, speed float64) *Server {
	t.Helper()
	addr := "127.0.0.1:1"
	if out != nil {
		addr = out.addr()
	}
	srv, err := Start(context.Background(), Options{Dialplan: TraceDialplan(addr), Clock: ScaledClock(speed), Hostname: "vm",
		IPv4: "192.0.2.2", IPv6: "fd00::2"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func sendmsg(app, arg, uuid string) string {
	s := "sendmsg\ncall-command: execute\nexecute-app-name: " + app + "\n"
	if arg != "" {
		s += "execute-app-arg: " + arg + "\n"
	}
	s += "event-lock: true\n"
	if uuid != "" {
		s += "Event-UUID: " + uuid + "\n"
	}
	return s
}
