package fstest

import (
	"strings"
)

// serveInbound runs one inbound event-socket connection: greeting, auth, then commands.
func (s *Server) serveInbound(c *conn) {
	defer s.removeConn(c)
	c.send([]byte("Content-Type: auth/request\n\n"))
	for {
		cmd, err := c.readCommand()
		if err != nil {
			c.closeAfterFlush()
			return
		}
		if !c.authed {
			word, rest, _ := strings.Cut(cmd.line, " ")
			if word != "auth" {
				c.reply("-ERR command not found")
				continue
			}
			if strings.TrimSpace(rest) != s.password {
				c.reply("-ERR invalid")
				c.disconnectNotice(goodbye)
				c.closeAfterFlush()
				return
			}
			c.authed = true
			c.reply("+OK accepted")
			continue
		}
		if !s.handleCommand(c, cmd) {
			return
		}
	}
}

// handleCommand executes one command of an authenticated (or outbound) connection. It returns
// false when the connection is finished.
func (s *Server) handleCommand(c *conn, cmd *command) bool {
	word, rest, _ := strings.Cut(cmd.line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(word) {
	case "api":
		out, post := s.api(c, rest)
		c.apiResponse(out)
		post()
	case "bgapi":
		job := cmd.get("Job-UUID")
		if job == "" {
			job = newUUID()
		}
		c.reply("+OK Job-UUID: "+job, Header{"Job-UUID", job})
		owner := ""
		if c.outbound != nil {
			owner = c.outbound.ch.uuid
		}
		go s.backgroundJob(job, rest, owner)
	case "event":
		s.subscribe(c, rest)
	case "myevents":
		s.myevents(c, rest)
	case "nixevent":
		c.smu.Lock()
		for _, n := range strings.Fields(rest) {
			if n == "ALL" {
				c.all = false
				c.names = map[string]bool{}
				continue
			}
			delete(c.names, n)
		}
		c.smu.Unlock()
		c.reply("+OK events nixed")
	case "noevents":
		c.smu.Lock()
		c.format, c.all, c.names, c.subclasses = "", false, map[string]bool{}, map[string]bool{}
		c.smu.Unlock()
		c.reply("+OK no longer listening for events")
	case "filter":
		s.filter(c, rest)
	case "log":
		n := logLevel(rest)
		c.reply("+OK log level " + logLevelNames[n] + " [" + n + "]")
	case "nolog":
		c.reply("+OK no longer spewing logs.")
	case "exit":
		c.reply("+OK bye")
		c.disconnectNotice(goodbye)
		c.closeAfterFlush()
		return false
	case "sendevent":
		c.reply("+OK " + newUUID())
	case "divert_events":
		c.reply("+OK events diverted")
	case "linger", "nolinger", "sendmsg", "resume", "connect", "getvar":
		if c.outbound == nil {
			if strings.ToLower(word) == "sendmsg" && rest != "" {
				s.inboundSendmsg(c, rest, cmd)
				return true
			}
			c.reply("-ERR command not found")
			return true
		}
		return c.outbound.handle(strings.ToLower(word), rest, cmd)
	default:
		c.reply("-ERR command not found")
	}
	return true
}

var logLevelNames = map[string]string{"0": "CONSOLE", "1": "ALERT", "2": "CRIT", "3": "ERR", "4": "WARNING",
	"5": "NOTICE", "6": "INFO", "7": "DEBUG"}

func logLevel(arg string) string {
	levels := map[string]string{"0": "0", "1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "6": "6", "7": "7",
		"console": "0", "alert": "1", "crit": "2", "err": "3", "warning": "4", "notice": "5", "info": "6", "debug": "7"}
	if v, ok := levels[strings.ToLower(strings.TrimSpace(arg))]; ok {
		return v
	}
	return "7"
}

// subscribe handles "event plain|json|xml NAMES...".
func (s *Server) subscribe(c *conn, rest string) {
	f := strings.Fields(rest)
	format := "plain"
	if len(f) > 0 && (f[0] == "plain" || f[0] == "json" || f[0] == "xml") {
		format = f[0]
		f = f[1:]
	}
	c.smu.Lock()
	c.format = format
	custom := false
	for _, n := range f {
		switch {
		case n == "ALL" || n == "all":
			c.all = true
		case n == "CUSTOM":
			custom = true
			c.names["CUSTOM"] = true
		case custom:
			c.subclasses[n] = true
			delete(c.names, "CUSTOM")
		default:
			c.names[n] = true
		}
	}
	c.smu.Unlock()
	c.reply("+OK event listener enabled " + format)
}

// myevents subscribes an outbound session to its own channel's events (mod_event_socket's list).
func (s *Server) myevents(c *conn, rest string) {
	uuid := ""
	f := strings.Fields(rest)
	format := "plain"
	for _, w := range f {
		if w == "plain" || w == "json" || w == "xml" {
			format = w
		} else {
			uuid = w
		}
	}
	if c.outbound != nil && uuid == "" {
		uuid = c.outbound.ch.uuid
	}
	if uuid == "" {
		c.reply("-ERR invalid uuid")
		return
	}
	c.smu.Lock()
	c.format = format
	c.myUUID = uuid
	for _, n := range myEventNames {
		c.names[n] = true
	}
	c.smu.Unlock()
	c.srv.follow(c, uuid)
	c.reply("+OK Events Enabled")
}

// myEventNames are the events mod_event_socket subscribes for "myevents".
var myEventNames = []string{
	"CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_DATA",
	"CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
	"CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_OUTGOING", "CHANNEL_PARK",
	"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE", "CHANNEL_UNBRIDGE",
	"CHANNEL_UNPARK", "DETECTED_SPEECH", "DTMF", "NOTALK", "TALK", "BACKGROUND_JOB",
}

// filter handles "filter Header Value" and "filter delete Header [Value]".
func (s *Server) filter(c *conn, rest string) {
	h, v, _ := strings.Cut(rest, " ")
	if h == "" {
		c.reply("-ERR invalid syntax")
		return
	}
	if strings.EqualFold(h, "delete") {
		dh, dv, _ := strings.Cut(v, " ")
		c.smu.Lock()
		kept := c.filters[:0]
		for _, f := range c.filters {
			if strings.EqualFold(dh, "all") || (f.header == dh && (dv == "" || f.value == dv)) {
				continue
			}
			kept = append(kept, f)
		}
		c.filters = kept
		c.smu.Unlock()
		c.reply("+OK filter deleted. [" + dh + "]=[" + dv + "]")
		return
	}
	c.smu.Lock()
	c.filters = append(c.filters, eventFilter{h, v})
	c.smu.Unlock()
	c.reply("+OK filter added. [" + h + "]=[" + v + "]")
}

// inboundSendmsg handles "sendmsg <uuid>" on an inbound connection.
func (s *Server) inboundSendmsg(c *conn, uuid string, cmd *command) {
	ch := s.channel(uuid)
	if ch == nil {
		c.reply("-ERR invalid session id [" + uuid + "]")
		return
	}
	c.reply("+OK")
	ch.queueMessage(cmd)
}
