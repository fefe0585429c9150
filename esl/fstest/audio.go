package fstest

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// forever is the length of endless prompts (silence_stream://-1, loops=-1, endless_playback).
const forever = time.Duration(math.MaxInt64)

// DefaultPromptLength is how long a prompt plays when its file cannot be read (a sound file that
// exists only on the real FreeSWITCH, e.g. "ivr/ivr-welcome.wav").
const DefaultPromptLength = 2 * time.Second

// tone is one segment of a tone_stream: on time with frequencies, then off time.
type tone struct {
	on, off time.Duration
	freqs   []float64
}

// prompt is what a playback plays: its length and the tones it contains (for recordings).
type prompt struct {
	length time.Duration
	tones  []tone // nil for files and silence
	loops  int    // tone_stream loops; -1 forever
	pcm    []int16
	rate   int
	offset time.Duration // where in pcm the segment starts (far-end speech while bridged)
}

// parsePrompt works out what a playback argument plays: tone_stream://, silence_stream://,
// file_string://a!b, a WAV file (length from its header) or anything else (DefaultPromptLength).
func parsePrompt(arg string) prompt {
	arg = strings.TrimSpace(arg)
	switch {
	case strings.HasPrefix(arg, "tone_stream://"):
		return parseToneStream(strings.TrimPrefix(arg, "tone_stream://"))
	case strings.HasPrefix(arg, "silence_stream://"):
		f := strings.Split(strings.TrimPrefix(arg, "silence_stream://"), ",")
		ms, err := strconv.Atoi(strings.TrimSpace(f[0]))
		if err != nil {
			return prompt{length: DefaultPromptLength}
		}
		if ms < 0 {
			return prompt{length: forever}
		}
		return prompt{length: time.Duration(ms) * time.Millisecond}
	case strings.HasPrefix(arg, "say:"):
		text := strings.TrimPrefix(arg, "say:")
		if f := strings.SplitN(text, ":", 3); len(f) == 3 && !strings.Contains(f[0], " ") {
			text = f[2] // say:engine:voice:text
		}
		return prompt{length: speakLength(text)}
	case strings.HasPrefix(arg, "local_stream://"):
		return prompt{length: 0} // no music on hold configured: FILE NOT FOUND at once
	case strings.HasPrefix(arg, "file_string://"):
		var total time.Duration
		for _, p := range strings.Split(strings.TrimPrefix(arg, "file_string://"), "!") {
			pr := parsePrompt(p)
			if pr.length == forever {
				return pr
			}
			total += pr.length
		}
		return prompt{length: total}
	case strings.HasPrefix(arg, "{"):
		if i := strings.IndexByte(arg, '}'); i > 0 {
			return parsePrompt(arg[i+1:])
		}
	}
	if pcm, rate, err := readWAV(arg); err == nil {
		return prompt{length: time.Duration(len(pcm)) * time.Second / time.Duration(rate), pcm: pcm, rate: rate}
	}
	return prompt{length: DefaultPromptLength}
}

// parseToneStream parses TGML like "%(500,0,440);loops=2" or "%(400,600,480,620)".
func parseToneStream(s string) prompt {
	p := prompt{loops: 1}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "loops="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				p.loops = n
			}
			continue
		}
		if v, ok := strings.CutPrefix(part, "L="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				p.loops = n
			}
			continue
		}
		for {
			i := strings.Index(part, "%(")
			if i < 0 {
				break
			}
			j := strings.IndexByte(part[i:], ')')
			if j < 0 {
				break
			}
			nums := strings.Split(part[i+2:i+j], ",")
			part = part[i+j+1:]
			if len(nums) < 2 {
				continue
			}
			on, _ := strconv.Atoi(strings.TrimSpace(nums[0]))
			off, _ := strconv.Atoi(strings.TrimSpace(nums[1]))
			t := tone{on: time.Duration(on) * time.Millisecond, off: time.Duration(off) * time.Millisecond}
			for _, f := range nums[2:] {
				if v, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err == nil {
					t.freqs = append(t.freqs, v)
				}
			}
			p.tones = append(p.tones, t)
		}
	}
	var one time.Duration
	for _, t := range p.tones {
		one += t.on + t.off
	}
	switch {
	case p.loops < 0:
		p.length = forever
	case p.loops == 0:
		p.length = one
	default:
		p.length = one * time.Duration(p.loops)
	}
	return p
}

// speakLength estimates how long a TTS engine takes to say text (about 14 characters a second).
func speakLength(text string) time.Duration {
	return 300*time.Millisecond + time.Duration(len(text))*70*time.Millisecond
}

// readWAV reads a PCM WAV file (16-bit mono or stereo, any rate) into mono samples.
func readWAV(path string) ([]int16, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return decodeWAV(f)
}

func decodeWAV(r io.Reader) ([]int16, int, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, fmt.Errorf("wav header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("not a RIFF/WAVE file")
	}
	var rate, channels, bits int
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, 0, fmt.Errorf("wav: no data chunk: %w", err)
		}
		size := int(binary.LittleEndian.Uint32(ch[4:8]))
		switch string(ch[0:4]) {
		case "fmt ":
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil || size < 16 {
				return nil, 0, fmt.Errorf("wav fmt chunk: %v", err)
			}
			if binary.LittleEndian.Uint16(b[0:2]) != 1 {
				return nil, 0, fmt.Errorf("wav: only PCM is supported")
			}
			channels = int(binary.LittleEndian.Uint16(b[2:4]))
			rate = int(binary.LittleEndian.Uint32(b[4:8]))
			bits = int(binary.LittleEndian.Uint16(b[14:16]))
		case "data":
			if rate == 0 || bits != 16 || channels < 1 {
				return nil, 0, fmt.Errorf("wav: need 16-bit PCM (got %d bits, %d channels)", bits, channels)
			}
			b, err := io.ReadAll(io.LimitReader(r, int64(size)))
			if err != nil {
				return nil, 0, err
			}
			n := len(b) / 2 / channels
			out := make([]int16, n)
			for i := 0; i < n; i++ {
				out[i] = int16(binary.LittleEndian.Uint16(b[i*2*channels:]))
			}
			return out, rate, nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size+size%2)); err != nil {
				return nil, 0, err
			}
		}
	}
}

// encodeWAV renders mono 16-bit PCM as a RIFF WAVE file (44-byte header, as FreeSWITCH writes).
func encodeWAV(samples []int16, rate int) []byte {
	data := len(samples) * 2
	b := make([]byte, 44+data)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+data))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(data))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[44+i*2:], uint16(s))
	}
	return b
}

// resample converts mono PCM between rates by linear interpolation.
func resample(in []int16, from, to int) []int16 {
	if from == to || from <= 0 || len(in) == 0 {
		return in
	}
	n := int(int64(len(in)) * int64(to) / int64(from))
	out := make([]int16, n)
	for i := range out {
		pos := float64(i) * float64(from) / float64(to)
		j := int(pos)
		if j+1 >= len(in) {
			out[i] = in[len(in)-1]
			continue
		}
		fr := pos - float64(j)
		out[i] = int16(float64(in[j])*(1-fr) + float64(in[j+1])*fr)
	}
	return out
}
