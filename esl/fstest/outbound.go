package fstest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// outSession is the socket application's connection to its target (ivrd's outbound server).
type outSession struct {
	ch      *channel
	c       *conn
	target  string
	mu      sync.Mutex
	linger  bool
	lingerN int // seconds; -1 = until the client closes
	resume  bool
	gone    chan struct{} // closed when the socket is closed by either side
	goneMu  sync.Once
	noticed chan struct{} // closed once the end-of-call notice (linger or disconnect) is queued
}

// appSocket is the "socket" application: connect to host:port, hand the channel over, and park
// until the call ends or the client goes away.
func (c *channel) appSocket(arg string) string {
	f := strings.Fields(arg)
	if len(f) == 0 {
		return "_none_"
	}
	target := f[0]
	s := c.srv
	host, _, _ := net.SplitHostPort(target)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.DialTimeout)
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", target)
	cancel()
	if err != nil {
		s.log.Warn("fstest: socket application: connect failed", "target", target, "err", err)
		return "_none_" // FreeSWITCH logs "Socket Error" and the dialplan continues
	}
	c.setVar("socket_host", host)
	conn := newConn(s, nc)
	o := &outSession{ch: c, c: conn, target: target, gone: make(chan struct{}), noticed: make(chan struct{})}
	conn.outbound = o
	conn.authed = true
	s.mu.Lock()
	s.conns[conn] = struct{}{}
	s.others[conn] = struct{}{}
	s.mu.Unlock()
	c.socketHold.Add(1)
	c.held.Add(1)

	connected := make(chan struct{})
	go o.readLoop(connected)
	select {
	case <-connected:
	case <-o.gone:
		c.held.Add(-1)
		c.socketHold.Done()
		close(o.noticed) // nothing to tell a client that never connected properly
		c.hangup("NORMAL_CLEARING")
		return "_none_"
	case <-c.hungup:
		go o.afterEnd()
		return "_none_"
	}
	go o.afterEnd()
	c.park(o.gone)
	return ""
}

// readLoop reads the client's commands: first "connect", then everything else.
func (o *outSession) readLoop(connected chan struct{}) {
	s := o.ch.srv
	defer func() {
		s.removeConn(o.c)
		o.close()
	}()
	first := true
	for {
		cmd, err := o.c.readCommand()
		if err != nil {
			return
		}
		if first {
			word, _, _ := strings.Cut(cmd.line, " ")
			if word != "connect" {
				o.c.reply("-ERR command not found")
				continue
			}
			first = false
			o.sendChannelData()
			close(connected)
			o.ch.fire("CHANNEL_PARK", sitePark)
			continue
		}
		if !s.handleCommand(o.c, cmd) {
			return
		}
	}
}

// sendChannelData answers "connect" with the channel data (no Content-Length, as FreeSWITCH).
func (o *outSession) sendChannelData() {
	ch := o.ch
	ch.mu.Lock()
	e := ch.srv.newEvent("CHANNEL_DATA", siteChannelData)
	// caller profile under the "Channel-" prefix first, then the usual channel data
	ch.prof.addHeaders(e, "Channel-", true)
	rest := ch.eventLocked("CHANNEL_DATA", siteChannelData, nil, true, true, nil)
	e.Headers = append(e.Headers, rest.Headers[13:]...)
	ch.srv.evMu.Lock()
	ch.srv.seq++
	stampEvent(e, ch.srv.clock.Now(), ch.srv.seq)
	ch.srv.evMu.Unlock()
	ch.mu.Unlock()
	var b strings.Builder
	for _, h := range e.Headers {
		b.WriteString(h.Name + ": " + urlEncode(h.Value) + "\n")
	}
	b.WriteString("Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")
	o.c.send([]byte(b.String()))
}

func (o *outSession) close() {
	o.goneMu.Do(func() {
		close(o.gone)
		o.c.closeAfterFlush()
	})
}

