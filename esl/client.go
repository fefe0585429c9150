package esl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// ClientOptions tunes an inbound client. The zero value is usable.
type ClientOptions struct {
	Logger *slog.Logger
	// CommandTimeout bounds each wait for a reply when ctx has no deadline (default
	// DefaultCommandTimeout).
	CommandTimeout time.Duration
	// DialTimeout bounds one connection attempt: TCP connect, FreeSWITCH's auth/request
	// greeting and the auth reply (default 5 s).
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts (defaults
	// 100 ms and 30 s); the wait doubles per failed attempt, with jitter.
	MinBackoff, MaxBackoff time.Duration
	// TrackChannels keeps a live view of the node's channels (Channels, ChannelCount):
	// CHANNEL_CREATE / CHANNEL_DESTROY events, rebuilt with `show channels as json` on every
	// (re)connect.
	TrackChannels bool
	// JobTimeout bounds the wait for a BACKGROUND_JOB when ctx has no deadline (default 2 min).
	JobTimeout time.Duration
}

func (o *ClientOptions) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 2 * time.Minute
	}
}

// Client is a connection to one FreeSWITCH's inbound event socket (port 8021) that stays up:
// when the connection drops (or a command times out and closes it), it redials with capped
// exponential backoff and jitter, subscribes again, and rebuilds its view of live channels.
// Commands issued while it is down wait for the reconnection until their ctx ends.
type Client struct {
	node     Node
	password string
	opts     ClientOptions
	log      *slog.Logger

	mu            sync.Mutex
	cur           *conn
	up            chan struct{} // closed while cur is usable
	subs          []*clientSub
	jobs          map[string]chan *Event
	lastErr       error
	stats         ClientStats
	lastSeq       uint64
	lastCore      string
	resumed       bool // first event after a reconnect not seen yet
	filtersSent   bool // filters are active on the current connection
	connectedOnce bool
	chans         channelView

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// ClientStats are counters for logs, metrics and health checks.
type ClientStats struct {
	Connected  bool
	Reconnects uint64 // successful connections after the first
	Events     uint64 // events received
	// SeqGaps counts detected holes in Event-Sequence: outages between connections (events
	// FreeSWITCH sent meanwhile are lost), FreeSWITCH restarts (new Core-UUID), and jumps
	// inside a connection subscribed to ALL without filters. MissedEvents adds up the jumps
	// where the number is known.
	SeqGaps      uint64
	MissedEvents uint64
	LastError    string
}

// Dial connects to node's inbound socket and authenticates. The first attempt's failure is
// returned (a wrong password is errors.Is(err, ErrAuth)); afterwards the client reconnects on
// its own until Close. ctx bounds this first attempt only.
func Dial(ctx context.Context, node Node, opts ClientOptions) (*Client, error) {
	c, err := newClient(node, opts)
	if err != nil {
		return nil, err
	}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	c.wg.Add(1)
	go c.supervise()
	return c, nil
}

func newClient(node Node, opts ClientOptions) (*Client, error) {
	opts.defaults()
	if node.Address == "" {
		return nil, fmt.Errorf("esl: freeswitch node %q has no address; set address: host:8021", node.label())
	}
	pw, err := node.secret()
	if err != nil {
		return nil, err
	}
	c := &Client{
		node:     node,
		password: pw,
		opts:     opts,
		log:      opts.Logger.With("component", "esl-inbound", "node", node.label()),
		up:       make(chan struct{}),
		jobs:     make(map[string]chan *Event),
		closed:   make(chan struct{}),
	}
	c.chans.init()
	return c, nil
}

// Node is the node this client talks to.
func (c *Client) Node() Node { return c.node }

// String names the client's node (never its password).
func (c *Client) String() string { return "esl client for " + c.node.String() }

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Connected = c.cur != nil
	if c.lastErr != nil {
		s.LastError = c.lastErr.Error()
	}
	return s
}

// Connected says whether a connection is up now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur != nil
}

// Close closes the connection and stops reconnecting. Subscriptions end.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.mu.Lock()
		cur := c.cur
		subs := c.subs
		c.subs = nil
		c.mu.Unlock()
		if cur != nil {
			// Say goodbye so FreeSWITCH logs a clean exit, then close regardless.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = cur.send(ctx, &command{line: "exit"})
			cancel()
			cur.close(fmt.Errorf("%w: client closed", ErrClosed))
		}
		for _, s := range subs {
			s.sub.end()
		}
	})
	c.wg.Wait()
	return nil
}

