package esl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCommandTimeout bounds the wait for FreeSWITCH's reply to a command whose context has
// no deadline of its own.
const DefaultCommandTimeout = 5 * time.Second

// conn is one ESL connection (inbound or outbound). One reader goroutine reads every message
// and never waits on anyone: replies go to the command waiting at the head of the FIFO, events
// to onEvent, which must not block. Writers take wmu, so commands go out one at a time and
// their reply slots are queued in exactly the order their bytes hit the socket.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	log *slog.Logger

	commandTimeout time.Duration
	onEvent        func(*Event)
	onNotice       func(*message) // text/disconnect-notice
	onClose        func()         // runs once, right after the connection closed

	wmu     sync.Mutex // one writer; also orders pending
	pmu     sync.Mutex
	pending []chan reply

	done      chan struct{}
	closeOnce sync.Once
	err       error // why the connection closed; set before done is closed

	events atomic.Uint64
}

// errNotSent marks a command that was never written because the connection was already
// closed: it is safe to send it again on the next connection.
var errNotSent = errors.New("not sent")

type reply struct {
	msg *message
	err error
}

type connConfig struct {
	log            *slog.Logger
	commandTimeout time.Duration
	onEvent        func(*Event)
	onNotice       func(*message)
	onClose        func()
}

func newConn(nc net.Conn, br *bufio.Reader, cfg connConfig) *conn {
	if br == nil {
		// Per call: events are ~3 KB; a small buffer keeps idle calls cheap.
		br = bufio.NewReaderSize(nc, 8<<10)
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	if cfg.commandTimeout <= 0 {
		cfg.commandTimeout = DefaultCommandTimeout
	}
	return &conn{
		nc:             nc,
		br:             br,
		log:            cfg.log,
		commandTimeout: cfg.commandTimeout,
		onEvent:        cfg.onEvent,
		onNotice:       cfg.onNotice,
		onClose:        cfg.onClose,
		done:           make(chan struct{}),
	}
}

// start runs the reader goroutine.
func (c *conn) start() { go c.readLoop() }

// Done is closed once the connection is closed and the reader has stopped.
func (c *conn) Done() <-chan struct{} { return c.done }

// Err says why the connection closed (nil while it is open). A clean EOF from FreeSWITCH
// gives ErrClosed; other read errors are returned wrapped, never swallowed.
func (c *conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// close closes the connection once, recording why, and fails every command still waiting.
func (c *conn) close(err error) {
	c.closeOnce.Do(func() {
		if err == nil {
			err = ErrClosed
		}
		c.err = err
		if c.nc != nil {
			_ = c.nc.Close()
		}
		close(c.done)
		// Before the waiting commands learn of it, so they see the connection's owner
		// (a call) already ended.
		if c.onClose != nil {
			c.onClose()
		}
		c.pmu.Lock()
		p := c.pending
		c.pending = nil
		c.pmu.Unlock()
		for _, ch := range p {
			ch <- reply{err: err}
		}
	})
}

func (c *conn) readLoop() {
	for {
		m, err := readMessage(c.br)
		if err != nil {
			switch {
			case errors.Is(err, io.EOF):
				c.close(fmt.Errorf("%w: FreeSWITCH closed the connection", ErrClosed))
			case errors.Is(err, net.ErrClosed):
				c.close(nil) // we closed it; close already recorded why
			default:
				c.close(fmt.Errorf("%w: reading from %s: %w", ErrClosed, c.nc.RemoteAddr(), err))
			}
			return
		}
		c.dispatch(m)
	}
}

func (c *conn) dispatch(m *message) {
	switch ct := m.contentType(); ct {
	case typeReply, typeAPIResponse:
		c.pmu.Lock()
		var ch chan reply
		if len(c.pending) > 0 {
			ch = c.pending[0]
			c.pending[0] = nil
			c.pending = c.pending[1:]
		}
		c.pmu.Unlock()
		if ch == nil {
			c.log.Error("esl: reply nobody asked for; closing the connection", "content_type", ct, "reply", clip(m.replyText()))
			c.close(fmt.Errorf("%w: unsolicited %s %q", ErrProtocol, ct, clip(m.replyText())))
			return
		}
		ch <- reply{msg: m}
	case typeEventPlain, typeEventJSON:
		var e *Event
		var err error
		if ct == typeEventPlain {
			e, err = newEventPlain(m.body)
		} else {
			e, err = newEventJSON(m.body)
		}
		if err != nil {
			c.log.Warn("esl: dropping unparsable event", "err", err)
			return
		}
		c.events.Add(1)
		if c.onEvent != nil {
			c.onEvent(e)
		}
	case typeDisconnect:
		if c.onNotice != nil {
			c.onNotice(m)
		}
	case typeLogData, typeEventXML, typeAuthRequest:
		// Not asked for by this package; framing is intact, so skip it.
	default:
		c.log.Warn("esl: skipping message of unknown type", "content_type", ct)
	}
}

// command is one command to send: its first line, extra header lines, an optional body.
type command struct {
	line    string
	headers []Header
	body    string
	// redacted is what errors and logs show instead of line (for auth).
	redacted string
}

func (cmd *command) String() string {
	if cmd.redacted != "" {
		return cmd.redacted
	}
	return clip(cmd.line)
}

func (cmd *command) encode(b *strings.Builder) {
	b.WriteString(cmd.line)
	b.WriteByte('\n')
	for _, h := range cmd.headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteByte('\n')
	}
	if cmd.body != "" {
		fmt.Fprintf(b, "Content-Length: %d\n\n", len(cmd.body))
		b.WriteString(cmd.body)
		return
	}
	b.WriteByte('\n')
}

// validate refuses bytes that would change the framing: a newline inside the command line or a
// header would start a new command on FreeSWITCH's side.
func (cmd *command) validate() error {
	if strings.ContainsAny(cmd.line, "\r\n") {
		return fmt.Errorf("%w: newline in command %q", ErrBadArgument, clip(cmd.String()))
	}
	for _, h := range cmd.headers {
		if strings.ContainsAny(h.Name, "\r\n:") || strings.ContainsAny(h.Value, "\r\n") {
			return fmt.Errorf("%w: newline in header %q of %q", ErrBadArgument, h.Name, clip(cmd.String()))
		}
	}
	return nil
}

// send writes cmd and waits for its reply. Every wait has a deadline: ctx's, or
// commandTimeout when ctx has none. If the deadline passes (or ctx is cancelled) before the
// reply, the connection is closed: the reply is then never read, so it cannot be mistaken for
// the reply to a later command.
func (c *conn) send(ctx context.Context, cmd *command) (*message, error) {
	if err := cmd.validate(); err != nil {
		return nil, err
	}
	ch, err := c.write(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return c.await(ctx, cmd, ch)
}

// write sends cmd and queues its reply slot, without waiting for the reply. Several writes in
// a row pipeline commands; their replies come back in the same order.
func (c *conn) write(ctx context.Context, cmd *command) (chan reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	var b strings.Builder
	cmd.encode(&b)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(c.commandTimeout)
	}
	ch := make(chan reply, 1)

	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.done:
		return nil, fmt.Errorf("%s: %w: %w", cmd, errNotSent, c.err)
	default:
	}
	c.pmu.Lock()
	c.pending = append(c.pending, ch)
	c.pmu.Unlock()
	_ = c.nc.SetWriteDeadline(deadline)
	if _, err := io.WriteString(c.nc, b.String()); err != nil {
		err = fmt.Errorf("%w: writing %s: %w", ErrClosed, cmd, err)
		c.close(err)
		return nil, err
	}
	return ch, nil
}

