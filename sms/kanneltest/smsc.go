package kanneltest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// SMSC is the carrier side of Kannel's `smsc = fake` connection, speaking its
// one-line-per-message protocol: "FROM TO TYPE DATA". Kannel's fake SMSC serves one client
// at a time, so each Kannel has one SMSC.
type SMSC struct {
	conn net.Conn
	wmu  sync.Mutex
	out  chan Outbound
	done chan struct{}
	err  error // read error, set before done is closed
}

// Outbound is a text Kannel sent to the carrier, with concatenated parts joined.
type Outbound struct {
	From, To string
	// Type is the protocol type of the (first) line: "text", "ucs-2", "data" or "udh".
	Type string
	// Data is the message bytes (URL-decoded), all parts joined in order.
	Data []byte
	// UDH is the user data header of each part (nil for a single text).
	UDH [][]byte
	// Parts is the number of segments the text came in.
	Parts int
	// Lines are the raw protocol lines.
	Lines []string
}

// Text returns the message as UTF-8: UCS-2 texts decoded from UTF-16BE, the others as is.
// A concatenated (udh) text does not say its coding on the fake protocol: use UCS2 when the
// text was sent as UCS-2.
func (o Outbound) Text() string {
	if o.Type == "ucs-2" {
		return o.UCS2()
	}
	return string(o.Data)
}

// UCS2 decodes Data as UTF-16BE.
func (o Outbound) UCS2() string {
	u := make([]uint16, len(o.Data)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(o.Data[2*i:])
	}
	return string(utf16.Decode(u))
}

func dialSMSC(ctx context.Context, port int) (*SMSC, error) {
	var d net.Dialer
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var conn net.Conn
	for {
		var err error
		if conn, err = d.DialContext(ctx, "tcp", addr); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to the fake SMSC port %d: %w", port, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s := &SMSC{conn: conn, out: make(chan Outbound, 1024), done: make(chan struct{})}
	go s.read()
	return s, nil
}

// Close disconnects from Kannel.
func (s *SMSC) Close() error { return s.conn.Close() }

// Deliver sends a mobile-originated text to Kannel as the carrier would: plain ASCII as a
// "text" line, anything else as "ucs2" (UTF-16BE, URL-encoded), as a handset sends Chinese.
func (s *SMSC) Deliver(ctx context.Context, from, to, text string) error {
	if strings.ContainsAny(from+to, " \n") {
		return errors.New("kanneltest: numbers may not contain spaces")
	}
	line := from + " " + to + " "
	if isPlainASCII(text) {
		line += "text " + text
	} else {
		var b []byte
		for _, u := range utf16.Encode([]rune(text)) {
			b = binary.BigEndian.AppendUint16(b, u)
		}
		line += "ucs2 " + url.QueryEscape(string(b))
	}
	return s.writeLine(ctx, line)
}

// DeliverLine sends one raw protocol line (without the newline), for malformed-input tests.
func (s *SMSC) DeliverLine(ctx context.Context, line string) error { return s.writeLine(ctx, line) }

func (s *SMSC) writeLine(ctx context.Context, line string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.conn.SetWriteDeadline(dl)
		defer s.conn.SetWriteDeadline(time.Time{})
	}
	if _, err := s.conn.Write([]byte(line + "\n")); err != nil {
		return fmt.Errorf("kanneltest: write to Kannel: %w", err)
	}
	return nil
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Next returns the next text Kannel sent (concatenated parts joined).
func (s *SMSC) Next(ctx context.Context) (Outbound, error) {
	select {
	case o := <-s.out:
		return o, nil
	case <-s.done:
		select {
		case o := <-s.out:
			return o, nil
		default:
		}
		return Outbound{}, fmt.Errorf("kanneltest: SMSC connection ended: %w", s.err)
	case <-ctx.Done():
		return Outbound{}, fmt.Errorf("kanneltest: no text from Kannel: %w", ctx.Err())
	}
}

// Pending returns the texts received and not yet taken by Next, without waiting.
func (s *SMSC) Pending() []Outbound {
	var got []Outbound
	for {
		select {
		case o := <-s.out:
			got = append(got, o)
		default:
			return got
		}
	}
}

// concat is a text whose parts are still arriving.
type concat struct {
	first Outbound
	parts [][]byte
	udh   [][]byte
	lines []string
	seen  int
}

func (s *SMSC) read() {
	defer close(s.done)
	pending := map[string]*concat{}
	sc := bufio.NewScanner(s.conn)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		o, ref, total, seq, err := parseLine(line)
		if err != nil {
			s.err = err
			return
		}
		if total <= 1 {
			s.out <- o
			continue
		}
		key := fmt.Sprintf("%s|%s|%d", o.From, o.To, ref)
		c := pending[key]
		if c == nil {
			c = &concat{first: o, parts: make([][]byte, total), udh: make([][]byte, total), lines: make([]string, total)}
			pending[key] = c
		}
		if seq < 1 || seq > total || c.parts[seq-1] != nil {
			s.err = fmt.Errorf("kanneltest: bad or repeated part %d/%d in %q", seq, total, line)
			return
		}
		c.parts[seq-1], c.udh[seq-1], c.lines[seq-1] = o.Data, o.UDH[0], line
		c.seen++
		if c.seen == total {
			delete(pending, key)
			full := c.first
			full.Data, full.UDH, full.Lines, full.Parts = nil, c.udh, c.lines, total
			for _, p := range c.parts {
				full.Data = append(full.Data, p...)
			}
			s.out <- full
		}
	}
	s.err = sc.Err()
	if s.err == nil {
		s.err = errors.New("closed by Kannel")
	}
}

