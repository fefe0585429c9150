package fstest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"
)

// Options configure an emulated FreeSWITCH.
type Options struct {
	// Password for the inbound event socket; "ClueCon" (FreeSWITCH's default) when empty.
	Password string
	// InboundAddr is where the inbound event socket listens; "127.0.0.1:0" picks a free port.
	InboundAddr string
	// Dialplan routes loopback legs and scripted calls; NewDialplan() when nil.
	Dialplan *Dialplan
	// Clock drives prompt lengths, ring times and timeouts; RealClock() when nil. Use
	// ScaledClock(50) in tests to run calls fifty times faster.
	Clock Clock
	// Logger receives the emulator's own log; discarded when nil.
	Logger *slog.Logger
	// Hostname is FreeSWITCH-Hostname / FreeSWITCH-Switchname; "fstest" when empty.
	Hostname string
	// DialTimeout bounds the socket application's connect to its target; 5 s when zero.
	DialTimeout time.Duration
	// IPv4 and IPv6 are FreeSWITCH-IPv4/-IPv6 and global_getvar local_ip_v4/v6;
	// 127.0.0.1 and ::1 when empty.
	IPv4, IPv6 string
}

// Server is a running emulated FreeSWITCH: an inbound event socket, channels, a dialplan and
// the outbound socket connections its socket applications make.
type Server struct {
	opts     Options
	clock    Clock
	log      *slog.Logger
	dialplan *Dialplan
	password string
	hostname string
	ipv4     string
	ipv6     string

	mu       sync.Mutex
	coreUUID string
	ln       net.Listener
	addr     string
	conns    map[*conn]struct{}
	// others and mine split conns for event delivery: a connection that follows one session
	// (myevents) is in mine under that uuid, every other one in others, so an event visits
	// only the connections that may want it (not every connection: that made the emulator
	// quadratic in the calls up).
	others             map[*conn]struct{}
	mine               map[string]map[*conn]struct{}
	channels           map[string]*channel
	endpoints          []endpointRule
	calls              map[string]*Call
	sessionSeq         int
	sessionsSinceStart int
	started            time.Time
	replyDelay         time.Duration
	stopping           bool
	closed             bool
	wg                 sync.WaitGroup

	evMu sync.Mutex // orders Event-Sequence with delivery
	seq  uint64
	evN  uint64 // events fired, for Stats
}

// Start runs an emulated FreeSWITCH until Close or Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Password == "" {
		opts.Password = "ClueCon"
	}
	if opts.InboundAddr == "" {
		opts.InboundAddr = "127.0.0.1:0"
	}
	if opts.Dialplan == nil {
		opts.Dialplan = NewDialplan()
	}
	if opts.Clock == nil {
		opts.Clock = RealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Hostname == "" {
		opts.Hostname = "fstest"
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.IPv4 == "" {
		opts.IPv4 = "127.0.0.1"
	}
	if opts.IPv6 == "" {
		opts.IPv6 = "::1"
	}
	s := &Server{
		opts: opts, clock: opts.Clock, log: opts.Logger, dialplan: opts.Dialplan,
		password: opts.Password, hostname: opts.Hostname, ipv4: opts.IPv4, ipv6: opts.IPv6,
		conns: map[*conn]struct{}{}, channels: map[string]*channel{}, calls: map[string]*Call{},
		others: map[*conn]struct{}{}, mine: map[string]map[*conn]struct{}{},
	}
	if err := s.listen(ctx, opts.InboundAddr); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) listen(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("fstest: listen for the inbound event socket on %s: %w", addr, err)
	}
	s.mu.Lock()
	s.ln = ln
	s.addr = ln.Addr().String()
	s.coreUUID = newUUID()
	s.started = s.clock.Now()
	s.stopping = false
	s.closed = false
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop(ln)
	s.log.Info("fstest: inbound event socket listening", "addr", s.addr)
	return nil
}

// InboundAddr is the host:port of the inbound event socket (FreeSWITCH's 8021).
func (s *Server) InboundAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Password is the inbound event socket password.
func (s *Server) Password() string { return s.password }

// Dialplan is the dialplan the server routes with; it may be changed while running.
func (s *Server) Dialplan() *Dialplan { return s.dialplan }

// Clock is the server's clock.
func (s *Server) Clock() Clock { return s.clock }

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.kill()
			continue
		}
		s.conns[c] = struct{}{}
		s.others[c] = struct{}{}
		s.mu.Unlock()
		go s.serveInbound(c)
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	delete(s.others, c)
	for uuid, set := range s.mine {
		if _, ok := set[c]; ok {
			delete(set, c)
			if len(set) == 0 {
				delete(s.mine, uuid)
			}
		}
	}
	s.mu.Unlock()
}

