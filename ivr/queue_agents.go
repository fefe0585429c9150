package ivr

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownAgent is returned when logging out an agent a queue does not have.
var ErrUnknownAgent = errors.New("unknown agent")

// Login logs agent (a FreeSWITCH endpoint such as user/1001) in to queue; an endpoint not in
// the config joins the queue. A logged-in agent is idle at once (at the back of the
// longest-idle order).
func (e *QueueEngine) Login(ctx context.Context, queue, agent string) error {
	if agent == "" || !strings.Contains(agent, "/") || strings.ContainsAny(agent, " \t\r\n") {
		return fmt.Errorf("login %q: write the agent as a FreeSWITCH endpoint, e.g. user/1001", agent)
	}
	var qerr error
	err := e.do(ctx, func() {
		var q *queueState
		if q, qerr = e.queue(queue); qerr != nil {
			return
		}
		a := q.agents[agent]
		if a == nil {
			a = &queueAgent{endpoint: agent}
			q.agents[agent] = a
		}
		if a.loggedIn {
			return
		}
		a.loggedIn = true
		if a.state == agentIdle {
			e.agentFree(q, a, true)
		}
	})
	if err == nil {
		err = qerr
	}
	if err != nil {
		return fmt.Errorf("login %s to %s: %w", agent, queue, err)
	}
	return nil
}

// Logout logs agent out of queue: no more calls are offered to it (a call it is on goes on).
func (e *QueueEngine) Logout(ctx context.Context, queue, agent string) error {
	var qerr error
	err := e.do(ctx, func() {
		var q *queueState
		if q, qerr = e.queue(queue); qerr != nil {
			return
		}
		a := q.agents[agent]
		if a == nil {
			qerr = fmt.Errorf("%w %q (queue %s has %s)", ErrUnknownAgent, agent, queue, agentNames(q))
			return
		}
		a.loggedIn = false
	})
	if err == nil {
		err = qerr
	}
	if err != nil {
		return fmt.Errorf("logout %s from %s: %w", agent, queue, err)
	}
	return nil
}

func agentNames(q *queueState) string {
	var names []string
	for n := range q.agents {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "no agents"
	}
	return strings.Join(names, ", ")
}