// parseLine reads "FROM TO text DATA", "FROM TO ucs-2 ENC", "FROM TO data ENC" or
// "FROM TO udh ENC data ENC". ref/total/seq describe a concatenated part (total 0 or 1: single).
func parseLine(line string) (o Outbound, ref, total, seq int, err error) {
	f := strings.SplitN(line, " ", 4)
	if len(f) < 4 {
		return o, 0, 0, 0, fmt.Errorf("kanneltest: short line from Kannel: %q", line)
	}
	o = Outbound{From: f[0], To: f[1], Type: f[2], Parts: 1, Lines: []string{line}}
	switch f[2] {
	case "text":
		o.Data = []byte(f[3])
		return o, 0, 1, 1, nil
	case "ucs-2", "data":
		o.Data, err = unescape(f[3])
		return o, 0, 1, 1, err
	case "udh":
		rest := strings.SplitN(f[3], " ", 3)
		if len(rest) != 3 || rest[1] != "data" {
			return o, 0, 0, 0, fmt.Errorf("kanneltest: bad udh line: %q", line)
		}
		udh, err := unescape(rest[0])
		if err != nil {
			return o, 0, 0, 0, err
		}
		if o.Data, err = unescape(rest[2]); err != nil {
			return o, 0, 0, 0, err
		}
		o.UDH = [][]byte{udh}
		ref, total, seq = concatInfo(udh)
		return o, ref, total, seq, nil
	}
	return o, 0, 0, 0, fmt.Errorf("kanneltest: unknown line type %q in %q", f[2], line)
}

// concatInfo finds the concatenation element (8-bit or 16-bit reference) in a UDH.
func concatInfo(udh []byte) (ref, total, seq int) {
	if len(udh) < 1 {
		return 0, 1, 1
	}
	ies := udh[1:]
	if n := int(udh[0]); n < len(ies) {
		ies = ies[:n]
	}
	for len(ies) >= 2 {
		id, n := ies[0], int(ies[1])
		if len(ies) < 2+n {
			break
		}
		v := ies[2 : 2+n]
		switch {
		case id == 0x00 && n == 3:
			return int(v[0]), int(v[1]), int(v[2])
		case id == 0x08 && n == 4:
			return int(v[0])<<8 | int(v[1]), int(v[2]), int(v[3])
		}
		ies = ies[2+n:]
	}
	return 0, 1, 1
}

func unescape(s string) ([]byte, error) {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("kanneltest: bad URL-encoded data %q: %w", s, err)
	}
	return []byte(u), nil
}
