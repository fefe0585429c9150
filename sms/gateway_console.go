package sms

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// ConsoleText is one text the console outbox showed.
type ConsoleText struct {
	ID       string
	At       time.Time
	From, To string
	Text     string
	Segments SegmentInfo
}

// Console is the outbox of `ivrd demo`: it prints each text to a writer and keeps the most
// recent ones for the status page. It never fails.
type Console struct {
	mu     sync.Mutex
	w      io.Writer
	keep   int
	recent []ConsoleText
	seq    int
	now    func() time.Time
}

// NewConsole prints texts to w and keeps the last keep of them (default 50).
func NewConsole(w io.Writer, keep int) *Console {
	if keep <= 0 {
		keep = 50
	}
	return &Console{w: w, keep: keep, now: time.Now}
}

// Name implements Gateway.
func (c *Console) Name() string { return "console" }

// Send implements Gateway.
func (c *Console) Send(_ context.Context, msg Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := "console-" + strconv.Itoa(c.seq)
	t := ConsoleText{ID: id, At: c.now(), From: msg.From, To: msg.To, Text: msg.Text, Segments: Segments(msg.Text)}
	c.recent = append(c.recent, t)
	if len(c.recent) > c.keep {
		c.recent = append([]ConsoleText(nil), c.recent[len(c.recent)-c.keep:]...)
	}
	if c.w != nil {
		fmt.Fprintf(c.w, "SMS %s -> %s (%d %s segment(s)): %s\n", msg.From, msg.To, t.Segments.Count, t.Segments.Encoding, msg.Text)
	}
	return id, nil
}

// Recent returns the texts kept, oldest first.
func (c *Console) Recent() []ConsoleText {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ConsoleText(nil), c.recent...)
}
