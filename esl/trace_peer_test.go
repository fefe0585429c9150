package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// This file is a scripted FreeSWITCH peer for wire-level tests: it speaks real TCP and sends
// the bytes a real FreeSWITCH sent (fstest/testdata/traces, shared with the emulator), checking that what our side writes
// matches what the traced client wrote.

type traceBlock struct {
	dir  string // "C->S" or "S->C"
	data []byte
}

var traceHeader = regexp.MustCompile(`^#### \[\+[0-9.]+s\] (C->S|S->C)\s+\((\d+) bytes\)`)

// loadTrace parses an fstest/testdata/traces/*.txt transcript into its blocks.
func loadTrace(t testing.TB, name string) []traceBlock {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("fstest", "testdata", "traces", name))
	require.NoError(t, err)
	var out []traceBlock
	for len(raw) > 0 {
		nl := bytes.IndexByte(raw, '\n')
		if nl < 0 {
			break
		}
		line := string(raw[:nl])
		raw = raw[nl+1:]
		m := traceHeader.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		require.LessOrEqual(t, n, len(raw), "trace %s truncated", name)
		out = append(out, traceBlock{dir: m[1], data: append([]byte(nil), raw[:n]...)})
		raw = raw[n:]
	}
	require.NotEmpty(t, out, "no blocks in trace %s", name)
	return out
}

// clientCommand is one command as read by the peer.
type clientCommand struct {
	line    string
	headers map[string]string
	body    string
	raw     string
}

func readClientCommand(br *bufio.Reader) (*clientCommand, error) {
	cmd := &clientCommand{headers: map[string]string{}}
	var raw strings.Builder
	for {
		line, err := br.ReadString('\n')
		raw.WriteString(line)
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if cmd.line == "" {
				continue
			}
			break
		}
		if cmd.line == "" {
			cmd.line = line
			continue
		}
		k, v, _ := strings.Cut(line, ": ")
		cmd.headers[strings.ToLower(k)] = v
	}
	if cl := cmd.headers["content-length"]; cl != "" {
		n, _ := strconv.Atoi(cl)
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		cmd.body = string(b)
		raw.Write(b)
	}
	cmd.raw = raw.String()
	return cmd, nil
}

// dropCommand removes the client command whose first line contains substr, and what
// FreeSWITCH sent in answer to it (up to the next command).
func dropCommand(blocks []traceBlock, substr string) []traceBlock {
	for i, b := range blocks {
		if b.dir == "C->S" && strings.Contains(strings.SplitN(string(b.data), "\n", 2)[0], substr) {
			j := i + 1
			for j < len(blocks) && blocks[j].dir != "C->S" {
				j++
			}
			return append(append([]traceBlock(nil), blocks[:i]...), blocks[j:]...)
		}
	}
	panic("no command " + substr)
}

func parseClientCommand(t testing.TB, b []byte) *clientCommand {
	t.Helper()
	cmd, err := readClientCommand(bufio.NewReader(bytes.NewReader(b)))
	require.NoError(t, err)
	return cmd
}

// sameCommand compares what matters of two commands: the line, and for sendmsg the
// call-command, application and argument (Event-UUIDs differ per run).
func sameCommand(a, b *clientCommand) bool {
	if normalizeOriginate(a.line) != normalizeOriginate(b.line) {
		return false
	}
	for _, h := range []string{"call-command", "execute-app-name", "execute-app-arg", "hangup-cause", "event-lock"} {
		if h == "event-lock" && b.headers[h] == "" {
			continue // the traced client did not lock; we always do
		}
		if a.headers[h] != b.headers[h] {
			return false
		}
	}
	return true
}

// normalizeOriginate sorts the {vars} of an originate so variable order does not matter.
func normalizeOriginate(line string) string {
	prefix, rest, ok := strings.Cut(line, "originate {")
	if !ok {
		return line
	}
	vars, tail, ok := strings.Cut(rest, "}")
	if !ok {
		return line
	}
	kv := strings.Split(vars, ",")
	sort.Strings(kv)
	return prefix + "originate {" + strings.Join(kv, ",") + "}" + tail
}

// isPipelinedSet reports whether cmd is a set/unset sendmsg this package sends ahead of an
// application (the traced client did not always need them).
func isPipelinedSet(cmd *clientCommand) bool {
	app := cmd.headers["execute-app-name"]
	return cmd.line == "sendmsg" && (app == "set" || app == "unset")
}

// tracePeer plays FreeSWITCH's side of a trace on conn.
type tracePeer struct {
	t      testing.TB
	blocks []traceBlock
	// subst replaces trace values (Event-UUIDs) with ours, same length, in S->C bytes.
	subst map[string]string
	// sent collects every command our side wrote.
	sent []*clientCommand
	// seen, if set, receives each command line as it is read.
	seen chan<- string
}

const okReply = "Content-Type: command/reply\nReply-Text: +OK\n\n"

