package callback

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// Pacer spaces originates evenly at a rate (calls per second, no bursts) and caps the
// originates in flight per FreeSWITCH node. One Pacer serves one ivrd; two ivrd instances on
// one database each pace themselves (give each half the rate).
type Pacer struct {
	interval time.Duration
	perNode  int

	mu       sync.Mutex
	next     time.Time
	inflight map[string]int
	picks    uint64            // counts Acquire's choices
	picked   map[string]uint64 // when each node was last chosen (in picks), to rotate ties
	freed    chan struct{}     // closed and replaced when a slot is released
}

// NewPacer returns a pacer for rate calls per second and perNode originates in flight per node.
func NewPacer(rate float64, perNode int) *Pacer {
	if rate <= 0 {
		rate = 1
	}
	return &Pacer{interval: time.Duration(float64(time.Second) / rate), perNode: max(perNode, 1),
		inflight: map[string]int{}, picked: map[string]uint64{}, freed: make(chan struct{})}
}

// Wait blocks until the next call may start: each caller gets its own slot, interval apart.
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(slot)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrNoNode says no FreeSWITCH node can take a call now.
var ErrNoNode = errors.New("no FreeSWITCH node has room for another callback")

// Acquire picks the node with the most free channels among names (free gives a node's free
// channels, negative when it is down) whose originates in flight are under the cap, and reserves a slot
// on it until release is called. It waits for a slot until ctx ends.
func (p *Pacer) Acquire(ctx context.Context, names []string, free func(string) int) (string, func(), error) {
	for {
		p.mu.Lock()
		type cand struct {
			name       string
			room, busy int
			last       uint64
		}
		var cs []cand
		for _, n := range names {
			busy := p.inflight[n]
			if busy >= p.perNode {
				continue
			}
			// Rank by the node's own free capacity (originates in flight may not show in its
			// channel count yet); max_per_node is a cap, not the measure, or every call would
			// go to the first node listed whenever the cap is below the nodes' capacity.
			room := free(n) - busy
			if room <= 0 {
				continue
			}
			cs = append(cs, cand{n, room, busy, p.picked[n]})
		}
		if len(cs) > 0 {
			sort.SliceStable(cs, func(i, j int) bool {
				if cs[i].room != cs[j].room {
					return cs[i].room > cs[j].room
				}
				if cs[i].busy != cs[j].busy {
					return cs[i].busy < cs[j].busy
				}
				return cs[i].last < cs[j].last // equal nodes take turns
			})
			n := cs[0].name
			p.inflight[n]++
			p.picks++
			p.picked[n] = p.picks
			p.mu.Unlock()
			var once sync.Once
			return n, func() { once.Do(func() { p.release(n) }) }, nil
		}
		wait := p.freed
		p.mu.Unlock()
		t := time.NewTimer(250 * time.Millisecond) // nodes reconnect and free channels too
		select {
		case <-wait:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", nil, errors.Join(ErrNoNode, ctx.Err())
		}
		t.Stop()
	}
}

func (p *Pacer) release(n string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight[n]--
	close(p.freed)
	p.freed = make(chan struct{})
}

// InFlight is the number of originates in flight on node n.
func (p *Pacer) InFlight(n string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight[n]
}
