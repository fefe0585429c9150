package fstest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// conn is one ESL connection, inbound (a client dialled 8021) or outbound (the emulator dialled
// a socket application's target). One reader goroutine parses commands; one writer goroutine
// drains an unbounded queue, so replies and events keep their order and a slow client never
// blocks the emulator.
type conn struct {
	srv      *Server
	nc       net.Conn
	br       *bufio.Reader
	outbound *outSession // nil for inbound connections

	qmu    sync.Mutex
	qcond  *sync.Cond
	queue  [][]byte
	closeQ bool // close after the queue drains
	dead   bool

	smu        sync.Mutex
	format     string // "" (no events), "plain", "json", "xml"
	all        bool
	names      map[string]bool
	subclasses map[string]bool
	filters    []eventFilter
	myUUID     string // myevents: only this session's events
	authed     bool
	eventDelay time.Duration
}

type eventFilter struct{ header, value string }

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc, br: bufio.NewReaderSize(nc, 4<<10), names: map[string]bool{}, subclasses: map[string]bool{}}
	c.qcond = sync.NewCond(&c.qmu)
	go c.writeLoop()
	return c
}

// send queues raw bytes for the client.
func (c *conn) send(b []byte) {
	c.qmu.Lock()
	if !c.dead && !c.closeQ {
		c.queue = append(c.queue, b)
		c.qcond.Signal()
	}
	c.qmu.Unlock()
}

// closeAfterFlush closes the connection once everything queued so far is written.
func (c *conn) closeAfterFlush() {
	c.qmu.Lock()
	c.closeQ = true
	c.qcond.Signal()
	c.qmu.Unlock()
}

// kill closes the socket at once, dropping whatever is queued.
func (c *conn) kill() {
	c.qmu.Lock()
	c.dead = true
	c.queue = nil
	c.qcond.Signal()
	c.qmu.Unlock()
	_ = c.nc.Close()
}

func (c *conn) isDead() bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.dead
}

func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 8<<10)
	for {
		c.qmu.Lock()
		for len(c.queue) == 0 && !c.closeQ && !c.dead {
			c.qcond.Wait()
		}
		if c.dead {
			c.qmu.Unlock()
			return
		}
		batch := c.queue
		c.queue = nil
		closing := c.closeQ && len(batch) == 0
		delay := c.eventDelay
		c.qmu.Unlock()
		if closing {
			_ = bw.Flush()
			c.markDead()
			_ = c.nc.Close()
			return
		}
		for _, b := range batch {
			if delay > 0 {
				_ = bw.Flush()
				time.Sleep(delay)
			}
			if _, err := bw.Write(b); err != nil {
				c.markDead()
				_ = c.nc.Close()
				return
			}
		}
		if err := bw.Flush(); err != nil {
			c.markDead()
			_ = c.nc.Close()
			return
		}
	}
}

func (c *conn) markDead() {
	c.qmu.Lock()
	c.dead = true
	c.queue = nil
	c.qmu.Unlock()
}

// reply queues a command/reply with Reply-Text and optional extra headers.
func (c *conn) reply(text string, extra ...Header) {
	var b strings.Builder
	b.WriteString("Content-Type: command/reply\nReply-Text: ")
	b.WriteString(text)
	b.WriteByte('\n')
	for _, h := range extra {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	c.srv.replyStall()
	c.send([]byte(b.String()))
}

// apiResponse queues an api/response with body.
func (c *conn) apiResponse(body string) {
	c.srv.replyStall()
	c.send([]byte("Content-Type: api/response\nContent-Length: " + strconv.Itoa(len(body)) + "\n\n" + body))
}

const goodbye = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

// disconnectNotice queues a text/disconnect-notice; headers go between Content-Type and
// Content-Length, as FreeSWITCH writes them.
func (c *conn) disconnectNotice(body string, headers ...Header) {
	var b strings.Builder
	b.WriteString("Content-Type: text/disconnect-notice\n")
	for _, h := range headers {
		b.WriteString(h.Name + ": " + h.Value + "\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\n\n" + body)
	c.send([]byte(b.String()))
}

// command is one client command: the first line and the header lines after it, plus a body.
type command struct {
	line    string
	headers textproto.MIMEHeader
	order   []Header
	body    string
}

func (cmd *command) get(name string) string {
	for _, h := range cmd.order {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

var errBlank = errors.New("blank command")

// readCommand reads lines up to a blank line; sendmsg bodies of content-length bytes follow.
func (c *conn) readCommand() (*command, error) {
	cmd := &command{}
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" {
				return nil, io.EOF
			}
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if cmd.line == "" {
				continue // stray blank lines between commands
			}
			break
		}
		if cmd.line == "" {
			cmd.line = line
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			cmd.order = append(cmd.order, Header{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	if n := cmd.get("content-length"); n != "" {
		l, err := strconv.Atoi(n)
		if err != nil || l < 0 || l > 1<<20 {
			return nil, fmt.Errorf("bad content-length %q", n)
		}
		buf := make([]byte, l)
		if _, err := io.ReadFull(c.br, buf); err != nil {
			return nil, err
		}
		cmd.body = string(buf)
	}
	return cmd, nil
}

// wants reports whether this connection subscribed to e.
func (c *conn) wants(e *Event, name string) bool {
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.format == "" {
		return false
	}
	if !c.all && !c.names[name] {
		if name != "CUSTOM" || len(c.subclasses) == 0 {
			return false
		}
	}
	if name == "CUSTOM" && len(c.subclasses) > 0 && !c.all && !c.names["CUSTOM"] {
		if !c.subclasses[e.Get("Event-Subclass")] {
			return false
		}
	}
	if c.myUUID != "" && e.Get("Unique-ID") != c.myUUID && e.Get("Job-Owner-UUID") != c.myUUID {
		return false
	}
	if len(c.filters) > 0 {
		ok := false
		for _, f := range c.filters {
			if e.Get(f.header) == f.value {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
