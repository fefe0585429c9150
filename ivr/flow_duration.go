package ivr

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Estimates of how long audio plays, for the worst-case "time to a person" analysis.

// wavDuration reads a RIFF/WAVE header (fmt and data chunks) and returns the playing time;
// 0 when the bytes are not a WAV header.
func wavDuration(b []byte) time.Duration {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0
	}
	var byteRate uint32
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := binary.LittleEndian.Uint32(b[off+4 : off+8])
		body := off + 8
		switch id {
		case "fmt ":
			if body+12 <= len(b) {
				byteRate = binary.LittleEndian.Uint32(b[body+8 : body+12])
			}
		case "data":
			if byteRate == 0 {
				return 0
			}
			return time.Duration(float64(size) / float64(byteRate) * float64(time.Second))
		}
		next := body + int(size) + int(size&1)
		if next <= off || size > 1<<30 {
			return 0
		}
		off = next
	}
	return 0
}

// speechDuration estimates text-to-speech time: 2.5 words a second (150 words a minute), 4
// Chinese/Japanese characters a second, and each {{...}} read as 4 words (a number read
// digit by digit takes longer than a word).
func speechDuration(text string) time.Duration {
	words, cjk := 0, 0
	inWord := false
	for i := 0; i < len(text); {
		if strings.HasPrefix(text[i:], "{{") {
			end := strings.Index(text[i:], "}}")
			if end < 0 {
				break
			}
			words += 4
			i += end + 2
			inWord = false
			continue
		}
		r, size := rune(text[i]), 1
		if r >= 0x80 {
			r, size = decodeRune(text[i:])
		}
		i += size
		switch {
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
			cjk++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				words++
			}
			inWord = true
		default:
			inWord = false
		}
	}
	secs := float64(words)/2.5 + float64(cjk)/4
	return time.Duration(secs * float64(time.Second))
}

func decodeRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 1
}

var toneSegRE = regexp.MustCompile(`%\((\d+),(\d+)`)

// streamDuration estimates the playing time of a FreeSWITCH stream URL: silence_stream://N
// is N ms; tone_stream:// sums its %(on,off,...) segments times loops; others (music) 0.
func streamDuration(u string) time.Duration {
	switch {
	case strings.HasPrefix(u, "silence_stream://"):
		ms, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(u, "silence_stream://"), ",", 2)[0])
		if err != nil || ms < 0 {
			return 0
		}
		return time.Duration(ms) * time.Millisecond
	case strings.HasPrefix(u, "tone_stream://"):
		total := 0
		for _, m := range toneSegRE.FindAllStringSubmatch(u, -1) {
			on, _ := strconv.Atoi(m[1])
			off, _ := strconv.Atoi(m[2])
			total += on + off
		}
		loops := 1
		if i := strings.Index(u, "loops="); i >= 0 {
			n, err := strconv.Atoi(strings.TrimRight(u[i+6:], "; "))
			if err == nil && n > 0 {
				loops = n
			}
		}
		return time.Duration(total*loops) * time.Millisecond
	}
	return 0
}
