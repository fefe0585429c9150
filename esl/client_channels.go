package esl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Channel is one live channel on a FreeSWITCH node, as `show channels` and CHANNEL_* events
// describe it.
type Channel struct {
	UUID      string `json:"uuid"`
	Direction string `json:"direction"`
	Name      string `json:"name"`
	State     string `json:"state"`
	CallState string `json:"callstate"`
	CIDName   string `json:"cid_name"`
	CIDNum    string `json:"cid_num"`
	Dest      string `json:"dest"`
	CallUUID  string `json:"call_uuid"`
	Created   string `json:"created_epoch"`
}

// channelView is the client's live-channel map. Events that arrive while a rebuild is running
// are kept and replayed over the snapshot, so nothing between subscribing and the snapshot is
// lost.
type channelView struct {
	mu         sync.Mutex
	m          map[string]Channel
	rebuilding bool
	pending    []*Event
}

func (v *channelView) init() { v.m = make(map[string]Channel) }

func (v *channelView) beginRebuild() {
	v.mu.Lock()
	v.rebuilding = true
	v.pending = nil
	v.mu.Unlock()
}

func (v *channelView) abortRebuild() {
	v.mu.Lock()
	v.rebuilding = false
	v.pending = nil
	v.mu.Unlock()
}

// finishRebuild replaces the view with the output of `show channels as json`, then replays
// the events received meanwhile.
func (v *channelView) finishRebuild(out string) error {
	rows, err := parseShowChannels(out)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rebuilding = false
	if err != nil {
		v.pending = nil
		return err
	}
	m := make(map[string]Channel, len(rows))
	for _, r := range rows {
		m[r.UUID] = r
	}
	v.m = m
	for _, e := range v.pending {
		v.applyLocked(e)
	}
	v.pending = nil
	return nil
}

func (v *channelView) apply(e *Event) {
	if e.name != "CHANNEL_CREATE" && e.name != "CHANNEL_DESTROY" && e.name != "CHANNEL_HANGUP_COMPLETE" && e.name != "CHANNEL_ANSWER" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.rebuilding {
		v.pending = append(v.pending, e)
	}
	v.applyLocked(e)
}

func (v *channelView) applyLocked(e *Event) {
	id := e.Get("Unique-ID")
	if id == "" {
		return
	}
	switch e.name {
	case "CHANNEL_CREATE":
		v.m[id] = Channel{
			UUID:      id,
			Direction: e.Get("Call-Direction"),
			Name:      e.Get("Channel-Name"),
			State:     e.Get("Channel-State"),
			CallState: e.Get("Channel-Call-State"),
			CIDName:   e.Get("Caller-Caller-ID-Name"),
			CIDNum:    e.Get("Caller-Caller-ID-Number"),
			Dest:      e.Get("Caller-Destination-Number"),
			CallUUID:  e.Get("Channel-Call-UUID"),
			Created:   e.Get("Caller-Channel-Created-Time"),
		}
	case "CHANNEL_ANSWER":
		if ch, ok := v.m[id]; ok {
			ch.CallState = "ACTIVE"
			v.m[id] = ch
		}
	case "CHANNEL_DESTROY", "CHANNEL_HANGUP_COMPLETE":
		delete(v.m, id)
	}
}

func (v *channelView) list() []Channel {
	v.mu.Lock()
	out := make([]Channel, 0, len(v.m))
	for _, ch := range v.m {
		out = append(out, ch)
	}
	v.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].UUID < out[j].UUID })
	return out
}

func (v *channelView) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.m)
}

// parseShowChannels reads `show channels as json`: {"row_count":4,"rows":[...]} with
// channels, {"row_count": 0}\n without.
func parseShowChannels(out string) ([]Channel, error) {
	var doc struct {
		RowCount *int      `json:"row_count"`
		Rows     []Channel `json:"rows"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &doc); err != nil {
		return nil, fmt.Errorf("%w: show channels as json: %v (output %q)", ErrProtocol, err, clip(out))
	}
	if doc.RowCount == nil {
		return nil, fmt.Errorf("%w: show channels as json: no row_count in %q", ErrProtocol, clip(out))
	}
	if *doc.RowCount != len(doc.Rows) {
		return nil, fmt.Errorf("%w: show channels as json: row_count %d but %d rows", ErrProtocol, *doc.RowCount, len(doc.Rows))
	}
	return doc.Rows, nil
}

// Channels returns the live channels (TrackChannels must be on), sorted by UUID.
func (c *Client) Channels() []Channel { return c.chans.list() }

// ChannelCount is how many channels are live (TrackChannels must be on).
func (c *Client) ChannelCount() int { return c.chans.count() }
