package ivr

import "time"

// Clock tells the runtime the time of day: business hours, call record timestamps and
// durations. Production uses SystemClock; `ivrd flows test` uses the FakeChannel's virtual
// clock, so a scenario set at "Sunday 23:00" sees Sunday 23:00 and time moves only as the
// simulated call does.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
