package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Queue outcomes, as the figures and the promotion report name them.
const (
	QueueAnswered  = "answered"
	QueueAbandoned = "abandoned"
	QueueOverflow  = "overflow"
	QueueText      = "text"
	QueueCallback  = "callback"
	QueueLeft      = "left"
)

// JoinQueue implements QueueJoiner. The calling goroutine (the call's) plays the hold
// treatment and bridges the agents the engine hands it; it returns when an agent was bridged
// and the conversation ended, the wait limit passed or the queue was full (TimedOut), the
// caller pressed a hold key (Key; the place is kept for the queue's keep_place), or the
// caller hung up (an error wrapping ErrHangup, counted as abandoned).
func (e *QueueEngine) JoinQueue(ctx context.Context, req QueueRequest) (QueueResult, error) {
	clock := req.Clock
	if clock == nil {
		clock = e.clock
	}
	log := req.Log
	if log == nil {
		log = e.log
	}
	if req.Media == nil {
		req.Media = func([]Audio) []Media { return nil }
	}
	start := clock.Now()
	var (
		q       *queueState
		en      *queueEntry
		full    bool
		qerr    error
		resumed bool
	)
	err := e.do(ctx, func() {
		if q, qerr = e.queue(req.Queue); qerr == nil {
			en, full, resumed = e.join(q, req)
		}
	})
	if err == nil {
		err = qerr
	}
	if err != nil {
		return QueueResult{}, fmt.Errorf("join queue %s: %w", req.Queue, err)
	}
	if full {
		log.Info("queue full: overflow", "queue", req.Queue, "call", req.CallID, "max_length", q.cfg.MaxLength)
		return QueueResult{TimedOut: true}, nil
	}
	w := &queueWait{e: e, q: q, en: en, req: req, clock: clock, log: log, start: start}
	if resumed {
		log.Info("caller back in the queue at their kept place", "queue", req.Queue, "call", req.CallID)
	}
	return w.run(ctx)
}

// join puts the caller in q (loop goroutine): back at their kept place when they left with a
// hold key a moment ago, else in order of priority; full when max_length callers wait.
func (e *QueueEngine) join(q *queueState, req QueueRequest) (en *queueEntry, full, resumed bool) {
	if en = q.parked[req.CallID]; en != nil && en.callback == nil {
		delete(q.parked, req.CallID)
		if en.parkStop != nil {
			en.parkStop()
		}
		en.parked, en.key = false, ""
		if req.Priority > en.prio {
			q.remove(en)
			en.prio = req.Priority
			q.insert(en)
		}
		e.dispatch(q)
		return en, false, true
	}
	if q.cfg.MaxLength > 0 && q.unserved() >= q.cfg.MaxLength {
		q.stats.overflowed++
		q.stats.joined++
		return nil, true, false
	}
	e.seq++
	en = &queueEntry{callID: req.CallID, caller: req.Caller, prio: req.Priority, seq: e.seq,
		joined: e.clock.Now(), offers: make(chan queueOffer, 1), tried: map[string]bool{}}
	en.variant, en.variantIndex = variantOf(req.CallID, q.cfg.variants())
	q.stats.joined++
	q.insert(en)
	e.dispatch(q)
	return en, false, false
}

// queueWait is one caller's stay in a queue, run by the call's goroutine.
type queueWait struct {
	e     *QueueEngine
	q     *queueState // identity only: its fields belong to the loop goroutine
	en    *queueEntry
	req   QueueRequest
	clock Clock
	log   *slog.Logger
	start time.Time
	plan  *holdPlan
	heard []string
	// ringback is the music agents ring over (FreeSWITCH's ringback variable), set once.
	ringback    string
	ringbackSet bool
}

func (w *queueWait) waited() time.Duration { return w.clock.Now().Sub(w.start) }

