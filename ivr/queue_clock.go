package ivr

import (
	"sort"
	"sync"
	"time"
)

// TimerClock is the clock of the queue engine: the time, and timers (hold schedule, wait
// limits, wrap-up). SystemTimerClock is the real one; ManualClock moves only when told, so
// tests of announcements, wait limits and wrap-up run in milliseconds.
type TimerClock interface {
	Clock
	// AfterFunc calls f in its own goroutine once d has passed; stop cancels it and reports
	// whether it did so before f was called.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// SystemTimerClock is the wall clock.
type SystemTimerClock struct{}

// Now returns time.Now().
func (SystemTimerClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (SystemTimerClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// ManualClock is a TimerClock for tests: time stands still until Advance, which runs the
// timers that come due in its own goroutine (so they must not block).
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers map[int]*manualTimer
	// waiters are notified when a timer is added (WaitTimers).
	added chan struct{}
}

type manualTimer struct {
	at  time.Time
	seq int
	f   func()
}

// NewManualClock starts a ManualClock at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, timers: map[int]*manualTimer{}, added: make(chan struct{})}
}

// Now implements Clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc implements TimerClock.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := c.seq
	c.timers[id] = &manualTimer{at: c.now.Add(d), seq: id, f: f}
	close(c.added)
	c.added = make(chan struct{})
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.timers[id]
		delete(c.timers, id)
		return ok
	}
}

// Advance moves the clock by d and runs the timers that came due, in time order.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*manualTimer
	for id, t := range c.timers {
		if !t.at.After(c.now) {
			due = append(due, t)
			delete(c.timers, id)
		}
	}
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool {
		if !due[i].at.Equal(due[j].at) {
			return due[i].at.Before(due[j].at)
		}
		return due[i].seq < due[j].seq
	})
	for _, t := range due {
		t.f()
	}
}

// Pending is the number of timers waiting.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// TimerAdded returns a channel closed when the next timer is added.
func (c *ManualClock) TimerAdded() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.added
}
