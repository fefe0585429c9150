package ivr

import (
	"context"
	"fmt"
	"strconv"
)

// KeepPlace wraps the callback registrar the runtime uses so that a callback booked by a
// caller who just left a queue with a hold key keeps that caller's place: the request gets
// the queue, position and priority in its Vars (queue, queue_position, queue_priority), and the place stays in the
// queue until it reaches the head and an agent is free; then OnCallbackTurn is called, and
// the callback machinery phones the customer. Other requests pass through unchanged.
func (e *QueueEngine) KeepPlace(next CallbackRegistrar) CallbackRegistrar {
	return &keepPlace{e: e, next: next}
}

type keepPlace struct {
	e    *QueueEngine
	next CallbackRegistrar
}

// RegisterCallback implements CallbackRegistrar.
func (k *keepPlace) RegisterCallback(ctx context.Context, req CallbackRequest) (CallbackReceipt, error) {
	var (
		q    *queueState
		en   *queueEntry
		pos  int
		prio float64
	)
	if err := k.e.do(ctx, func() {
		for _, qs := range k.e.queues {
			if p := qs.parked[req.CallID]; p != nil && p.callback == nil {
				q, en, pos, prio = qs, p, qs.position(p), p.prio
				return
			}
		}
	}); err != nil {
		return CallbackReceipt{}, fmt.Errorf("keep place: %w", err)
	}
	if en == nil {
		return k.next.RegisterCallback(ctx, req)
	}
	vars := make(map[string]string, len(req.Vars)+2)
	for n, v := range req.Vars {
		vars[n] = v
	}
	vars["queue"], vars["queue_position"], vars["queue_priority"] = q.name, strconv.Itoa(pos), strconv.Itoa(int(prio))
	req.Vars = vars
	rec, err := k.next.RegisterCallback(ctx, req)
	if err != nil {
		return rec, err // the place stays kept for keep_place; the flow's on_error decides
	}
	err = k.e.do(context.WithoutCancel(ctx), func() {
		if q.parked[req.CallID] != en {
			return // expired meanwhile: the callback is booked without a place
		}
		if en.parkStop != nil {
			en.parkStop()
		}
		delete(q.parked, req.CallID)
		en.parked = false
		en.callback = &CallbackTurn{Queue: q.name, ReceiptID: rec.ID, Number: req.Number, CallID: req.CallID,
			Position: pos, BookedAt: k.e.clock.Now()}
		q.stats.callbacks++
		k.e.recordPromotion(q, en, QueueCallback)
		k.e.dispatch(q)
	})
	if err != nil {
		return rec, fmt.Errorf("keep place: callback %s booked but its place was not kept: %w", rec.ID, err)
	}
	return rec, nil
}
