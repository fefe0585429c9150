package esl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Handler runs one call. ctx is cancelled when the server shuts down; c.Done() is closed when
// the call hangs up. When the handler returns, the socket is closed and FreeSWITCH hangs the
// call up (NORMAL_CLEARING), except after Transfer, which keeps it in the dialplan.
type Handler func(ctx context.Context, c *Call)

// ServerOptions tunes the outbound server. The zero value is usable.
type ServerOptions struct {
	Logger *slog.Logger
	// CommandTimeout bounds each wait for a reply (default DefaultCommandTimeout).
	CommandTimeout time.Duration
	// SetupTimeout bounds connect + myevents + linger for a new call (default 5 s).
	SetupTimeout time.Duration
	// RecordEvents also subscribes RECORD_START and RECORD_STOP on each call's socket
	// (myevents does not include them).
	RecordEvents bool
	// Events are further event names to subscribe on each call's socket.
	Events []string
	// FilterEvents asks FreeSWITCH to send only the events this package uses (plus Events
	// and the record events): CHANNEL_EXECUTE(_COMPLETE), CHANNEL_ANSWER, CHANNEL_BRIDGE,
	// CHANNEL_UNBRIDGE, CHANNEL_HANGUP(_COMPLETE), DTMF. FreeSWITCH's cost per call is mostly
	// the events it builds and sends, so this saves it work; Call.Subscribe then sees only these.
	FilterEvents bool
}

// usedEvents are the events Call needs on its socket.
var usedEvents = []string{
	"CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_ANSWER", "CHANNEL_BRIDGE",
	"CHANNEL_UNBRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "DTMF",
}

// Server is ivrd's end of FreeSWITCH's outbound event socket: FreeSWITCH connects once per
// call (dialplan `socket <addr> async full`) and each connection becomes a Call handed to the
// Handler.
type Server struct {
	ln      net.Listener
	handler Handler
	opts    ServerOptions
	log     *slog.Logger

	ctx    context.Context // handlers' context; cancelled by Shutdown
	cancel context.CancelFunc

	mu       sync.Mutex
	calls    map[*Call]*conn
	closing  bool
	handlers sync.WaitGroup
	accepted atomic.Uint64
}

// Listen starts the outbound server on addr ("0.0.0.0:8084", or ":0" for any port). Cancelling
// ctx cancels the handlers' context too; Shutdown is the orderly way to stop.
func Listen(ctx context.Context, addr string, handler Handler, opts ServerOptions) (*Server, error) {
	if handler == nil {
		return nil, fmt.Errorf("esl: Listen %s: nil handler", addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("esl: outbound socket: listen on %s: %w", addr, err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SetupTimeout <= 0 {
		opts.SetupTimeout = 5 * time.Second
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = DefaultCommandTimeout
	}
	s := &Server{
		ln:      ln,
		handler: handler,
		opts:    opts,
		log:     opts.Logger.With("component", "esl-outbound", "addr", ln.Addr().String()),
		calls:   make(map[*Call]*conn),
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	go s.acceptLoop()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// ActiveCalls is how many calls are being handled now.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

func (s *Server) acceptLoop() {
	backoff := 5 * time.Millisecond
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return
			}
			s.log.Warn("esl: accept failed; retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		s.accepted.Add(1)
		go s.serve(nc)
	}
}

func (s *Server) serve(nc net.Conn) {
	defer s.handlers.Done()
	var call atomic.Pointer[Call]
	cn := newConn(nc, nil, connConfig{
		log:            s.log,
		commandTimeout: s.opts.CommandTimeout,
		onEvent: func(e *Event) {
			if c := call.Load(); c != nil {
				c.onEvent(e)
			}
		},
		onClose: func() {
			if c := call.Load(); c != nil {
				c.connClosed()
			}
		},
	})
	cn.start()
	c, err := s.setup(cn, &call)
	if err != nil {
		s.log.Warn("esl: outbound call setup failed; closing its socket", "remote", nc.RemoteAddr().String(), "err", err)
		cn.close(err)
		return
	}
	if cn.Err() != nil {
		c.connClosed() // closed between setup and now: onClose ran before the call was stored
	}
	s.mu.Lock()
	s.calls[c] = cn
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.calls, c)
		s.mu.Unlock()
		cn.close(nil)
	}()
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("esl: call handler panicked; hanging up", "panic", p)
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.CommandTimeout)
			defer cancel()
			_ = c.Hangup(ctx, CauseNormalTemporaryFailure)
		}
	}()
	s.handler(s.ctx, c)
}

// setup runs connect, myevents, the extra event subscriptions, linger and filters.
func (s *Server) setup(cn *conn, call *atomic.Pointer[Call]) (*Call, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.SetupTimeout)
	defer cancel()
	connect := &command{line: "connect"}
	m, err := cn.send(ctx, connect)
	if err != nil {
		return nil, err
	}
	if _, err := checkReply(connect, m); err != nil {
		return nil, err
	}
	data := newEvent(m.headers, "", true)
	if data.Get("Unique-ID") == "" && data.Get("Channel-Unique-ID") == "" {
		return nil, fmt.Errorf("%w: connect reply has no Unique-ID (is this FreeSWITCH's outbound socket?)", ErrProtocol)
	}
	c := newCall(cn, data, s.log)
	call.Store(c)

	cmds := []*command{{line: "myevents"}}
	extra := append([]string(nil), s.opts.Events...)
	if s.opts.RecordEvents {
		extra = append(extra, "RECORD_START", "RECORD_STOP")
	}
	if len(extra) > 0 {
		cmds = append(cmds, &command{line: "event plain " + strings.Join(extra, " ")})
	}
	cmds = append(cmds, &command{line: "linger"})
	if s.opts.FilterEvents {
		for _, name := range append(append([]string(nil), usedEvents...), extra...) {
			cmds = append(cmds, &command{line: "filter Event-Name " + name})
		}
	}
	if err := c.sendAll(ctx, cmds); err != nil {
		return nil, fmt.Errorf("call %s: setup: %w", c.uuid, err)
	}
	return c, nil
}

// Shutdown stops accepting calls, cancels the handlers' context so in-flight calls can finish
// (say goodbye, hang up), and waits for them until ctx ends. Calls still up then are hung up
// (SYSTEM_SHUTDOWN) and their sockets closed, and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	_ = s.ln.Close()
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	left := make(map[*Call]*conn, len(s.calls))
	for c, cn := range s.calls {
		left[c] = cn
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for c, cn := range left {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, cancel := context.WithTimeout(context.Background(), s.opts.CommandTimeout)
			defer cancel()
			if err := c.Hangup(hctx, CauseSystemShutdown); err != nil {
				c.log.Warn("esl: hangup at shutdown failed", "err", err)
			}
			cn.close(fmt.Errorf("%w: server shut down", ErrClosed))
		}()
	}
	wg.Wait()
	s.log.Warn("esl: shutdown deadline passed; hung up calls still in progress", "calls", len(left))
	return fmt.Errorf("esl: outbound shutdown: %d calls still running were hung up: %w", len(left), ctx.Err())
}
