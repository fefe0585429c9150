package esl

import (
	"context"
	"fmt"
	"strings"
)

// Filter keeps events whose header equals Value (case-insensitive, like FreeSWITCH's own
// `filter <header> <value>`). Several filters of one subscription are alternatives: an event
// passes if any matches.
type Filter struct {
	Header string
	Value  string
}

// SubscribeOptions says which events a subscription wants.
type SubscribeOptions struct {
	// Events are event names (CHANNEL_HANGUP_COMPLETE, RECORD_STOP, "CUSTOM callcenter::info",
	// or ALL). Ask only for what you use: FreeSWITCH's cost is in the events it must send.
	Events []string
	// Filters narrow the events (e.g. {Header: "Unique-ID", Value: uuid}). When every
	// subscription on the client has filters, they are also sent to FreeSWITCH so it does
	// not send the rest.
	Filters []Filter
}

type clientSub struct {
	opts  SubscribeOptions
	names map[string]bool
	all   bool
	sub   *Subscription
}

func (s *clientSub) match(e *Event) bool {
	if !s.all && !s.names[e.name] {
		if e.name != "CUSTOM" || !s.names["CUSTOM "+e.Get("Event-Subclass")] {
			return false
		}
	}
	if len(s.opts.Filters) == 0 {
		return true
	}
	for _, f := range s.opts.Filters {
		if strings.EqualFold(e.Get(f.Header), f.Value) {
			return true
		}
	}
	return false
}

// Subscribe delivers the events opts asks for, in the order FreeSWITCH sent them, until the
// subscription or the client is closed. It survives reconnections (the subscription is sent
// again on every new connection; events sent while disconnected are lost and counted in
// Stats().SeqGaps).
func (c *Client) Subscribe(ctx context.Context, opts SubscribeOptions) (*Subscription, error) {
	if len(opts.Events) == 0 {
		return nil, fmt.Errorf("%w: subscribe to which events? (SubscribeOptions.Events is empty)", ErrBadArgument)
	}
	cs := &clientSub{opts: opts, names: make(map[string]bool)}
	for _, n := range opts.Events {
		if n == "" || strings.ContainsAny(n, "\r\n") {
			return nil, fmt.Errorf("%w: event name %q", ErrBadArgument, n)
		}
		if n == "ALL" {
			cs.all = true
		}
		cs.names[n] = true
	}
	for _, f := range opts.Filters {
		if f.Header == "" || strings.ContainsAny(f.Header+f.Value, "\r\n") || strings.Contains(f.Header, " ") {
			return nil, fmt.Errorf("%w: filter %q=%q", ErrBadArgument, f.Header, f.Value)
		}
	}
	cs.sub = newSubscription(cs.match, c.unsubscribe(cs))
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		cs.sub.end()
		return cs.sub, nil
	default:
	}
	c.subs = append(c.subs, cs)
	cur := c.cur
	c.mu.Unlock()
	if cur != nil {
		rctx, cancel := context.WithTimeout(ctx, c.opts.CommandTimeout)
		defer cancel()
		if err := c.resubscribe(rctx, cur, false); err != nil {
			// The connection is closed by the failed command; the next connection subscribes.
			c.log.Warn("esl: subscribing failed; will subscribe again after reconnecting", "err", err)
		}
	}
	return cs.sub, nil
}

func (c *Client) unsubscribe(cs *clientSub) func(*Subscription) {
	return func(*Subscription) {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.subs {
			if x == cs {
				c.subs = append(c.subs[:i:i], c.subs[i+1:]...)
				return
			}
		}
	}
}

// wanted computes the server-side subscription: event names and, when every subscription is
// filtered, the filters. c.mu is held.
func (c *Client) wanted() (names []string, filters []Filter) {
	set := map[string]bool{"BACKGROUND_JOB": true}
	if c.opts.TrackChannels {
		set["CHANNEL_CREATE"] = true
		set["CHANNEL_DESTROY"] = true
	}
	allFiltered := len(c.subs) > 0
	for _, s := range c.subs {
		for n := range s.names {
			set[n] = true
		}
		if len(s.opts.Filters) == 0 {
			allFiltered = false
		}
	}
	if set["ALL"] {
		names = []string{"ALL"}
	} else {
		names = sortedKeys(set)
	}
	if allFiltered {
		// FreeSWITCH passes an event if any filter matches: keep our own events flowing.
		filters = append(filters, Filter{"Event-Name", "BACKGROUND_JOB"})
		if c.opts.TrackChannels {
			filters = append(filters, Filter{"Event-Name", "CHANNEL_CREATE"}, Filter{"Event-Name", "CHANNEL_DESTROY"})
		}
		for _, s := range c.subs {
			filters = append(filters, s.opts.Filters...)
		}
	}
	return names, filters
}

// allEvents says whether this connection receives every event (so any Event-Sequence jump is
// a loss). c.mu is held.
func (c *Client) allEvents() bool {
	names, filters := c.wanted()
	return len(names) == 1 && names[0] == "ALL" && len(filters) == 0
}

// resubscribe sends the subscription to cn: `event plain ...` and filters (after clearing
// FreeSWITCH's, so they never accumulate). Commands are pipelined.
func (c *Client) resubscribe(ctx context.Context, cn *conn, fresh bool) error {
	c.mu.Lock()
	names, filters := c.wanted()
	clear := !fresh && c.filtersSent
	c.filtersSent = len(filters) > 0
	c.mu.Unlock()
	cmds := []*command{{line: "event plain " + strings.Join(names, " ")}}
	if clear {
		cmds = append(cmds, &command{line: "filter delete all"})
	}
	for _, f := range filters {
		cmds = append(cmds, &command{line: "filter " + f.Header + " " + f.Value})
	}
	chans := make([]chan reply, 0, len(cmds))
	var firstErr error
	for _, cmd := range cmds {
		ch, err := cn.write(ctx, cmd)
		if err != nil {
			firstErr = err
			break
		}
		chans = append(chans, ch)
	}
	for i, ch := range chans {
		m, err := cn.await(ctx, cmds[i], ch)
		if err == nil {
			_, err = checkReply(cmds[i], m)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return fmt.Errorf("freeswitch %s: subscribing: %w", c.node.label(), firstErr)
	}
	return nil
}
