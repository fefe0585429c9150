package recordings

import (
	"math"
	"time"
)

// activityFrame is the analysis step for silence and talk-over.
const activityFrame = 20 * time.Millisecond

// silenceDBFS is the level below which a frame counts as silence: well above the noise of a
// quiet line, well below speech (which sits around -30 to -10 dBFS).
const silenceDBFS = -45.0

// Activity is which parts of a recording have someone speaking, per channel, in 20 ms frames.
type Activity struct {
	Duration time.Duration
	// Active[c][i] says whether channel c has sound in frame i.
	Active [][]bool
}

// Span is a stretch of a recording.
type Span struct {
	Start, End time.Duration
}

// Len is the span's length.
func (s Span) Len() time.Duration { return s.End - s.Start }

// AnalyseActivity measures which frames of each channel of a are above the silence level.
// Short gaps (under 300 ms, the pauses between words) are filled in, so talk-over and silence
// are about turns, not syllables.
func AnalyseActivity(a *Audio) *Activity {
	frame := a.Rate * int(activityFrame/time.Millisecond) / 1000
	act := &Activity{Duration: a.Duration(), Active: make([][]bool, len(a.Channels))}
	threshold := 32768 * math.Pow(10, silenceDBFS/20)
	for c, samples := range a.Channels {
		n := len(samples) / frame
		on := make([]bool, n)
		for i := 0; i < n; i++ {
			var sum float64
			for _, s := range samples[i*frame : (i+1)*frame] {
				sum += float64(s) * float64(s)
			}
			on[i] = math.Sqrt(sum/float64(frame)) >= threshold
		}
		fillGaps(on, int(300*time.Millisecond/activityFrame))
		act.Active[c] = on
	}
	return act
}

// fillGaps marks inactive runs shorter than maxGap frames between two active frames as active.
func fillGaps(on []bool, maxGap int) {
	lastOn := -1
	for i, v := range on {
		if !v {
			continue
		}
		if lastOn >= 0 && i-lastOn-1 > 0 && i-lastOn-1 < maxGap {
			for k := lastOn + 1; k < i; k++ {
				on[k] = true
			}
		}
		lastOn = i
	}
}

// LongestSilence is the longest stretch in which no channel has sound, ignoring the silence
// before the first and after the last sound (ringing and hangup, not dead air); for a
// recording with no sound at all it is the whole recording.
func (a *Activity) LongestSilence() Span {
	n := a.frames()
	any := make([]bool, n)
	first, last := -1, -1
	for i := 0; i < n; i++ {
		for _, ch := range a.Active {
			if ch[i] {
				any[i] = true
			}
		}
		if any[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return Span{0, a.Duration}
	}
	best := Span{}
	run := -1
	for i := first; i <= last+1 && i <= n; i++ {
		quiet := i <= last && !any[i]
		if quiet && run < 0 {
			run = i
		}
		if !quiet && run >= 0 {
			s := Span{frameTime(run), frameTime(i)}
			if s.Len() > best.Len() {
				best = s
			}
			run = -1
		}
	}
	return best
}

// TalkOver is the total time both channels of a stereo recording have sound at once, and
// the longest such stretch. ok is false for mono recordings, where it cannot be measured.
func (a *Activity) TalkOver() (total time.Duration, longest Span, ok bool) {
	if len(a.Active) != 2 {
		return 0, Span{}, false
	}
	n := a.frames()
	run := -1
	for i := 0; i <= n; i++ {
		both := i < n && a.Active[0][i] && a.Active[1][i]
		if both {
			total += activityFrame
			if run < 0 {
				run = i
			}
		}
		if !both && run >= 0 {
			if s := (Span{frameTime(run), frameTime(i)}); s.Len() > longest.Len() {
				longest = s
			}
			run = -1
		}
	}
	return total, longest, true
}

func (a *Activity) frames() int {
	n := -1
	for _, ch := range a.Active {
		if n < 0 || len(ch) < n {
			n = len(ch)
		}
	}
	return max(n, 0)
}

func frameTime(i int) time.Duration { return time.Duration(i) * activityFrame }
