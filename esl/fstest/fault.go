package fstest

import (
	"strconv"
	"time"
)

// DropConnections closes every ESL connection at once (inbound clients and outbound sessions)
// without any notice, as a network failure or a crashed switch would. Calls stay up; the
// listener keeps accepting, so clients can reconnect.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// SetReplyDelay delays every command reply (command/reply and api/response) by d, to test
// client deadlines. Zero turns it off.
func (s *Server) SetReplyDelay(d time.Duration) {
	s.mu.Lock()
	s.replyDelay = d
	s.mu.Unlock()
}

// StallReplies is SetReplyDelay under the name the fault-injection tests use.
func (s *Server) StallReplies(d time.Duration) { s.SetReplyDelay(d) }

// SetEventDelay makes every connection deliver its queued messages slowly, one per d, as a
// loaded switch does. Zero turns it off.
func (s *Server) SetEventDelay(d time.Duration) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.qmu.Lock()
		c.eventDelay = d
		c.qmu.Unlock()
	}
}

// EmitBurst fires n events at once (HEARTBEAT, as FreeSWITCH sends every 20 s; subscribers of
// HEARTBEAT or ALL get them), each with its own Event-Sequence, to test client throughput and
// ordering.
func (s *Server) EmitBurst(n int) {
	for i := 0; i < n; i++ {
		e := s.newEvent("HEARTBEAT", siteHeartbeat)
		e.add("Event-Info", "System Ready")
		e.add("Up-Time", "0 years, 0 days, 0 hours, 0 minutes, 1 second, 0 milliseconds, 0 microseconds")
		e.add("FreeSWITCH-Version", "1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit")
		e.add("Uptime-msec", "1000")
		e.add("Session-Count", strconv.Itoa(s.channelCount()))
		e.add("Max-Sessions", "1000")
		e.add("Session-Per-Sec", "30")
		e.add("Session-Per-Sec-Last", "0")
		e.add("Session-Per-Sec-Max", "0")
		e.add("Session-Per-Sec-FiveMin", "0")
		e.add("Session-Since-Startup", "0")
		e.add("Session-Peak-Max", "0")
		e.add("Session-Peak-FiveMin", "0")
		e.add("Idle-CPU", "99.000000")
		e.add("Burst-Index", strconv.Itoa(i))
		s.fire(e)
	}
}

func (s *Server) channelCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.channels)
}

// FireCustom fires a CUSTOM event with Event-Subclass subclass and extra headers.
func (s *Server) FireCustom(subclass string, headers ...Header) {
	e := s.newEvent("CUSTOM", siteCustom)
	e.add("Event-Subclass", subclass)
	e.Headers = append(e.Headers, headers...)
	s.fire(e)
}

// Stats are counters for benchmarks and tests.
type Stats struct {
	EventsFired uint64 // events built and sequenced
	Channels    int    // live channels
	Connections int    // open ESL connections
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.evMu.Lock()
	n := s.evN
	s.evMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{EventsFired: n, Channels: len(s.channels), Connections: len(s.conns)}
}
