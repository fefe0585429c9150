package esl

import (
	"sync"
	"sync/atomic"
)

// Subscription delivers events, in the order FreeSWITCH sent them, to one consumer. The socket
// reader hands events to it without ever waiting: they queue in an unbounded ring until the
// consumer takes them, so a slow consumer costs memory, never the connection (FreeSWITCH
// disconnects listeners that read slowly).
type Subscription struct {
	mu      sync.Mutex
	ring    []*Event // ring buffer; len is a power of two
	head    int      // index of the oldest event
	n       int      // events queued
	wake    chan struct{}
	closed  bool // no more events will be pushed
	stopped chan struct{}
	out     chan *Event
	match   func(*Event) bool
	onClose func(*Subscription)
	maxSeen int
	held    atomic.Int64 // taken from the ring by deliver, not yet handed over
}

func newSubscription(match func(*Event) bool, onClose func(*Subscription)) *Subscription {
	s := &Subscription{
		ring:    make([]*Event, 16),
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		out:     make(chan *Event, 64), // a little slack saves a goroutine switch per event
		match:   match,
		onClose: onClose,
	}
	go s.deliver()
	return s
}

// Events is the channel the events arrive on. It is closed after the source ends (the call's
// connection closed, the client closed) and every queued event was taken, or after Close.
func (s *Subscription) Events() <-chan *Event { return s.out }

// Close stops delivery and drops queued events. It is safe to call more than once.
func (s *Subscription) Close() {
	s.mu.Lock()
	already := s.isStopped()
	if !already {
		close(s.stopped)
	}
	s.mu.Unlock()
	if !already && s.onClose != nil {
		s.onClose(s)
	}
}

// Backlog is how many events wait for the consumer now, and the most that ever waited in the
// queue.
func (s *Subscription) Backlog() (now, most int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n + int(s.held.Load()) + len(s.out), s.maxSeen
}

func (s *Subscription) isStopped() bool {
	select {
	case <-s.stopped:
		return true
	default:
		return false
	}
}

// push queues e if it matches. It never blocks.
func (s *Subscription) push(e *Event) {
	if s.match != nil && !s.match(e) {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.n == len(s.ring) {
		grown := make([]*Event, 2*len(s.ring))
		for i := 0; i < s.n; i++ {
			grown[i] = s.ring[(s.head+i)&(len(s.ring)-1)]
		}
		s.ring, s.head = grown, 0
	}
	s.ring[(s.head+s.n)&(len(s.ring)-1)] = e
	s.n++
	if s.n > s.maxSeen {
		s.maxSeen = s.n
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// end says no more events will come; Events is closed once the queue is drained.
func (s *Subscription) end() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// popAll moves every queued event into batch (reused) under one lock.
func (s *Subscription) popAll(batch []*Event) ([]*Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch = batch[:0]
	for s.n > 0 {
		batch = append(batch, s.ring[s.head])
		s.held.Add(1)
		s.ring[s.head] = nil
		s.head = (s.head + 1) & (len(s.ring) - 1)
		s.n--
	}
	if len(s.ring) > 1024 {
		s.ring, s.head = make([]*Event, 16), 0 // give back a burst's memory
	}
	return batch, s.closed
}

func (s *Subscription) deliver() {
	defer close(s.out)
	var batch []*Event
	for {
		var closed bool
		batch, closed = s.popAll(batch)
		if len(batch) == 0 {
			if closed {
				return
			}
			select {
			case <-s.wake:
				continue
			case <-s.stopped:
				return
			}
		}
		for i, e := range batch {
			select {
			case s.out <- e:
				batch[i] = nil
				s.held.Add(-1)
			case <-s.stopped:
				return
			}
		}
	}
}
