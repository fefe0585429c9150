package ivr

import (
	"context"
	"time"
)

// PromotionExposure is what one caller heard in a queue and what they did: the A/B report's
// raw material.
type PromotionExposure struct {
	CallID  string
	Queue   string
	Caller  string
	Variant string
	// Heard are the promotions played, in order (prompt names where they have one).
	Heard []string
	// Outcome is how the caller left: answered, abandoned, overflow, text (pressed the text
	// key and did not come back), callback (booked one keeping their place), left.
	Outcome string
	// PressedText and AskedCallback say which promotion keys the caller pressed.
	PressedText   bool
	AskedCallback bool
	At            time.Time
}

// PromotionRecorder stores exposures (PromotionStore does, in PostgreSQL). It must be
// idempotent by CallID and Queue: the latest record of a call in a queue wins.
type PromotionRecorder interface {
	RecordPromotion(ctx context.Context, x PromotionExposure) error
}

// recordPromotion hands the exposure of en to the recorder, off the loop goroutine, with
// retries: losing it would skew the report.
func (e *QueueEngine) recordPromotion(q *queueState, en *queueEntry, outcome string) {
	if e.opts.Promotions == nil {
		return
	}
	x := PromotionExposure{CallID: en.callID, Queue: q.name, Caller: en.caller, Variant: en.variant,
		Heard: append([]string(nil), en.heardSeen...), Outcome: outcome, At: e.clock.Now(),
		PressedText: en.pressedText, AskedCallback: en.askedCallback || en.callback != nil}
	go func() {
		backoff := 200 * time.Millisecond
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := e.opts.Promotions.RecordPromotion(ctx, x)
			cancel()
			if err == nil {
				return
			}
			if attempt == 10 {
				e.log.Error("queue: promotion exposure not stored after 10 tries", "call", x.CallID, "queue", x.Queue, "err", err)
				return
			}
			e.log.Warn("queue: storing promotion exposure failed; retrying", "call", x.CallID, "err", err, "in", backoff)
			select {
			case <-time.After(backoff):
			case <-e.stop:
				return
			}
			backoff *= 2
		}
	}()
}