// afterEnd waits for the call to end, then tells the client (linger or disconnect) and releases
// the session; a client that closes first makes FreeSWITCH hang the call up.
func (o *outSession) afterEnd() {
	ch := o.ch
	defer ch.socketHold.Done()
	defer ch.held.Add(-1)
	noticed := false
	defer func() {
		if !noticed {
			close(o.noticed)
		}
	}()
	select {
	case <-ch.ended:
	case <-o.gone:
		o.mu.Lock()
		resume := o.resume
		o.mu.Unlock()
		if !resume {
			ch.hangup("NORMAL_CLEARING")
		}
		return
	}
	o.mu.Lock()
	linger, n := o.linger, o.lingerN
	o.mu.Unlock()
	uuid := Header{"Controlled-Session-UUID", ch.uuid}
	if !linger {
		o.c.disconnectNotice(goodbye, uuid, Header{"Content-Disposition", "disconnect"})
		o.close()
		return
	}
	o.c.disconnectNotice("", uuid, Header{"Content-Disposition", "linger"},
		Header{"Channel-Name", ch.name}, Header{"Linger-Time", strconv.Itoa(n)})
	noticed = true
	close(o.noticed)
	if n < 0 {
		<-o.gone
		return
	}
	select {
	case <-ch.srv.clock.After(time.Duration(n) * time.Second):
		o.c.disconnectNotice(goodbye, uuid, Header{"Content-Disposition", "disconnect"})
		o.close()
	case <-o.gone:
	}
}

// handle runs the outbound-only commands.
func (o *outSession) handle(word, rest string, cmd *command) bool {
	switch word {
	case "connect":
		o.sendChannelData()
	case "linger":
		n := -1
		if rest != "" {
			if v, err := strconv.Atoi(rest); err == nil && v > 0 {
				n = v
			}
		}
		o.mu.Lock()
		o.linger, o.lingerN = true, n
		o.mu.Unlock()
		if n > 0 {
			o.c.reply("+OK will linger " + strconv.Itoa(n) + " seconds")
		} else {
			o.c.reply("+OK will linger")
		}
	case "nolinger":
		o.mu.Lock()
		o.linger = false
		o.mu.Unlock()
		o.c.reply("+OK will not linger")
	case "resume":
		o.mu.Lock()
		o.resume = true
		o.mu.Unlock()
		o.c.reply("+OK")
	case "getvar":
		v, _ := o.ch.getVar(rest)
		o.c.reply(v)
	case "sendmsg":
		if rest != "" && rest != o.ch.uuid {
			o.ch.srv.inboundSendmsg(o.c, rest, cmd)
			return true
		}
		if o.ch.isHungup() && cmd.get("call-command") == "execute" {
			o.c.reply("-ERR no channel") // FreeSWITCH refuses once the session is gone
			return true
		}
		o.c.reply("+OK")
		o.ch.queueMessage(cmd)
	default:
		o.c.reply("-ERR command not found")
	}
	return true
}

// queueMessage applies a sendmsg (execute, hangup, unicast, nomedia) to the channel.
func (c *channel) queueMessage(cmd *command) {
	switch strings.ToLower(cmd.get("call-command")) {
	case "execute":
		arg := cmd.get("execute-app-arg")
		if cmd.body != "" && arg == "" {
			arg = strings.TrimRight(cmd.body, "\n")
		}
		loops := 1
		if l, err := strconv.Atoi(cmd.get("loops")); err == nil && l > 0 {
			loops = l
		}
		req := &appRequest{app: cmd.get("execute-app-name"), arg: arg, eventUUID: cmd.get("Event-UUID"),
			loops: loops, viaSocket: true}
		select {
		case c.cmdQ <- req:
		default:
			c.srv.log.Warn("fstest: channel command queue full; dropping", "uuid", c.uuid)
		}
	case "hangup":
		cause := cmd.get("hangup-cause")
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		// sendmsg events are parsed in order by the session: a hangup sent behind queued
		// executes waits for them; otherwise it ends the call (and any running app) at once.
		if len(c.cmdQ) > 0 {
			select {
			case c.cmdQ <- &appRequest{hangup: cause}:
				return
			default:
			}
		}
		c.hangup(cause)
	default:
		// unicast, nomedia, ...: accepted, nothing to emulate
	}
}

// String describes the session for logs.
func (o *outSession) String() string { return fmt.Sprintf("outbound %s -> %s", o.ch.uuid, o.target) }