// run replays the trace on nc: for each traced client command, read ours, check it matches,
// then send the FreeSWITCH messages that followed it in the trace. Extra set/unset sendmsgs get
// a plain +OK. After the last block it waits for our side to close. It returns the first
// mismatch, if any.
func (p *tracePeer) run(nc net.Conn) error {
	defer nc.Close()
	br := bufio.NewReader(nc)
	if p.subst == nil {
		p.subst = map[string]string{}
	}
	i := 0
	for i < len(p.blocks) {
		b := p.blocks[i]
		if b.dir == "S->C" {
			if err := p.write(nc, b.data); err != nil {
				if !p.commandsLeft(i) {
					return nil // our side closed after its last command: fine
				}
				return err
			}
			i++
			continue
		}
		want := parseClientCommand(p.t, b.data)
		for {
			got, err := readClientCommand(br)
			if err != nil {
				return fmt.Errorf("waiting for %q: %w", want.line, err)
			}
			p.sent = append(p.sent, got)
			if p.seen != nil {
				p.seen <- got.line
			}
			if sameCommand(got, want) {
				for _, h := range []string{"event-uuid", "job-uuid"} {
					if id := want.headers[h]; id != "" && len(got.headers[h]) == len(id) {
						p.subst[id] = got.headers[h]
					}
				}
				if want.headers["event-uuid"] == "" && got.headers["event-uuid"] != "" {
					// The traced client sent no Event-UUID, so FreeSWITCH made one up: map it to ours.
					if id := p.appUUIDAfter(i, want.headers["execute-app-name"]); len(id) == len(got.headers["event-uuid"]) {
						p.subst[id] = got.headers["event-uuid"]
					}
				}
				break
			}
			if strings.HasPrefix(got.line, "event plain ") {
				if _, err := io.WriteString(nc, "Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n"); err != nil {
					return err
				}
				continue
			}
			if got.line == "linger" && want.line != "linger" {
				if _, err := io.WriteString(nc, "Content-Type: command/reply\nReply-Text: +OK will linger\n\n"); err != nil {
					return err
				}
				continue
			}
			if isPipelinedSet(got) {
				if _, err := io.WriteString(nc, okReply); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("command mismatch:\n got: %q\nwant: %q", got.raw, want.raw)
		}
		i++
	}
	if last := p.blocks[len(p.blocks)-1]; last.dir == "C->S" || strings.Contains(string(last.data), "Content-Disposition: disconnect") {
		// Without linger FreeSWITCH closes the socket after its goodbye; a script that ends
		// with a client command means FreeSWITCH vanished right after reading it.
		return nil
	}
	// Wait for our side to close (FreeSWITCH lingers until the client closes).
	_ = nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		got, err := readClientCommand(br)
		if err != nil {
			if err == io.EOF || errors.Is(err, syscall.ECONNRESET) {
				return nil // our side closed (a reset when it closed with events unread)
			}
			return fmt.Errorf("after the trace: %w", err)
		}
		p.sent = append(p.sent, got)
	}
}

var appUUIDLine = regexp.MustCompile(`(?m)^Application-UUID: (\S+)$`)

// appUUIDAfter finds the Application-UUID FreeSWITCH gave app in the events that follow
// block i of the trace (up to the next client command).
func (p *tracePeer) appUUIDAfter(i int, app string) string {
	for _, b := range p.blocks[i+1:] {
		if b.dir == "C->S" {
			return ""
		}
		s := string(b.data)
		if strings.Contains(s, "\nApplication: "+app+"\n") {
			if m := appUUIDLine.FindStringSubmatch(s); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

func (p *tracePeer) commandsLeft(from int) bool {
	for _, b := range p.blocks[from:] {
		if b.dir == "C->S" {
			return true
		}
	}
	return false
}

func (p *tracePeer) write(nc net.Conn, data []byte) error {
	s := string(data)
	for from, to := range p.subst {
		s = strings.ReplaceAll(s, from, to)
	}
	_, err := io.WriteString(nc, s)
	return err
}

// dialOutbound acts as FreeSWITCH's socket application: it connects to our server and
// replays the trace, returning the result on the channel.
func dialOutbound(t testing.TB, addr string, blocks []traceBlock) (*tracePeer, <-chan error) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	p := &tracePeer{t: t, blocks: blocks}
	done := make(chan error, 1)
	go func() { done <- p.run(nc) }()
	t.Cleanup(func() { _ = nc.Close() })
	return p, done
}

// serveInbound listens like FreeSWITCH's port 8021 and replays blocks to each connection
// accepted (one at a time).
func serveInbound(t testing.TB, blocks []traceBlock) (addr string, results <-chan error) {
	t.Helper()
	return serveInboundSeen(t, blocks, nil)
}

// serveInboundSeen is serveInbound that reports every command line read on seen.
func serveInboundSeen(t testing.TB, blocks []traceBlock, seen chan<- string) (addr string, results <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	out := make(chan error, 16)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			p := &tracePeer{t: t, blocks: blocks, seen: seen}
			out <- p.run(nc)
		}
	}()
	return ln.Addr().String(), out
}
