package ivr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnknownQueue is returned by AgentRollover for a queue with no config.
var ErrUnknownQueue = errors.New("unknown queue")

// execQueue hands the caller to the QueueJoiner until an agent took the call (then Next),
// the wait ran out (OnTimeout), or the caller pressed a hold key (that key's step).
func (c *call) execQueue(ctx context.Context, s *Step) (*Step, error) {
	q := s.Queue
	prio := 0.0
	if q.Priority != nil {
		v, err := q.Priority.Eval(c)
		if err != nil {
			c.event(EventError, fmt.Sprintf("priority %q: %v (using 0)", q.Priority.String(), err))
		} else if n, ok := v.Num(); ok {
			prio = n
		}
	}
	before := c.outcome
	c.reach(OutcomeQueued)
	c.event(EventQueue, fmt.Sprintf("join %s (priority %g)", q.Name, prio))
	timedOut := func() (*Step, error) {
		// Left the queue without an agent: the call's outcome is decided later.
		c.outcome = before
		if q.OnTimeout != nil {
			return q.OnTimeout, nil
		}
		return s.Next, nil
	}
	if c.rt.cfg.Queues == nil {
		c.event(EventError, "no queue engine configured")
		return timedOut()
	}
	c.startBridgeRecording(ctx)
	qctx, cancel := context.WithTimeout(ctx, talkTimeout)
	res, err := c.rt.cfg.Queues.JoinQueue(qctx, QueueRequest{
		Channel: c.ch, CallID: c.ch.ID(), Caller: c.ch.Caller(), Called: c.ch.Called(), Language: c.lang,
		Queue: q.Name, Priority: prio, Hold: q.Hold, MaxWait: q.MaxWait,
		Media: c.media, Clock: c.clock, Log: c.log,
	})
	cancel()
	c.stopBridgeRecording(ctx)
	if err != nil {
		if errors.Is(err, ErrHangup) {
			c.reach(OutcomeAbandoned)
			c.event(EventQueue, "caller hung up while waiting")
			return nil, err
		}
		c.event(EventError, "queue: "+describeErr(err))
		return timedOut()
	}
	switch {
	case res.Answered:
		c.rec.Talk += res.Talk
		c.event(EventQueue, fmt.Sprintf("answered by %s after %s, talked %s", res.Agent, roundDur(res.Waited), roundDur(res.Talk)))
		return s.Next, nil
	case res.Key != "" && q.Hold != nil:
		for _, k := range q.Hold.Keys {
			if k.Digits == res.Key {
				c.outcome = before
				c.event(EventQueue, "left with key "+res.Key)
				return k.Step, nil
			}
		}
	}
	c.event(EventQueue, fmt.Sprintf("no agent after %s", roundDur(res.Waited)))
	return timedOut()
}

// AgentRollover is a simple QueueJoiner: it rings the queue's agents one after another
// (FreeSWITCH bridge with call_timeout and continue_on_fail), rolling over on no answer,
// busy or any failure, with the hold treatment's announcements and promotions between rounds
// (a hold key pressed during them leaves the queue). It keeps no shared state: queue order
// between callers, positions and wait estimates are the queue engine's job.
type AgentRollover struct {
	// Queues are the queues by name (queues: in ivrd.yaml).
	Queues map[string]*QueueConfig
	// RingTimeout is how long each agent rings (default 15 s).
	RingTimeout time.Duration
	// MaxRounds bounds the rounds over all agents when the step sets no max wait (default 20).
	MaxRounds int
}

var _ QueueJoiner = (*AgentRollover)(nil)

// JoinQueue implements QueueJoiner.
func (a *AgentRollover) JoinQueue(ctx context.Context, req QueueRequest) (QueueResult, error) {
	qc := a.Queues[req.Queue]
	if qc == nil {
		return QueueResult{}, fmt.Errorf("queue %q: %w (declare it under queues: in ivrd.yaml)", req.Queue, ErrUnknownQueue)
	}
	ring := orDefault(a.RingTimeout, 15*time.Second)
	rounds := orDefault(a.MaxRounds, 20)
	start := req.Clock.Now()
	var keys string
	var promos [][]Audio
	var announce []Audio
	if req.Hold != nil {
		for _, k := range req.Hold.Keys {
			keys += k.Digits
		}
		promos, announce = req.Hold.Promos, req.Hold.Announce
	}
	for round := 0; round < rounds; round++ {
		for _, agent := range qc.Agents {
			res, err := req.Channel.Bridge(ctx, BridgeRequest{Endpoint: agent, Timeout: ring, ContinueOnFail: true})
			if err != nil {
				return QueueResult{Waited: req.Clock.Now().Sub(start)}, fmt.Errorf("queue %s: bridge %s: %w", req.Queue, agent, err)
			}
			if res.Answered {
				waited := req.Clock.Now().Sub(start) - res.Talk
				return QueueResult{Answered: true, Agent: agent, Talk: res.Talk, Waited: waited}, nil
			}
			req.Log.Debug("agent did not take the call", "queue", req.Queue, "agent", agent, "cause", res.Cause)
		}
		if req.MaxWait > 0 && req.Clock.Now().Sub(start) >= req.MaxWait {
			break
		}
		// Between rounds: an announcement and the next promotion (the text service), during
		// which a hold key leaves the queue.
		var hold []Audio
		hold = append(hold, announce...)
		if len(promos) > 0 {
			hold = append(hold, promos[round%len(promos)]...)
		}
		media := req.Media(hold)
		if len(media) == 0 {
			media = []Media{SilenceMedia(5 * time.Second)}
		}
		d, err := req.Channel.Play(ctx, media, keys)
		if err != nil {
			return QueueResult{Waited: req.Clock.Now().Sub(start)}, fmt.Errorf("queue %s: hold: %w", req.Queue, err)
		}
		if d != "" && strings.Contains(keys, d) {
			return QueueResult{Key: d, Waited: req.Clock.Now().Sub(start)}, nil
		}
		if len(qc.Agents) == 0 && req.MaxWait == 0 {
			break // nobody can ever answer
		}
		if req.MaxWait > 0 && req.Clock.Now().Sub(start) >= req.MaxWait {
			break
		}
	}
	return QueueResult{TimedOut: true, Waited: req.Clock.Now().Sub(start)}, nil
}