func (w *queueWait) run(ctx context.Context) (QueueResult, error) {
	cfg := w.q.cfg // read-only after NewQueueEngine
	// The flow step's limit and the queue's: the shorter applies.
	maxWait := w.req.MaxWait
	if cfg.MaxWait > 0 && (maxWait == 0 || cfg.MaxWait < maxWait) {
		maxWait = cfg.MaxWait
	}
	hold := w.req.Hold
	if hold == nil {
		hold = &Hold{}
	}
	var keys string
	for _, k := range hold.Keys {
		keys += k.Digits
	}
	w.plan = newHoldPlan(hold, w.start, w.en.variantIndex)
	w.plan.promoTurn = w.en.promoTurnSaved()
	music := w.req.Media(hold.Music)
	musicEnded := false
	if len(music) > 0 && (music[0].Kind == MediaStream || music[0].Kind == MediaFile) {
		w.ringback = music[0].Src
	}
	for {
		select {
		case off := <-w.en.offers:
			res, done, err := w.serve(ctx, off)
			if done || err != nil {
				return res, err
			}
			continue
		default:
		}
		now := w.clock.Now()
		if maxWait > 0 && now.Sub(w.start) >= maxWait {
			w.leave(QueueOverflow, 0)
			w.log.Info("queue wait limit reached: overflow", "queue", w.req.Queue, "call", w.req.CallID, "max_wait", maxWait)
			return QueueResult{TimedOut: true, Waited: w.waited()}, nil
		}
		item, until := w.plan.next(now)
		var media []Media
		var wait time.Time // music plays until then (zero: until something else stops it)
		switch item {
		case holdAnnounce:
			media = w.announcement(ctx, hold)
		case holdPromo:
			var label string
			media, label = w.plan.promo(w.req.Media)
			if label != "" {
				w.heard = append(w.heard, label)
			}
		}
		isMusic := len(media) == 0
		if !isMusic {
			musicEnded = false
		}
		if isMusic {
			if maxWait > 0 && (until.IsZero() || w.start.Add(maxWait).Before(until)) {
				until = w.start.Add(maxWait)
			}
			wait = until
			media = music
			if musicEnded {
				media = nil // the music ended before the next item: silence until then
			}
			if len(media) == 0 {
				d := time.Hour
				if !until.IsZero() {
					d = until.Sub(now)
				}
				media = []Media{SilenceMedia(d)}
			}
		}
		digit, off, interrupted, err := w.play(ctx, media, keys, wait)
		if err != nil {
			return w.fail(err)
		}
		if off != nil {
			res, done, err := w.serve(ctx, *off)
			if done || err != nil {
				return res, err
			}
			continue
		}
		if digit != "" && strings.Contains(keys, digit) {
			w.park(digit)
			w.log.Info("caller pressed a hold key; place kept", "queue", w.req.Queue, "call", w.req.CallID, "key", digit, "keep_place", cfg.keepPlace())
			return QueueResult{Key: digit, Waited: w.waited()}, nil
		}
		switch {
		case !isMusic || interrupted || len(music) == 0 || musicEnded:
		case w.clock.Now().Sub(now) < 100*time.Millisecond:
			// The music ended at once (FreeSWITCH has no such stream): silence instead, so
			// the schedule still runs without a busy loop of playbacks.
			w.log.Warn("hold music did not play; using silence", "queue", w.req.Queue, "call", w.req.CallID, "music", music[0].Src)
			music = nil
		default:
			// Music that ends (a file rather than local_stream://) plays again after the
			// next announcement or promotion; silence fills the time until then.
			musicEnded = true
		}
	}
}

// announcement renders the hold's announcement with the position and estimated wait.
func (w *queueWait) announcement(ctx context.Context, h *Hold) []Media {
	media := append([]Media(nil), w.req.Media(h.Announce)...)
	if !h.AnnouncePosition && !h.AnnounceWait {
		return media
	}
	var pos int
	var est time.Duration
	var known bool
	if err := w.e.do(ctx, func() {
		pos = w.q.position(w.en)
		est, known = w.q.estimate(pos, w.e.clock.Now())
	}); err != nil {
		return media
	}
	voice := ""
	for _, m := range media {
		if m.Kind == MediaSpeech {
			voice = m.Voice
		}
	}
	if h.AnnouncePosition {
		media = append(media, Media{Kind: MediaSpeech, Src: positionText(w.req.Language, pos), Voice: voice})
	}
	if h.AnnounceWait {
		media = append(media, Media{Kind: MediaSpeech, Src: waitText(w.req.Language, est, known), Voice: voice})
	}
	return media
}

// play plays media until it ends, a key in keys is pressed, the time until comes (music
// only; zero: no limit) or the engine hands the caller an agent, which interrupts the
// playback.
func (w *queueWait) play(ctx context.Context, media []Media, keys string, until time.Time) (digit string, off *queueOffer, interrupted bool, err error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopTimer := func() bool { return false }
	if !until.IsZero() {
		d := until.Sub(w.clock.Now()) // measured now: the clock may have moved since
		if d <= 0 {
			return "", nil, true, nil
		}
		stopTimer = w.e.clock.AfterFunc(d, cancel)
	}
	played := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case o := <-w.en.offers:
			off = &o
			cancel()
		case <-played:
		}
	}()
	digit, err = w.req.Channel.Play(pctx, media, keys)
	close(played)
	<-watched
	stopTimer()
	if err != nil && ctx.Err() == nil && pctx.Err() != nil && !errors.Is(err, ErrHangup) {
		// We interrupted it (agent free, or time for the next announcement).
		return "", off, true, nil
	}
	return digit, off, pctx.Err() != nil, err
}

