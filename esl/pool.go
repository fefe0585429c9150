package esl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
)

// Pool holds one Client per FreeSWITCH node, by name, for ivrd instances that drive several
// nodes at once. Nodes that are down when the pool starts are dialed in the background like
// any dropped connection.
type Pool struct {
	mu      sync.Mutex
	clients map[string]*Client
	order   []string
}

// NewPool starts a client for every node. It fails only for configuration errors (duplicate or
// missing names, no address, no usable password source); unreachable nodes are retried.
// TrackChannels is turned on: the free-capacity hint needs it.
func NewPool(nodes []Node, opts ClientOptions) (*Pool, error) {
	if len(nodes) == 0 {
		return nil, errors.New("esl: no FreeSWITCH nodes configured; add one under freeswitch: in ivrd.yaml")
	}
	opts.TrackChannels = true
	p := &Pool{clients: make(map[string]*Client, len(nodes))}
	for _, n := range nodes {
		if n.Name == "" {
			p.Close()
			return nil, fmt.Errorf("esl: freeswitch node at %s has no name; give every node a unique name", n.Address)
		}
		if _, dup := p.clients[n.Name]; dup {
			p.Close()
			return nil, fmt.Errorf("esl: freeswitch node name %q is used twice; names must be unique", n.Name)
		}
		c, err := newClient(n, opts)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.clients[n.Name] = c
		p.order = append(p.order, n.Name)
		c.wg.Add(1)
		go c.supervise()
	}
	return p, nil
}

// Client returns the client of the named node.
func (p *Pool) Client(name string) (*Client, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[name]
	return c, ok
}

// Names lists the nodes in configuration order.
func (p *Pool) Names() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.order...)
}

// Free is a node's free-capacity hint: MaxChannels minus live channels (math.MaxInt when the
// node has no MaxChannels), or -1 while it is disconnected.
func (p *Pool) Free(name string) int {
	c, ok := p.Client(name)
	if !ok || !c.Connected() {
		return -1
	}
	return free(c)
}

func free(c *Client) int {
	if c.node.MaxChannels <= 0 {
		return math.MaxInt
	}
	return max(c.node.MaxChannels-c.ChannelCount(), 0)
}

// Pick returns the connected node with the most free capacity (ties: configuration order).
// It waits for a node to connect until ctx ends; nodes that are full are not picked.
func (p *Pool) Pick(ctx context.Context) (*Client, error) {
	for {
		p.mu.Lock()
		names := append([]string(nil), p.order...)
		p.mu.Unlock()
		type cand struct {
			c    *Client
			free int
			idx  int
		}
		var cands []cand
		var waits []<-chan struct{}
		for i, n := range names {
			c, _ := p.Client(n)
			c.mu.Lock()
			cur, up := c.cur, c.up
			c.mu.Unlock()
			if cur == nil {
				waits = append(waits, up)
				continue
			}
			if f := free(c); f > 0 {
				cands = append(cands, cand{c, f, i})
			}
		}
		if len(cands) > 0 {
			sort.SliceStable(cands, func(i, j int) bool { return cands[i].free > cands[j].free })
			return cands[0].c, nil
		}
		if len(waits) == 0 {
			return nil, fmt.Errorf("esl: every FreeSWITCH node is at max_channels; try again later")
		}
		if err := waitAny(ctx, waits); err != nil {
			return nil, fmt.Errorf("%w: no FreeSWITCH node is connected: %w", ErrNotConnected, err)
		}
	}
}

func waitAny(ctx context.Context, chans []<-chan struct{}) error {
	done := make(chan struct{})
	var once sync.Once
	stop := make(chan struct{})
	defer close(stop)
	for _, ch := range chans {
		go func() {
			select {
			case <-ch:
				once.Do(func() { close(done) })
			case <-stop:
			}
		}()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes every client.
func (p *Pool) Close() {
	p.mu.Lock()
	cs := make([]*Client, 0, len(p.clients))
	for _, c := range p.clients {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
}