// connect makes one connection attempt and, on success, installs it.
func (c *Client) connect(ctx context.Context) error {
	c.mu.Lock()
	if c.connectedOnce {
		c.resumed = true // the first event on the new connection marks a gap
	}
	c.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	cn, err := c.dial(dctx)
	if err != nil {
		c.mu.Lock()
		c.lastErr = err
		c.mu.Unlock()
		return err
	}
	cn.start()
	if err := c.prepare(dctx, cn); err != nil {
		cn.close(err)
		c.mu.Lock()
		c.lastErr = err
		c.mu.Unlock()
		return err
	}
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		cn.close(fmt.Errorf("%w: client closed", ErrClosed))
		return fmt.Errorf("%w: client closed", ErrClosed)
	default:
	}
	c.cur = cn
	c.connectedOnce = true
	close(c.up)
	c.lastErr = nil
	c.mu.Unlock()
	c.log.Info("esl: connected to FreeSWITCH", "address", c.node.Address)
	return nil
}

// dial opens the TCP connection, waits for auth/request and authenticates, all within ctx.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	where := fmt.Sprintf("freeswitch %s at %s", c.node.label(), c.node.Address)
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.node.Address)
	if err != nil {
		return nil, fmt.Errorf("%w: dialing %s: %w", ErrClosed, where, err)
	}
	fail := func(err error) (*conn, error) {
		_ = nc.Close()
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	// Unblock the reads below if ctx is cancelled without a deadline.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	br := bufio.NewReaderSize(nc, 64<<10)
	m, err := readMessage(br)
	if err != nil {
		return fail(fmt.Errorf("%w: %s: waiting for auth/request: %w", ErrClosed, where, err))
	}
	if ct := m.contentType(); ct != typeAuthRequest {
		return fail(fmt.Errorf("%w: %s greeted with %q, not auth/request: is this FreeSWITCH's event socket (port 8021)?", ErrProtocol, where, ct))
	}
	if strings.ContainsAny(c.password, "\r\n") {
		return fail(fmt.Errorf("%w: %s: the ESL password contains a newline", ErrBadArgument, where))
	}
	if _, err := fmt.Fprintf(nc, "auth %s\n\n", c.password); err != nil {
		return fail(fmt.Errorf("%w: %s: sending auth: %w", ErrClosed, where, err))
	}
	for {
		m, err = readMessage(br)
		if err != nil {
			return fail(fmt.Errorf("%w: %s: waiting for the auth reply: %w", ErrClosed, where, err))
		}
		if m.contentType() == typeReply {
			break
		}
	}
	if reply := m.replyText(); !strings.HasPrefix(reply, "+OK") {
		return fail(fmt.Errorf("%w: %s refused the ESL password (%q); check password_env / password_file against event_socket.conf.xml", ErrAuth, where, reply))
	}
	if !stop() {
		return fail(fmt.Errorf("%w: %s: %w", ErrClosed, where, ctx.Err()))
	}
	_ = nc.SetDeadline(time.Time{})
	var cn *conn
	cn = newConn(nc, br, connConfig{
		log:            c.log,
		commandTimeout: c.opts.CommandTimeout,
		onEvent:        func(e *Event) { c.onEvent(cn, e) },
		onNotice: func(m *message) {
			// On the inbound socket a disconnect notice means FreeSWITCH is about to close it
			// (shutdown, exit): stop using it now rather than lose the next command.
			text := strings.TrimSpace(m.body)
			c.log.Info("esl: FreeSWITCH sent a disconnect notice", "text", text)
			cn.close(fmt.Errorf("%w: FreeSWITCH said goodbye: %q", ErrClosed, text))
		},
	})
	return cn, nil
}

