package fstest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// Header is one event header: a name and its raw (not URL-encoded) value.
type Header struct {
	Name, Value string
}

// Event is a FreeSWITCH event as the emulator builds it: headers in FreeSWITCH's order and an
// optional body (BACKGROUND_JOB results, API output).
type Event struct {
	Headers []Header
	Body    string
}

// Name returns the Event-Name header.
func (e *Event) Name() string { return e.Get("Event-Name") }

// Get returns the first value of header name, or "".
func (e *Event) Get(name string) string {
	for _, h := range e.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

func (e *Event) add(name, value string) { e.Headers = append(e.Headers, Header{name, value}) }

// urlUnsafe lists the bytes FreeSWITCH's switch_url_encode escapes besides controls and non-ASCII.
const urlUnsafe = "\r\n \"#%&+:;<=>?@[\\]^`{|}"

// unsafeByte marks the bytes urlEncode escapes.
var unsafeByte = func() (t [256]bool) {
	for i := 0; i < 256; i++ {
		t[i] = i < 0x20 || i > 0x7e
	}
	for i := 0; i < len(urlUnsafe); i++ {
		t[urlUnsafe[i]] = true
	}
	return t
}()

// appendURLEncoded writes s escaped as FreeSWITCH does into b.
func appendURLEncoded(b *bytes.Buffer, s string) {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !unsafeByte[c] {
			continue
		}
		b.WriteString(s[start:i])
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
		start = i + 1
	}
	b.WriteString(s[start:])
}

// urlEncode escapes s the way FreeSWITCH does in text/event-plain values.
func urlEncode(s string) string {
	need := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || strings.IndexByte(urlUnsafe, c) >= 0 {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || strings.IndexByte(urlUnsafe, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// urlDecode reverses urlEncode (and '+' is kept as is, like FreeSWITCH).
func urlDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// plainBody renders the event as FreeSWITCH's text/event-plain body (the part after the outer
// headers): url-encoded "Name: value" lines, then an inner Content-Length and the body if any.
func (e *Event) plainBody() []byte {
	var b bytes.Buffer
	b.Grow(48 * len(e.Headers))
	for _, h := range e.Headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		appendURLEncoded(&b, h.Value)
		b.WriteByte('\n')
	}
	if e.Body != "" {
		b.WriteString("Content-Length: ")
		b.WriteString(strconv.Itoa(len(e.Body)))
		b.WriteString("\n\n")
		b.WriteString(e.Body)
	} else {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// jsonBody renders the event as FreeSWITCH's text/event-json body: one object, headers in order,
// values as strings, the body under "_body" after its Content-Length.
func (e *Event) jsonBody() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, h := range e.Headers {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, h.Name)
		b.WriteByte(':')
		writeJSONString(&b, h.Value)
	}
	if e.Body != "" {
		b.WriteString(`,"Content-Length":`)
		writeJSONString(&b, strconv.Itoa(len(e.Body)))
		b.WriteString(`,"_body":`)
		writeJSONString(&b, e.Body)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	start := b.Len()
	_ = enc.Encode(s) // a string always encodes
	// Encode appends a newline; drop it.
	if b.Len() > start && b.Bytes()[b.Len()-1] == '\n' {
		b.Truncate(b.Len() - 1)
	}
}

// eventFrame is an event ready for the wire in both formats, built once per event.
type eventFrame struct {
	ev    *Event
	mu    sync.Mutex
	plain []byte
	json  []byte
}

func (f *eventFrame) bytes(format string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if format == "json" {
		if f.json == nil {
			f.json = frame("text/event-json", f.ev.jsonBody())
		}
		return f.json
	}
	if f.plain == nil {
		f.plain = frame("text/event-plain", f.ev.plainBody())
	}
	return f.plain
}

// frame wraps an event body in the outer ESL headers: Content-Length FIRST, then Content-Type.
func frame(ctype string, body []byte) []byte {
	out := make([]byte, 0, len(body)+64)
	out = append(out, "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\nContent-Type: "...)
	out = append(out, ctype...)
	out = append(out, "\n\n"...)
	return append(out, body...)
}
