package fstest

import (
	"sync"
	"time"
)

// Clock is the emulator's source of time. Prompt lengths, ring times, timeouts and linger all run
// on it, so tests can run a 30 s call in a fraction of a second with a fast clock.
type Clock interface {
	// Now is the emulated wall-clock time (Event-Date-*, *_epoch variables).
	Now() time.Time
	// After waits for emulated duration d.
	After(d time.Duration) <-chan time.Time
	// NewTimer starts a timer of emulated duration d.
	NewTimer(d time.Duration) Timer
}

// Timer is a stoppable timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// RealClock runs at wall-clock speed.
func RealClock() Clock { return ScaledClock(1) }

// ScaledClock runs emulated time speed times faster than wall-clock time: with speed 20 a 10 s
// prompt takes half a second. Now starts at the real time and advances speed times faster.
func ScaledClock(speed float64) Clock {
	if speed <= 0 {
		speed = 1
	}
	return &scaledClock{speed: speed, base: time.Now()}
}

type scaledClock struct {
	speed float64
	base  time.Time
	mu    sync.Mutex
}

func (c *scaledClock) Now() time.Time {
	if c.speed == 1 {
		return time.Now()
	}
	el := time.Since(c.base)
	return c.base.Add(time.Duration(float64(el) * c.speed))
}

func (c *scaledClock) real(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(float64(d) / c.speed)
}

func (c *scaledClock) After(d time.Duration) <-chan time.Time { return time.After(c.real(d)) }

func (c *scaledClock) NewTimer(d time.Duration) Timer {
	return realTimer{time.NewTimer(c.real(d))}
}

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time { return t.t.C }
func (t realTimer) Stop() bool          { return t.t.Stop() }
