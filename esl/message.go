package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unsafe"

	"github.com/percipia/eslgo"
)

// Content types FreeSWITCH puts on its messages (eslgo's names, plus log/data).
const (
	typeAuthRequest = eslgo.TypeAuthRequest
	typeReply       = eslgo.TypeReply
	typeAPIResponse = eslgo.TypeAPIResponse
	typeEventPlain  = eslgo.TypeEventPlain
	typeEventJSON   = eslgo.TypeEventJSON
	typeEventXML    = eslgo.TypeEventXML
	typeDisconnect  = eslgo.TypeDisconnect
	typeLogData     = "log/data"
)

// Limits that keep a hostile or broken peer from making the reader allocate without bound.
const (
	maxHeaderLine  = 64 << 10 // one header line
	maxHeaders     = 4096     // header lines in one block
	maxBodyLength  = 64 << 20 // one message body
	headerCapGuess = 8
)

// ErrProtocol is wrapped by every error about bytes that are not valid ESL.
var ErrProtocol = errors.New("esl: protocol error")

// Header is one "Name: value" line. Value is as received: URL-encoded inside text/event-plain
// bodies and channel data, literal in outer headers of replies.
type Header struct {
	Name  string
	Value string
}

// message is one ESL message as framed on the wire: its outer header block and its body
// (Content-Length bytes, or none).
type message struct {
	headers []Header
	body    string
}

// get returns the first outer header with that name (exact, then case-insensitive), as received.
func (m *message) get(name string) string {
	v, _ := lookup(m.headers, name)
	return v
}

func (m *message) contentType() string { return m.get("Content-Type") }

// replyText is what a command/reply or api/response says: Reply-Text for replies, the body for
// api responses. The connect reply's Reply-Text is URL-encoded ("%2BOK%0A"): decode it.
func (m *message) replyText() string {
	if v, ok := lookup(m.headers, "Reply-Text"); ok {
		if strings.IndexByte(v, '%') >= 0 {
			return decodeValue(v)
		}
		return v
	}
	return m.body
}

func lookup(hs []Header, name string) (string, bool) {
	for i := range hs {
		if hs[i].Name == name {
			return hs[i].Value, true
		}
	}
	for i := range hs {
		if strings.EqualFold(hs[i].Name, name) {
			return hs[i].Value, true
		}
	}
	return "", false
}

// readMessage reads one complete message: header lines up to a blank line, then Content-Length
// bytes of body if that header is present. FreeSWITCH's reply to `connect` has no
// Content-Length: its channel data are the header block itself.
func readMessage(br *bufio.Reader) (*message, error) {
	hs, err := readHeaderBlock(br)
	if err != nil {
		return nil, err
	}
	m := &message{headers: hs}
	cl, ok := lookup(hs, "Content-Length")
	if !ok {
		return m, nil
	}
	n, err := parseLength(cl)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return m, nil
	}
	var buf []byte
	if n <= 1<<20 {
		buf = make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading %d-byte body: %w", n, err)
		}
	} else {
		// A large body grows as its bytes arrive: a peer announcing 60 MB and sending 10
		// bytes costs 10 bytes, not 60 MB.
		var bb bytes.Buffer
		if _, err := io.CopyN(&bb, br, int64(n)); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading %d-byte body: %w", n, err)
		}
		buf = bb.Bytes()
	}
	// buf is never written again: share its memory with the string instead of copying it.
	m.body = unsafe.String(unsafe.SliceData(buf), len(buf))
	return m, nil
}

func parseLength(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > maxBodyLength {
		return 0, fmt.Errorf("%w: bad Content-Length %q", ErrProtocol, s)
	}
	return n, nil
}

// readHeaderBlock reads "Name: value" lines until an empty line. Leading empty lines (stray
// separators) are skipped. Lines may end in \n or \r\n.
func readHeaderBlock(br *bufio.Reader) ([]Header, error) {
	hs := make([]Header, 0, headerCapGuess)
	for {
		line, err := readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) && len(hs) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if line == "" {
			if len(hs) == 0 {
				continue
			}
			return hs, nil
		}
		if len(hs) >= maxHeaders {
			return nil, fmt.Errorf("%w: more than %d header lines", ErrProtocol, maxHeaders)
		}
		h, err := splitHeader(line)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
}

func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A long line: collect it piecewise, bounded.
		acc := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull {
			if len(acc) > maxHeaderLine {
				return "", fmt.Errorf("%w: header line longer than %d bytes", ErrProtocol, maxHeaderLine)
			}
			b, err = br.ReadSlice('\n')
			acc = append(acc, b...)
		}
		b = acc
	}
	if err != nil {
		if len(b) > 0 && errors.Is(err, io.EOF) {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return string(b), nil
}

func splitHeader(line string) (Header, error) {
	i := strings.IndexByte(line, ':')
	if i <= 0 {
		return Header{}, fmt.Errorf("%w: header line without name: %q", ErrProtocol, clip(line))
	}
	v := line[i+1:]
	if len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	return Header{Name: line[:i], Value: v}, nil
}

// parseHeaderString splits a text/event-plain body into its header lines and the inner body
// (after an inner Content-Length). It does not copy: names and values are substrings of s.
func parseHeaderString(s string) (hs []Header, body string, err error) {
	hs = make([]Header, 0, strings.Count(s, "\n")+1)
	for len(s) > 0 {
		nl := strings.IndexByte(s, '\n')
		var line string
		if nl < 0 {
			line, s = s, ""
		} else {
			line, s = s[:nl], s[nl+1:]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if line == "" {
			break
		}
		h, err := splitHeader(line)
		if err != nil {
			return nil, "", err
		}
		hs = append(hs, h)
	}
	if cl, ok := lookup(hs, "Content-Length"); ok {
		n, err := parseLength(cl)
		if err != nil {
			return nil, "", err
		}
		if n > len(s) {
			return nil, "", fmt.Errorf("%w: event body shorter (%d bytes) than its Content-Length %d", ErrProtocol, len(s), n)
		}
		body = s[:n]
	}
	return hs, body, nil
}

// decodeValue undoes FreeSWITCH's URL encoding of header values ("%2BOK%0A" -> "+OK\n").
// A malformed escape is kept literally rather than failing: a header value is never fatal.
func decodeValue(v string) string {
	if strings.IndexByte(v, '%') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' && i+2 < len(v) && ishex(v[i+1]) && ishex(v[i+2]) {
			b.WriteByte(unhex(v[i+1])<<4 | unhex(v[i+2]))
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
