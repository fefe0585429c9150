package ivr

import (
	"context"
	"log/slog"
	"time"

	"github.com/ivrd/ivrd/sms"
)

// QueueJoiner runs a queue step: it holds the caller (music, announcements, promotions, hold
// keys) until an agent is bridged, the wait limit passes, the caller presses a hold key, or
// hangs up. The queue engine implements it; AgentRollover is a simple one that rings the
// queue's agents in order.
type QueueJoiner interface {
	JoinQueue(ctx context.Context, req QueueRequest) (QueueResult, error)
}

// QueueRequest is one caller joining a queue.
type QueueRequest struct {
	// Channel is the caller's call; the joiner drives it until it returns.
	Channel  Channel
	CallID   string
	Caller   string
	Called   string
	Language string
	// Queue is the queue's name (queues: in ivrd.yaml).
	Queue string
	// Priority: higher is served first.
	Priority float64
	// Hold is the flow's hold treatment (nil: the queue's default).
	Hold *Hold
	// MaxWait bounds the wait (0: no limit).
	MaxWait time.Duration
	// Media renders flow audio (hold music, announcements, promotions) for this caller's
	// language and variables.
	Media func([]Audio) []Media
	// Clock is the runtime's clock (the virtual one in flow tests).
	Clock Clock
	Log   *slog.Logger
}

// QueueResult is how a caller left the queue (other than by hanging up, which is an error
// wrapping ErrHangup).
type QueueResult struct {
	// Answered: an agent was bridged; the bridge has ended.
	Answered bool
	// Agent is the endpoint that answered.
	Agent string
	// Talk is the time bridged.
	Talk time.Duration
	// TimedOut: MaxWait passed, or nobody can take the call.
	TimedOut bool
	// Key is the hold key the caller pressed (one of Hold.Keys), "" if none.
	Key string
	// Waited is the time in the queue before the agent answered or the caller left.
	Waited time.Duration
}

// CallbackRegistrar stores a callback the caller asked for in a flow (callback step). The
// package callback implements it; Register must be idempotent by Key.
type CallbackRegistrar interface {
	RegisterCallback(ctx context.Context, req CallbackRequest) (CallbackReceipt, error)
}

// CallbackRequest is a callback asked for during a call.
type CallbackRequest struct {
	// Key identifies the request ("call:<call id>:<step>"): registering it twice stores one.
	Key string
	// Number to call back (E.164 when known).
	Number string
	// Reason is the flow's free text ("small business loan").
	Reason string
	// Queue the answered callback joins ("" : the callbacks' default queue).
	Queue string
	// Calendar, when set, is the name of the calendar whose open hours the call must fall in.
	Calendar string
	// CallID, Caller, Flow, Step and Language describe the call the request came from.
	CallID   string
	Caller   string
	Flow     string
	Step     string
	Language string
	// Vars are the flow variables at the time (rendered as text), for the agent's screen.
	Vars map[string]string
	// RequestedAt is the runtime clock's time of the request.
	RequestedAt time.Time
}

// CallbackReceipt is the registrar's answer.
type CallbackReceipt struct {
	ID  string
	ETA time.Time
}

// Texter sends text messages from flows (sms step). *sms.Sender implements it.
type Texter interface {
	Send(ctx context.Context, t sms.Text) (sms.Queued, error)
}

var _ Texter = (*sms.Sender)(nil)