// follow files c under the session uuid it follows (myevents), for event delivery.
func (s *Server) follow(c *conn, uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, live := s.conns[c]; !live {
		return
	}
	delete(s.others, c)
	for u, set := range s.mine {
		delete(set, c)
		if len(set) == 0 {
			delete(s.mine, u)
		}
	}
	if s.mine[uuid] == nil {
		s.mine[uuid] = map[*conn]struct{}{}
	}
	s.mine[uuid][c] = struct{}{}
}

// fireLocked stamps e with the next Event-Sequence and hands it to every subscribed connection.
// Callers may hold a channel lock; evMu is always taken after it.
func (s *Server) fireLocked(e *Event, _ *channel) {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	s.seq++
	s.evN++
	stampEvent(e, s.clock.Now(), s.seq)
	name := e.Name()
	uid, owner := e.Get("Unique-ID"), e.Get("Job-Owner-UUID")
	s.mu.Lock()
	targets := make([]*conn, 0, len(s.others)+len(s.mine[uid]))
	for c := range s.others {
		targets = append(targets, c)
	}
	for c := range s.mine[uid] {
		targets = append(targets, c)
	}
	if owner != "" && owner != uid {
		for c := range s.mine[owner] {
			targets = append(targets, c)
		}
	}
	s.mu.Unlock()
	var f *eventFrame
	for _, c := range targets {
		if !c.wants(e, name) {
			continue
		}
		if f == nil {
			f = &eventFrame{ev: e}
		}
		c.smu.Lock()
		format := c.format
		c.smu.Unlock()
		c.send(f.bytes(format))
	}
}

// fire sends a non-channel event (BACKGROUND_JOB, HEARTBEAT, ...).
func (s *Server) fire(e *Event) { s.fireLocked(e, nil) }

func (s *Server) replyStall() {
	s.mu.Lock()
	d := s.replyDelay
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
}

func (s *Server) channel(uuid string) *channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channels[uuid]
}

func (s *Server) liveChannels() []*channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*channel, 0, len(s.channels))
	for _, c := range s.channels {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].created.Before(out[j].created) })
	return out
}

// Close stops the server at once: every connection is closed without notice and channels are
// torn down. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ln := s.ln
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for _, ch := range s.liveChannels() {
		ch.hangup("SYSTEM_SHUTDOWN")
	}
	for _, c := range conns {
		c.kill()
	}
	s.wg.Wait()
	return nil
}

// Stop shuts down like `fsctl shutdown`: a SHUTDOWN event, every call hung up with
// SYSTEM_SHUTDOWN (their events still delivered), then each connection gets
// "The system is being shut down." and is closed. ctx bounds the wait for calls to end.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.closed || s.stopping {
		s.mu.Unlock()
		return nil
	}
	s.stopping = true
	ln := s.ln
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	e := s.newEvent("SHUTDOWN", siteShutdown)
	e.add("Event-Info", "System Shutting Down")
	s.fire(e)
	chans := s.liveChannels()
	for _, ch := range chans {
		ch.hangup("SYSTEM_SHUTDOWN")
	}
	var err error
	for _, ch := range chans {
		select {
		case <-ch.ended:
		case <-ctx.Done():
			err = fmt.Errorf("fstest: stop: calls still ending: %w", ctx.Err())
		}
		if err != nil {
			break
		}
	}
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if c.outbound == nil {
			continue
		}
		select {
		case <-c.outbound.noticed: // the linger notice goes first
		case <-ctx.Done():
		}
	}
	const bye = "The system is being shut down.\n"
	for _, c := range conns {
		if c.outbound != nil {
			c.disconnectNotice(bye, Header{"Controlled-Session-UUID", c.outbound.ch.uuid}, Header{"Content-Disposition", "disconnect"})
		} else {
			c.disconnectNotice(bye)
		}
		c.closeAfterFlush()
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Restart stops the server like Stop (calls hung up, clients told) and starts it again on the
// same address with a new Core-UUID, as a FreeSWITCH restart looks to clients.
func (s *Server) Restart(ctx context.Context) error {
	addr := s.InboundAddr()
	if err := s.Stop(ctx); err != nil {
		return err
	}
	for _, ch := range s.liveChannels() {
		select {
		case <-ch.destroyed:
		case <-ctx.Done():
			return fmt.Errorf("fstest: restart: %w", ctx.Err())
		}
	}
	var err error
	for i := 0; i < 50; i++ {
		if err = s.listen(ctx, addr); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return err
}

// newUUID returns a random version-4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