// prepare subscribes and rebuilds the channel view on a fresh connection.
func (c *Client) prepare(ctx context.Context, cn *conn) error {
	if c.opts.TrackChannels {
		c.chans.beginRebuild()
	}
	if err := c.resubscribe(ctx, cn, true); err != nil {
		return err
	}
	if c.opts.TrackChannels {
		cmd := &command{line: "api show channels as json"}
		m, err := cn.send(ctx, cmd)
		if err != nil {
			c.chans.abortRebuild()
			return err
		}
		out, err := checkReply(cmd, m)
		if err != nil {
			c.chans.abortRebuild()
			return err
		}
		if err := c.chans.finishRebuild(out); err != nil {
			return fmt.Errorf("esl: freeswitch %s: %w", c.node.label(), err)
		}
	}
	return nil
}

func (c *Client) supervise() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		cur := c.cur
		c.mu.Unlock()
		if cur != nil {
			select {
			case <-cur.Done():
			case <-c.closed:
				return
			}
			err := cur.Err()
			c.mu.Lock()
			if c.cur == cur {
				c.cur = nil
				c.up = make(chan struct{})
			}
			c.lastErr = err
			c.mu.Unlock()
			c.log.Warn("esl: connection to FreeSWITCH lost; reconnecting", "err", err)
		}
		for attempt := 0; ; attempt++ {
			select {
			case <-c.closed:
				return
			default:
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-c.closed:
					cancel()
				case <-ctx.Done():
				}
			}()
			err := c.connect(ctx)
			cancel()
			if err == nil {
				c.mu.Lock()
				c.stats.Reconnects++
				c.mu.Unlock()
				break
			}
			wait := c.backoff(attempt)
			c.log.Warn("esl: reconnect failed", "attempt", attempt+1, "err", err, "retry_in", wait)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.closed:
				t.Stop()
				return
			}
		}
	}
}

// backoff is the wait before reconnection attempt n+1: MinBackoff doubled per attempt,
// capped at MaxBackoff, then "equal jitter" (half fixed, half random) so many ivrd instances
// do not redial a restarted FreeSWITCH in lockstep.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.MinBackoff
	for i := 0; i < attempt && d < c.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.opts.MaxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

// conn waits for a usable connection until ctx ends.
func (c *Client) conn(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		cur, up := c.cur, c.up
		c.mu.Unlock()
		if cur != nil {
			select {
			case <-cur.Done():
				// Dead but not yet noticed by the supervisor: retire it here so we wait for the
				// next connection instead of spinning on this one.
				c.mu.Lock()
				if c.cur == cur {
					c.cur = nil
					c.up = make(chan struct{})
				}
				up = c.up
				c.mu.Unlock()
			default:
				return cur, nil
			}
		}
		select {
		case <-up:
		case <-c.closed:
			return nil, fmt.Errorf("%w: client closed", ErrClosed)
		case <-ctx.Done():
			c.mu.Lock()
			last := c.lastErr
			c.mu.Unlock()
			if last != nil {
				return nil, fmt.Errorf("%w to freeswitch %s (last error: %v): %w", ErrNotConnected, c.node.label(), last, ctx.Err())
			}
			return nil, fmt.Errorf("%w to freeswitch %s: %w", ErrNotConnected, c.node.label(), ctx.Err())
		}
	}
}

// send sends cmd on the current connection, waiting for one if needed. A command that could
// not be written because the connection had just closed is sent again on the next one; a
// command that was written when the connection dropped is not (it may have run).
func (c *Client) send(ctx context.Context, cmd *command) (*message, error) {
	for {
		cn, err := c.conn(ctx)
		if err != nil {
			return nil, err
		}
		m, err := cn.send(ctx, cmd)
		if err != nil && errors.Is(err, errNotSent) {
			continue
		}
		return m, err
	}
}

// API runs `api <cmd>` and returns its output. Output starting with "-ERR" or "-USAGE" is
// returned as a *CommandError (errors.Is(err, ErrCommand)).
func (c *Client) API(ctx context.Context, cmdline string) (string, error) {
	cmd := &command{line: "api " + cmdline}
	m, err := c.send(ctx, cmd)
	if err != nil {
		return "", fmt.Errorf("freeswitch %s: %w", c.node.label(), err)
	}
	out, err := checkReply(cmd, m)
	if err != nil {
		return out, fmt.Errorf("freeswitch %s: %w", c.node.label(), err)
	}
	return out, nil
}