func (c *conn) await(ctx context.Context, cmd *command, ch chan reply) (*message, error) {
	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(c.commandTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, r.err)
		}
		return r.msg, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			// The caller gave up, but FreeSWITCH is not late: leave the reply slot in place (its
			// reply will be consumed by it, never by another command) and only close the
			// connection if that reply does not come within the command timeout.
			go c.watchAbandoned(cmd, ch)
			return nil, fmt.Errorf("%s: %w", cmd, ctx.Err())
		}
		err := fmt.Errorf("%w: no reply to %s: %w", ErrTimeout, cmd, ctx.Err())
		c.log.Warn("esl: closing connection after a command got no reply in time", "command", cmd.String(), "err", ctx.Err())
		c.close(err)
		return nil, err
	case <-timeout:
		err := fmt.Errorf("%w: no reply to %s within %s", ErrTimeout, cmd, c.commandTimeout)
		c.log.Warn("esl: closing connection after a command got no reply in time", "command", cmd.String(), "timeout", c.commandTimeout)
		c.close(err)
		return nil, err
	}
}

// watchAbandoned waits for the reply of a command whose caller gave up; if it does not come
// within the command timeout, FreeSWITCH is stalled and the connection is closed.
func (c *conn) watchAbandoned(cmd *command, ch chan reply) {
	t := time.NewTimer(c.commandTimeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-c.done:
	case <-t.C:
		c.log.Warn("esl: closing connection: an abandoned command never got its reply", "command", cmd.String())
		c.close(fmt.Errorf("%w: no reply to %s within %s", ErrTimeout, cmd, c.commandTimeout))
	}
}

// checkReply turns a "-ERR ..." or "-USAGE ..." reply into a *CommandError.
func checkReply(cmd *command, m *message) (string, error) {
	text := m.replyText()
	if strings.HasPrefix(text, "-") {
		return text, &CommandError{Command: cmd.String(), Reply: strings.TrimRight(text, "\n")}
	}
	return text, nil
}
