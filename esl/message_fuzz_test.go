package esl

import (
	"bufio"
	"bytes"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	raw, err := os.ReadFile("fstest/testdata/traces/04_event_plain_ALL_ivr_call.raw")
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int{200, 3000, 9000} {
		f.Add(raw[:n])
	}
	for _, s := range []string{
		"Content-Type: auth/request\n\n",
		"Event-Name: CHANNEL_DATA\nUnique-ID: abc\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n",
		"Content-Type: api/response\nContent-Length: 5\n\nfalse",
		"Content-Length: 20\nContent-Type: text/event-plain\n\nEvent-Name: X\nA: %zz\n",
		"Content-Length: -1\n\n",
		"Content-Length: 99999999999999999999\n\n",
		"Content-Length: 3\r\nContent-Type: text/event-json\r\n\r\n{\"",
		"\n\n\nno colon here\n\n",
		"Content-Length: 30\nContent-Type: text/event-plain\n\nContent-Length: 99\n\nshort",
	} {
		f.Add([]byte(s))
	}
}

// FuzzReadMessage feeds arbitrary bytes to the message reader and the event parsers: they must
// never panic, never allocate past their limits, and keep Content-Length framing exact.
func FuzzReadMessage(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for i := 0; i < 64; i++ {
			m, err := readMessage(br)
			if err != nil {
				return
			}
			if len(m.headers) == 0 {
				t.Fatalf("message without headers")
			}
			if cl, ok := lookup(m.headers, "Content-Length"); ok {
				n, err := strconv.Atoi(strings.TrimSpace(cl))
				if err != nil || n != len(m.body) {
					t.Fatalf("body %d bytes, Content-Length %q", len(m.body), cl)
				}
			} else if m.body != "" {
				t.Fatalf("body without Content-Length")
			}
			_ = m.replyText()
			var e *Event
			switch m.contentType() {
			case typeEventPlain:
				e, err = newEventPlain(m.body)
			case typeEventJSON:
				e, err = newEventJSON(m.body)
			}
			if err == nil && e != nil {
				_ = e.Headers()
				_ = e.Seq()
				_ = e.Var("x")
				_ = e.String()
			}
		}
	})
}

// FuzzDecodeValue checks header decoding against net/url wherever net/url accepts the input.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{"%2BOK%0A", "a%20b", "%", "%z", "%%41", "100%", "tone_stream%3A//%25(500,0,440)", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := decodeValue(s)
		if want, err := url.PathUnescape(s); err == nil && got != want {
			t.Fatalf("decodeValue(%q) = %q, url.PathUnescape = %q", s, got, want)
		}
		if !strings.Contains(s, "%") && got != s {
			t.Fatalf("decodeValue changed %q without escapes", s)
		}
	})
}