// BGAPI runs `bgapi <cmd>` with a Job-UUID of our own and waits for its BACKGROUND_JOB
// result (until ctx ends, or JobTimeout when ctx has no deadline). A result starting with
// "-ERR" is returned as a *CommandError along with the text.
func (c *Client) BGAPI(ctx context.Context, cmdline string) (string, error) {
	_, body, err := c.bgapi(ctx, cmdline)
	if err != nil {
		return body, err
	}
	if strings.HasPrefix(body, "-") {
		return body, fmt.Errorf("freeswitch %s: %w", c.node.label(), &CommandError{Command: "bgapi " + clip(cmdline), Reply: strings.TrimRight(body, "\n")})
	}
	return body, nil
}

// ErrOutcomeUnknown: a background job (originate) was accepted but its result was not seen
// (the connection dropped, or ctx ended). It may still succeed: check before repeating it.
var ErrOutcomeUnknown = errors.New("esl: outcome unknown")

// bgapi returns the job id, the BACKGROUND_JOB body, and an error if the job's result was
// not obtained. If the job was accepted but its result not seen, err wraps ErrOutcomeUnknown.
func (c *Client) bgapi(ctx context.Context, cmdline string) (string, string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.JobTimeout)
		defer cancel()
	}
	id := newUUID()
	ch := make(chan *Event, 1)
	c.mu.Lock()
	c.jobs[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.jobs, id)
		c.mu.Unlock()
	}()
	cmd := &command{line: "bgapi " + cmdline, headers: []Header{{"Job-UUID", id}}}
	rctx, cancel := context.WithTimeout(ctx, c.opts.CommandTimeout)
	m, err := c.send(rctx, cmd)
	cancel()
	if err != nil {
		return id, "", fmt.Errorf("freeswitch %s: %w", c.node.label(), err)
	}
	if _, err := checkReply(cmd, m); err != nil {
		return id, "", fmt.Errorf("freeswitch %s: %w", c.node.label(), err)
	}
	select {
	case e := <-ch:
		return id, e.Body(), nil
	case <-c.closed:
		return id, "", fmt.Errorf("%w: freeswitch %s: job %s: client closed before its result", ErrOutcomeUnknown, c.node.label(), id)
	case <-ctx.Done():
		return id, "", fmt.Errorf("%w: freeswitch %s: job %s: no BACKGROUND_JOB: %w", ErrOutcomeUnknown, c.node.label(), id, ctx.Err())
	}
}

// onEvent runs on a connection's reader goroutine: bookkeeping and non-blocking hand-offs only.
func (c *Client) onEvent(cn *conn, e *Event) {
	c.mu.Lock()
	c.stats.Events++
	c.trackSeq(e)
	var job chan *Event
	if e.name == "BACKGROUND_JOB" {
		job = c.jobs[e.Get("Job-UUID")]
	}
	subs := c.subs
	c.mu.Unlock()
	if job != nil {
		select {
		case job <- e:
		default:
		}
	}
	if c.opts.TrackChannels {
		c.chans.apply(e)
	}
	for _, s := range subs {
		s.sub.push(e)
	}
}

// trackSeq detects holes in Event-Sequence; c.mu is held.
func (c *Client) trackSeq(e *Event) {
	seq := e.Seq()
	if seq == 0 {
		return
	}
	core := e.Get("Core-UUID")
	restarted := core != "" && c.lastCore != "" && core != c.lastCore
	switch {
	case c.resumed || restarted:
		c.stats.SeqGaps++
		if !restarted && c.lastSeq != 0 && seq > c.lastSeq+1 && c.allEvents() {
			c.stats.MissedEvents += seq - c.lastSeq - 1
		}
		c.log.Warn("esl: events may have been lost while disconnected", "last_seq", c.lastSeq, "seq", seq, "freeswitch_restarted", restarted)
	case c.lastSeq == 0:
	case seq > c.lastSeq+1 && c.allEvents():
		c.stats.SeqGaps++
		c.stats.MissedEvents += seq - c.lastSeq - 1
		c.log.Warn("esl: gap in Event-Sequence", "last_seq", c.lastSeq, "seq", seq, "missing", seq-c.lastSeq-1)
	}
	c.resumed = false
	c.lastSeq = seq
	if core != "" {
		c.lastCore = core
	}
}

// sortedKeys is a small helper for stable command lines.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
