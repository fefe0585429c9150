package web

import (
	"context"
	"time"
)

// StatusSource gives the status page a snapshot of what ivrd is doing. The runtime implements
// it; Status must be cheap (it runs on every page load) and must return when ctx ends.
type StatusSource interface {
	Status(ctx context.Context) (Status, error)
}

// StatusFunc adapts a function to StatusSource.
type StatusFunc func(ctx context.Context) (Status, error)

// Status implements StatusSource.
func (f StatusFunc) Status(ctx context.Context) (Status, error) { return f(ctx) }

// Status is one snapshot for the status page. Lists are shown in the order given; the source
// decides how many recent items to include.
type Status struct {
	Instance  string    // this ivrd's name (host name by default)
	StartedAt time.Time // when this ivrd started
	Now       time.Time // when the snapshot was taken

	Nodes     []NodeStatus
	Calls     []CallStatus
	Queues    []QueueStatus
	Callbacks []CallbackStatus
	Texts     []TextStatus
	QA        []QAResult
	Flows     []FlowGraph
}

// NodeStatus is one FreeSWITCH node.
type NodeStatus struct {
	Name      string
	Address   string
	Connected bool
	Calls     int // calls in progress on the node
	MaxCalls  int // the node's capacity (0: unknown)
}

// CallStatus is one live call.
type CallStatus struct {
	ID        string // FreeSWITCH channel UUID
	Node      string
	Direction string // "inbound" or "outbound"
	Caller    string
	Called    string
	Flow      string
	Step      string // the flow step the call is on
	StartedAt time.Time
}

// QueueStatus is one queue with its agents.
type QueueStatus struct {
	Name         string
	Waiting      int
	LongestWait  time.Duration
	ServiceLevel float64 // 0..1, negative when not yet known
	Agents       []AgentStatus
}

// AgentStatus is one agent endpoint of a queue.
type AgentStatus struct {
	Endpoint string // e.g. user/1001
	State    string // e.g. available, talking, wrap-up, offline
}

// CallbackStatus is one callback request that is not finished.
type CallbackStatus struct {
	ID       string
	Number   string // shown as given: the source masks it if operators must not see it
	State    string
	Due      time.Time
	Attempts int
}

// TextStatus is one recent text message.
type TextStatus struct {
	At        time.Time
	Direction string // "in" or "out"
	Number    string
	Body      string
	State     string // e.g. sent, failed, received
}

// QAResult is one recording's QA outcome.
type QAResult struct {
	At        time.Time
	CallID    string
	Recording string
	Score     float64 // 0..100
	Passed    bool
	Summary   string
}

// FlowGraph is one flow's graph in mermaid syntax (as `ivrd flows graph` prints it).
type FlowGraph struct {
	Name    string
	Mermaid string
}
