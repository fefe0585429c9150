package ivr

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// QueueStats are a queue's service-level figures since the engine started, and its state now.
type QueueStats struct {
	Queue string `json:"queue"`
	// Waiting callers (not counting kept places of callers who left with a key).
	Waiting int `json:"waiting"`
	// KeptPlaces are callers who left with a hold key (text, callback) and keep their place.
	KeptPlaces       int `json:"kept_places"`
	AgentsLoggedIn   int `json:"agents_logged_in"`
	AgentsIdle       int `json:"agents_idle"`
	Joined           int `json:"joined"`
	Answered         int `json:"answered"`
	AnsweredWithin20 int `json:"answered_within_20s"`
	AnsweredWithin30 int `json:"answered_within_30s"`
	Abandoned        int `json:"abandoned"`
	Overflowed       int `json:"overflowed"`
	// Deflected pressed the text key; CallbackKeys the callback key; Callbacks booked a
	// callback keeping their place; CallbackTurns of those reached the head.
	Deflected     int `json:"deflected_to_text"`
	CallbackKeys  int `json:"callback_keys"`
	Callbacks     int `json:"converted_to_callback"`
	CallbackTurns int `json:"callback_turns"`
	// Rollovers are agents rung who did not take the call.
	Rollovers int           `json:"rollovers"`
	AvgWait   time.Duration `json:"avg_wait_ns"`
	P90Wait   time.Duration `json:"p90_wait_ns"`
	// EstimatedWait is what the next caller would be told; EstimateKnown false: not enough
	// recent history to say.
	EstimatedWait time.Duration `json:"estimated_wait_ns"`
	EstimateKnown bool          `json:"estimate_known"`
	Agents        []AgentStatus `json:"agents"`
}

// AgentStatus is one agent of a queue.
type AgentStatus struct {
	Endpoint string `json:"endpoint"`
	LoggedIn bool   `json:"logged_in"`
	// State is idle, busy (ringing or talking), wrap_up or resting (after no answer / busy).
	State string `json:"state"`
	Calls int    `json:"calls"`
}

// queueCounters are a queue's running figures (loop goroutine only).
type queueCounters struct {
	joined, answered, within20, within30, abandoned, overflowed  int
	deflected, callbackKeys, callbacks, callbackTurns, rollovers int
	waits                                                        []time.Duration // answered callers' waits, the last maxWaits
	waitSum                                                      time.Duration
	handouts                                                     []time.Time // when recent callers were answered, for the estimate
}

const (
	maxWaits    = 10000
	maxHandouts = 20
	// handoutWindow is how far back the wait estimate looks.
	handoutWindow = 30 * time.Minute
)

func (c *queueCounters) noteAnswered(waited time.Duration, now time.Time) {
	c.answered++
	if waited <= 20*time.Second {
		c.within20++
	}
	if waited <= 30*time.Second {
		c.within30++
	}
	c.waits = append(c.waits, waited)
	c.waitSum += waited
	if len(c.waits) > maxWaits {
		c.waitSum -= c.waits[0]
		c.waits = c.waits[1:]
	}
	c.handouts = append(c.handouts, now)
	if len(c.handouts) > maxHandouts {
		c.handouts = c.handouts[1:]
	}
}

// estimate is the expected wait of the caller at pos from the rate at which callers were
// answered recently; unknown with fewer than 3 answers in the last half hour.
func (q *queueState) estimate(pos int, now time.Time) (time.Duration, bool) {
	var recent []time.Time
	for _, t := range q.stats.handouts {
		if now.Sub(t) <= handoutWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) < 3 {
		return 0, false
	}
	span := now.Sub(recent[0])
	if span <= 0 {
		return 0, false
	}
	per := span / time.Duration(len(recent))
	return per * time.Duration(pos), true
}

func (q *queueState) snapshot(now time.Time) QueueStats {
	c := &q.stats
	s := QueueStats{Queue: q.name, Joined: c.joined, Answered: c.answered, AnsweredWithin20: c.within20,
		AnsweredWithin30: c.within30, Abandoned: c.abandoned, Overflowed: c.overflowed, Deflected: c.deflected,
		CallbackKeys: c.callbackKeys, Callbacks: c.callbacks, CallbackTurns: c.callbackTurns, Rollovers: c.rollovers}
	for _, w := range q.waiting {
		switch {
		case w.parked || w.callback != nil:
			s.KeptPlaces++
		case w.offered == nil:
			s.Waiting++
		}
	}
	if n := len(c.waits); n > 0 {
		s.AvgWait = c.waitSum / time.Duration(n)
		sorted := append([]time.Duration(nil), c.waits...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		s.P90Wait = sorted[(n*9+9)/10-1]
	}
	s.EstimatedWait, s.EstimateKnown = q.estimate(s.Waiting+s.KeptPlaces+1, now)
	for _, a := range q.agents {
		st := AgentStatus{Endpoint: a.endpoint, LoggedIn: a.loggedIn, State: "idle", Calls: a.calls}
		switch a.state {
		case agentBusy:
			st.State = "busy"
		case agentWrapUp:
			st.State = "wrap_up"
		case agentResting:
			st.State = "resting"
		}
		if a.loggedIn {
			s.AgentsLoggedIn++
			if a.state == agentIdle {
				s.AgentsIdle++
			}
		}
		s.Agents = append(s.Agents, st)
	}
	sort.Slice(s.Agents, func(i, j int) bool { return s.Agents[i].Endpoint < s.Agents[j].Endpoint })
	return s
}

// Stats returns the figures of every queue, by name.
func (e *QueueEngine) Stats(ctx context.Context) ([]QueueStats, error) {
	var out []QueueStats
	err := e.do(ctx, func() {
		now := e.clock.Now()
		for _, q := range e.queues {
			out = append(out, q.snapshot(now))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Queue < out[j].Queue })
	return out, nil
}

// QueueStats returns one queue's figures.
func (e *QueueEngine) QueueStats(ctx context.Context, queue string) (QueueStats, error) {
	var s QueueStats
	var qerr error
	err := e.do(ctx, func() {
		var q *queueState
		if q, qerr = e.queue(queue); qerr == nil {
			s = q.snapshot(e.clock.Now())
		}
	})
	if err == nil {
		err = qerr
	}
	if err != nil {
		return QueueStats{}, fmt.Errorf("queue stats: %w", err)
	}
	return s, nil
}
