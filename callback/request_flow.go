package callback

import (
	"context"
	"strconv"

	"github.com/ivrd/ivrd/ivr"
)

// Flow variables a callback step's request may carry (the queue's press-2 key): the caller's
// place in the queue and the queue's priority, kept for the callback's order.
const (
	FlowVarPosition = "queue_position"
	FlowVarPriority = "queue_priority"
)

// RegisterCallback implements ivr.CallbackRegistrar for flow callback steps and the queue's
// callback key. Only the caller's own number is called back unless
// callbacks.allow_other_number is set.
func (s *Service) RegisterCallback(ctx context.Context, req ivr.CallbackRequest) (ivr.CallbackReceipt, error) {
	r := Request{Source: SourceFlow, Key: req.Key, Number: req.Number, Caller: req.Caller, Lang: req.Language,
		Queue: req.Queue, Topic: req.Reason, CallID: req.CallID}
	if v, ok := req.Vars[FlowVarPosition]; ok {
		if p, err := strconv.Atoi(v); err == nil && p > 0 {
			r.Source, r.Position = SourceQueue, p
		}
	}
	if v, ok := req.Vars[FlowVarPriority]; ok {
		if p, err := strconv.Atoi(v); err == nil {
			r.Priority = p
		}
	}
	rc, err := s.Request(ctx, r)
	if err != nil {
		return ivr.CallbackReceipt{}, err
	}
	return ivr.CallbackReceipt{ID: itoa(rc.ID), ETA: rc.ETA}, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