// serve rings the agent the engine handed over; done when the caller was bridged.
func (w *queueWait) serve(ctx context.Context, off queueOffer) (QueueResult, bool, error) {
	// The wait is counted to when the agent who answers starts ringing: a Bridge returns
	// only when the conversation is over, and its Talk includes the ringing.
	waited := w.waited()
	if !w.ringbackSet && w.ringback != "" {
		// While agents ring the caller hears the hold music, not a ringing tone, so a
		// rollover to the next agent goes unnoticed.
		if err := w.req.Channel.SetVar(ctx, "ringback", w.ringback); err != nil {
			r, err := w.fail(fmt.Errorf("set ringback: %w", err))
			return r, true, err
		}
		w.ringbackSet = true
	}
	res, err := w.req.Channel.Bridge(ctx, BridgeRequest{Endpoint: off.agent, Timeout: off.ring, ContinueOnFail: true})
	if err != nil && !res.Answered {
		r, err := w.fail(fmt.Errorf("bridge %s: %w", off.agent, err))
		return r, true, err
	}
	if res.Answered {
		// Answered, even if the caller hung up during the conversation (then the flow's
		// next command finds the call gone): for the figures this caller was served.
		w.leave(QueueAnswered, waited)
		return QueueResult{Answered: true, Agent: off.agent, Talk: res.Talk, Waited: waited}, true, nil
	}
	w.log.Debug("agent did not take the call; next agent", "queue", w.req.Queue, "agent", off.agent, "cause", res.Cause)
	_ = w.e.do(context.WithoutCancel(ctx), func() {
		a := w.en.offered
		w.en.offered = nil
		if a != nil {
			w.en.tried[a.endpoint] = true
			w.q.stats.rollovers++
			w.e.rest(w.q, a)
		}
	})
	return QueueResult{}, false, nil
}

// fail ends the wait on an error: a hangup is an abandon.
func (w *queueWait) fail(err error) (QueueResult, error) {
	outcome := QueueLeft
	if errors.Is(err, ErrHangup) {
		outcome = QueueAbandoned
	}
	w.leave(outcome, w.waited())
	return QueueResult{Waited: w.waited()}, fmt.Errorf("queue %s: %w", w.req.Queue, err)
}

// leave takes the caller out of the queue for good with outcome.
func (w *queueWait) leave(outcome string, waited time.Duration) {
	w.en.savePromoTurn(w.plan)
	heard := w.heard
	_ = w.e.do(context.Background(), func() {
		en, q := w.en, w.q
		q.remove(en)
		delete(q.parked, en.callID)
		en.heardSeen = append(en.heardSeen, heard...)
		if a := en.offered; a != nil {
			en.offered = nil
			if outcome == QueueAnswered {
				a.calls++
				q.stats.noteAnswered(waited, w.e.clock.Now())
				w.e.wrapUp(q, a)
			} else {
				w.e.agentFree(q, a, false)
			}
		}
		if outcome == QueueAbandoned {
			q.stats.abandoned++
		}
		if outcome == QueueOverflow {
			q.stats.overflowed++
		}
		w.e.recordPromotion(q, en, outcome)
		w.e.dispatch(q)
	})
}

// park keeps the caller's place after a hold key, for keep_place.
func (w *queueWait) park(key string) {
	w.en.savePromoTurn(w.plan)
	heard := w.heard
	_ = w.e.do(context.Background(), func() {
		en, q := w.en, w.q
		en.heardSeen = append(en.heardSeen, heard...)
		select { // an agent handed over just now goes to the next caller
		case <-en.offers:
		default:
		}
		if a := en.offered; a != nil {
			en.offered = nil
			w.e.agentFree(q, a, false)
		}
		en.parked, en.key = true, key
		q.parked[en.callID] = en
		switch key {
		case q.cfg.textKey():
			q.stats.deflected++
			en.pressedText = true
		case q.cfg.callbackKey():
			q.stats.callbackKeys++
			en.askedCallback = true
		}
		en.parkStop = w.e.clock.AfterFunc(q.cfg.keepPlace(), func() {
			w.e.post(func() {
				if q.parked[en.callID] != en || en.callback != nil {
					return
				}
				delete(q.parked, en.callID)
				q.remove(en)
				outcome := QueueLeft
				if en.key == q.cfg.textKey() {
					outcome = QueueText
				}
				w.e.recordPromotion(q, en, outcome)
				w.e.dispatch(q)
			})
		})
		w.e.dispatch(q)
	})
}

// wrapUp gives a the queue's wrap-up time, then makes it idle.
func (e *QueueEngine) wrapUp(q *queueState, a *queueAgent) {
	if q.cfg.WrapUp <= 0 {
		e.agentFree(q, a, true)
		return
	}
	a.state = agentWrapUp
	a.wrapStop = e.clock.AfterFunc(q.cfg.WrapUp, func() {
		e.post(func() {
			if a.state == agentWrapUp {
				e.agentFree(q, a, true)
			}
		})
	})
}

// rest takes a, which did not answer or was busy, out of rotation for busy_delay; the
// caller's next agent is dispatched at once.
func (e *QueueEngine) rest(q *queueState, a *queueAgent) {
	a.state = agentResting
	a.wrapStop = e.clock.AfterFunc(q.cfg.busyDelay(), func() {
		e.post(func() {
			if a.state == agentResting {
				e.agentFree(q, a, true)
			}
		})
	})
	e.dispatch(q)
}

// promoTurnSaved and savePromoTurn carry a caller's promotion rotation across visits (the
// call goroutine is the only one using them).
func (en *queueEntry) promoTurnSaved() int { return en.promoTurn }

func (en *queueEntry) savePromoTurn(p *holdPlan) {
	if p != nil {
		en.promoTurn = p.promoTurn
	}
}
