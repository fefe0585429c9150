package fstest

import (
	"context"
	"strconv"
	"strings"
	"time"
)

func backgroundCtx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	_ = cancel // released when the deadline passes
	return ctx
}

// apiShow handles "show channels|calls [as json|count]".
func (s *Server) apiShow(args string) string {
	f := strings.Fields(args)
	if len(f) == 0 {
		return "-USAGE: show [channels|calls] [as json|count]\n"
	}
	what := f[0]
	asJSON := len(f) >= 3 && f[1] == "as" && f[2] == "json"
	count := len(f) >= 2 && f[1] == "count"
	chans := s.liveChannels()
	var rows [][]Header
	switch what {
	case "channels":
		for _, ch := range chans {
			rows = append(rows, ch.showRow())
		}
	case "calls":
		seen := map[*channel]bool{}
		for _, ch := range chans {
			if seen[ch] {
				continue
			}
			seen[ch] = true
			ch.mu.Lock()
			other := ch.bridged
			ch.mu.Unlock()
			if other != nil {
				seen[other] = true
			}
			rows = append(rows, ch.callRow(other))
		}
	default:
		return "-USAGE: show [channels|calls] [as json|count]\n"
	}
	if count {
		return "\n" + strconv.Itoa(len(rows)) + " total.\n"
	}
	if asJSON {
		if len(rows) == 0 {
			return "{\"row_count\": 0}\n"
		}
		var b strings.Builder
		b.WriteString(`{"row_count":` + strconv.Itoa(len(rows)) + `,"rows":[`)
		for i, r := range rows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			for j, h := range r {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(jsonQuote(h.Name) + ":" + jsonQuote(h.Value))
			}
			b.WriteByte('}')
		}
		b.WriteString("]}")
		return b.String()
	}
	if len(rows) == 0 {
		return "\n0 total.\n"
	}
	var b strings.Builder
	for i, h := range rows[0] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(h.Name)
	}
	b.WriteByte('\n')
	for _, r := range rows {
		for i, h := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(h.Value)
		}
		b.WriteByte('\n')
	}
	b.WriteString("\n" + strconv.Itoa(len(rows)) + " total.\n")
	return b.String()
}

func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00` + strconv.FormatInt(int64(r)>>4, 16) + strconv.FormatInt(int64(r)&15, 16))
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (c *channel) showRow() []Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	app, _ := c.vars.get("current_application")
	data, _ := c.vars.get("current_application_data")
	br := strconv.Itoa(c.rate * 16)
	if c.codec == "G722" || c.codec == "PCMU" || c.codec == "PCMA" {
		br = "64000"
	}
	ip := c.prof.networkAddr
	callUUID := ""
	calleeDir := ""
	if c.direction == "outbound" {
		callUUID = c.uuid
		calleeDir = "RECV"
	}
	return []Header{
		{"uuid", c.uuid}, {"direction", c.direction},
		{"created", c.created.Local().Format("2006-01-02 15:04:05")}, {"created_epoch", strconv.FormatInt(c.created.Unix(), 10)},
		{"name", c.name}, {"state", stateNames[c.running]}, {"cid_name", c.prof.cidName}, {"cid_num", c.prof.cidNumber},
		{"ip_addr", ip}, {"dest", c.prof.dest}, {"application", app}, {"application_data", data},
		{"dialplan", c.prof.dialplan}, {"context", c.prof.context},
		{"read_codec", c.codec}, {"read_rate", strconv.Itoa(c.rate)}, {"read_bit_rate", br},
		{"write_codec", c.codec}, {"write_rate", strconv.Itoa(c.rate)}, {"write_bit_rate", br},
		{"secure", ""}, {"hostname", c.srv.hostname}, {"presence_id", ""}, {"presence_data", ""}, {"accountcode", ""},
		{"callstate", c.callState}, {"callee_name", c.prof.calleeName}, {"callee_num", c.prof.calleeNumber},
		{"callee_direction", calleeDir}, {"call_uuid", callUUID}, {"sent_callee_name", ""}, {"sent_callee_num", ""},
		{"initial_cid_name", c.prof.origCidName}, {"initial_cid_num", c.prof.origCidNumber}, {"initial_ip_addr", ip},
		{"initial_dest", c.prof.dest}, {"initial_dialplan", c.prof.dialplan}, {"initial_context", c.prof.context},
	}
}

func (c *channel) callRow(other *channel) []Header {
	row := c.showRow()
	keep := map[string]bool{"uuid": true, "direction": true, "created": true, "created_epoch": true, "name": true,
		"state": true, "cid_name": true, "cid_num": true, "ip_addr": true, "dest": true}
	var out []Header
	for _, h := range row {
		if keep[h.Name] {
			out = append(out, h)
		}
	}
	c.mu.Lock()
	callUUID := ""
	calleeDir := ""
	if c.direction == "outbound" {
		callUUID, calleeDir = c.uuid, "RECV"
	}
	out = append(out, Header{"presence_id", ""}, Header{"presence_data", ""}, Header{"accountcode", ""},
		Header{"callstate", c.callState}, Header{"callee_name", c.prof.calleeName}, Header{"callee_num", c.prof.calleeNumber},
		Header{"callee_direction", calleeDir}, Header{"call_uuid", callUUID}, Header{"hostname", c.srv.hostname},
		Header{"sent_callee_name", ""}, Header{"sent_callee_num", ""})
	c.mu.Unlock()
	names := []string{"b_uuid", "b_direction", "b_created", "b_created_epoch", "b_name", "b_state", "b_cid_name",
		"b_cid_num", "b_ip_addr", "b_dest", "b_presence_id", "b_presence_data", "b_accountcode", "b_callstate",
		"b_callee_name", "b_callee_num", "b_callee_direction", "b_sent_callee_name", "b_sent_callee_num", "call_created_epoch"}
	vals := map[string]string{}
	if other != nil && other.ownsBridge(c) {
		r := other.showRow()
		for _, h := range r {
			vals["b_"+h.Name] = h.Value
		}
		vals["call_created_epoch"] = vals["b_created_epoch"]
	}
	for _, n := range names {
		out = append(out, Header{n, vals[n]})
	}
	return out
}

// ownsBridge reports whether c is bridged to other (loopback partners are separate calls).
func (c *channel) ownsBridge(other *channel) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bridged == other
}
