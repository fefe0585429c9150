package fstest

import (
	"math"
	"slices"
	"time"
)

// KeyLatency is how long the controller took to answer one key press: the time between a DTMF
// event on the channel and the next application the controller started there.
type KeyLatency struct {
	DTMF    time.Time     // emulated time of the key press
	Command time.Time     // emulated time of the next application
	Took    time.Duration // real time between them (emulated time divided by the clock's speed)
}

// KeyLatencies lists, for each application a call ran right after a key press, how long the
// controller took to send it. speed is the emulated clock's speed factor (1 for real time).
// Load tests use it to measure DTMF-to-next-command latency at the switch.
func KeyLatencies(ev []CallEvent, speed float64) []KeyLatency {
	if speed <= 0 {
		speed = 1
	}
	var out []KeyLatency
	var lastDTMF time.Time
	for _, e := range ev {
		switch e.Kind {
		case KindDTMF:
			lastDTMF = e.At
		case KindApp:
			if !lastDTMF.IsZero() {
				out = append(out, KeyLatency{DTMF: lastDTMF, Command: e.At,
					Took: time.Duration(float64(e.At.Sub(lastDTMF)) / speed)})
				lastDTMF = time.Time{}
			}
		}
	}
	return out
}

// Percentile returns the p-th quantile (0 < p <= 1, nearest rank) of durations, sorting them
// in place; 0 when there are none.
func Percentile(durations []time.Duration, p float64) time.Duration {
	if len(durations) == 0 {
		return 0
	}
	slices.Sort(durations)
	i := int(math.Ceil(p*float64(len(durations)))) - 1
	return durations[min(max(i, 0), len(durations)-1)]
}
