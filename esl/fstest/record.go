package fstest

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// playedSeg is a prompt the channel played, kept so a recording can contain it.
type playedSeg struct {
	start   time.Time
	elapsed time.Duration
	p       prompt
}

// recording is a running record_session.
type recording struct {
	ch    *channel
	path  string
	start time.Time
	rate  int
}

// notePlayed keeps a played prompt while a recording runs, so the file contains it.
func (c *channel) notePlayed(start time.Time, elapsed time.Duration, p prompt) {
	c.mu.Lock()
	if c.rec != nil {
		c.played = append(c.played, playedSeg{start: start, elapsed: elapsed, p: p})
	}
	c.mu.Unlock()
}

// appRecordSession starts recording both directions to path (RECORD_START at once).
func (c *channel) appRecordSession(arg string) {
	path := arg
	if i := len(path); i > 0 && path[0] == '{' {
		if j := indexByte(path, '}'); j > 0 {
			path = path[j+1:]
		}
	}
	rate := c.rate
	if v, ok := c.getVar("record_sample_rate"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			rate = n
		}
	}
	r := &recording{ch: c, path: path, start: c.srv.clock.Now(), rate: rate}
	c.mu.Lock()
	old := c.rec
	c.rec = r
	c.mu.Unlock()
	if old != nil {
		old.finalize("success-maxtime")
	}
	c.fire("RECORD_START", siteRecordStart, Header{"Record-File-Path", path})
	c.srv.noteCall(c, CallEvent{Kind: KindRecordStart, Data: path})
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// appStopRecordSession stops the recording of path (or "all").
func (c *channel) appStopRecordSession(arg string) {
	c.mu.Lock()
	r := c.rec
	if r != nil && (arg == "" || arg == "all" || arg == r.path) {
		c.rec = nil
	} else {
		r = nil
	}
	c.mu.Unlock()
	if r != nil {
		r.finalize("success-maxtime")
	}
}

// finalize writes the WAV file and fires RECORD_STOP with the record_* variables.
func (r *recording) finalize(cause string) {
	c := r.ch
	now := c.srv.clock.Now()
	elapsed := now.Sub(r.start)
	n := int(elapsed.Milliseconds() * int64(r.rate) / 1000)
	pcm := r.render(n)
	data := encodeWAV(pcm, r.rate)
	if dir := filepath.Dir(r.path); dir != "" {
		_ = os.MkdirAll(dir, 0o755)
	}
	if err := os.WriteFile(r.path, data, 0o644); err != nil {
		c.srv.log.Warn("fstest: record_session: write failed", "path", r.path, "err", err)
	}
	ms := int64(n) * 1000 / int64(r.rate)
	c.mu.Lock()
	c.vars.set("record_file_size", strconv.Itoa(len(data)))
	c.vars.set("record_samples", strconv.Itoa(n))
	c.vars.set("record_seconds", strconv.FormatInt(ms/1000, 10))
	c.vars.set("record_ms", strconv.FormatInt(ms, 10))
	c.vars.set("record_completion_cause", cause)
	e := c.eventLocked("RECORD_STOP", siteRecordStop, nil, true, true,
		[]Header{{"Record-File-Path", r.path}, {"Record-Completion-Cause", cause}})
	c.srv.fireLocked(e, c)
	c.mu.Unlock()
	c.srv.noteCall(c, CallEvent{Kind: KindRecordStop, Data: r.path, Length: time.Duration(ms) * time.Millisecond})
}

// render makes n samples: the far end's audio from the moment recording started, mixed with the
// tones the channel played meanwhile.
func (r *recording) render(n int) []int16 {
	c := r.ch
	out := make([]int16, n)
	c.mu.Lock()
	audio, arate := c.callerAudio, c.audioRate
	anchor := c.answeredAt
	if anchor.IsZero() {
		anchor = c.created
	}
	played := append([]playedSeg(nil), c.played...)
	c.mu.Unlock()
	if len(audio) > 0 {
		src := resample(audio, arate, r.rate)
		off := int(r.start.Sub(anchor).Milliseconds() * int64(r.rate) / 1000)
		if off < 0 {
			off = 0
		}
		for i := 0; i < n && off+i < len(src); i++ {
			out[i] = src[off+i]
		}
	}
	for _, seg := range played {
		if len(seg.p.tones) == 0 && len(seg.p.pcm) == 0 {
			continue
		}
		startIdx := int(seg.start.Sub(r.start).Milliseconds() * int64(r.rate) / 1000)
		total := int(seg.elapsed.Milliseconds() * int64(r.rate) / 1000)
		var pcm []int16
		if seg.p.pcm != nil {
			pcm = resample(seg.p.pcm, seg.p.rate, r.rate)
			if skip := int(seg.p.offset.Milliseconds() * int64(r.rate) / 1000); skip > 0 {
				if skip >= len(pcm) {
					pcm = nil
				} else {
					pcm = pcm[skip:]
				}
			}
		}
		for i := 0; i < total; i++ {
			j := startIdx + i
			if j < 0 || j >= n {
				continue
			}
			var v float64
			if seg.p.pcm != nil {
				if i < len(pcm) {
					v = float64(pcm[i])
				}
			} else {
				v = toneSample(seg.p.tones, i, r.rate)
			}
			mixed := float64(out[j]) + v
			out[j] = int16(math.Max(-32768, math.Min(32767, mixed)))
		}
	}
	return out
}

// toneSample is sample i of a looping TGML tone sequence at rate.
func toneSample(tones []tone, i, rate int) float64 {
	var cycle time.Duration
	for _, t := range tones {
		cycle += t.on + t.off
	}
	if cycle <= 0 {
		return 0
	}
	pos := time.Duration(int64(i) * int64(time.Second) / int64(rate))
	pos %= cycle
	for _, t := range tones {
		if pos < t.on {
			var v float64
			for _, f := range t.freqs {
				v += math.Sin(2 * math.Pi * f * float64(i) / float64(rate))
			}
			if len(t.freqs) > 0 {
				v = v / float64(len(t.freqs)) * 8000
			}
			return v
		}
		pos -= t.on
		if pos < t.off {
			return 0
		}
		pos -= t.off
	}
	return 0
}
