package ivr

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// ErrQueueStopped is returned by a QueueEngine that was stopped.
var ErrQueueStopped = errors.New("queue engine stopped")

// QueueEngineOptions configures a QueueEngine.
type QueueEngineOptions struct {
	// Queues are the queues by name (queues: in ivrd.yaml).
	Queues map[string]*QueueConfig
	// Clock runs the engine's timers (hold schedule, wait limits, wrap-up, kept places).
	// Default SystemTimerClock.
	Clock TimerClock
	// OnCallbackTurn is called (in its own goroutine) when a callback booked from the queue
	// with its place kept reaches the head of the queue and an agent is free: the callback
	// machinery should phone the customer now. Nil: logged only.
	OnCallbackTurn func(CallbackTurn)
	// Promotions, when set, is told what each caller heard and did (A/B report).
	Promotions PromotionRecorder
	Log        *slog.Logger
}

// CallbackTurn is a kept place whose turn came.
type CallbackTurn struct {
	Queue string
	// ReceiptID is the callback registrar's id of the request.
	ReceiptID string
	Number    string
	CallID    string
	// Position is the place the caller had when they booked.
	Position int
	BookedAt time.Time
}

// QueueEngine is the queue engine: it implements QueueJoiner. Each queue's state (waiting
// callers in order of priority then arrival, agents, figures) has one owner, the engine's
// loop goroutine; callers' call goroutines talk to it over channels. A waiting caller's own
// goroutine plays the hold treatment and is handed an agent over a channel, which interrupts
// whatever is playing (uuid_break): the call goroutine stays the only one driving its call.
//
// Agents are rung longest-idle first; one that does not answer (or is busy) is passed over
// for the next without the caller noticing. After a call an agent has the queue's wrap-up
// time before the next.
type QueueEngine struct {
	opts   QueueEngineOptions
	clock  TimerClock
	log    *slog.Logger
	ops    chan func()
	stop   chan struct{}
	done   chan struct{}
	start  sync.Once
	halt   sync.Once
	queues map[string]*queueState // loop goroutine only
	seq    int64                  // loop goroutine only
}

var _ QueueJoiner = (*QueueEngine)(nil)

// NewQueueEngine returns an engine for the queues in opts; Start runs it.
func NewQueueEngine(opts QueueEngineOptions) (*QueueEngine, error) {
	e := &QueueEngine{opts: opts, clock: opts.Clock, log: opts.Log,
		ops: make(chan func(), 256), stop: make(chan struct{}), done: make(chan struct{}),
		queues: map[string]*queueState{}}
	if e.clock == nil {
		e.clock = SystemTimerClock{}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	now := e.clock.Now()
	for name, qc := range opts.Queues {
		if qc == nil {
			qc = &QueueConfig{}
		}
		if err := qc.Validate(); err != nil {
			return nil, fmt.Errorf("queue %s: %w", name, err)
		}
		q := &queueState{name: name, cfg: qc, agents: map[string]*queueAgent{}, parked: map[string]*queueEntry{}}
		for _, a := range qc.Agents {
			q.agents[a] = &queueAgent{endpoint: a, loggedIn: true, idleSince: now}
		}
		e.queues[name] = q
	}
	return e, nil
}

// Start runs the engine's loop until Stop or ctx ends.
func (e *QueueEngine) Start(ctx context.Context) error {
	e.start.Do(func() { go e.loop(ctx) })
	return nil
}

// Stop ends the loop; callers still waiting get ErrQueueStopped.
func (e *QueueEngine) Stop(ctx context.Context) error {
	e.halt.Do(func() { close(e.stop) })
	select {
	case <-e.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop queue engine: %w", ctx.Err())
	}
}

func (e *QueueEngine) loop(ctx context.Context) {
	defer close(e.done)
	for {
		select {
		case op := <-e.ops:
			op()
		case <-e.stop:
			return
		case <-ctx.Done():
			e.halt.Do(func() { close(e.stop) })
			return
		}
	}
}

// do runs f on the loop goroutine and waits for it.
func (e *QueueEngine) do(ctx context.Context, f func()) error {
	ran := make(chan struct{})
	select {
	case e.ops <- func() { f(); close(ran) }:
	case <-e.stop:
		return ErrQueueStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ran:
		return nil
	case <-e.done:
		return ErrQueueStopped
	}
}

// post runs f on the loop goroutine later (from timers, which must not block).
func (e *QueueEngine) post(f func()) {
	go func() {
		select {
		case e.ops <- f:
		case <-e.stop:
		}
	}()
}

// queueState is one queue: owned by the loop goroutine.
type queueState struct {
	name    string
	cfg     *QueueConfig
	waiting []*queueEntry // priority desc, then arrival; parked and callback places included
	agents  map[string]*queueAgent
	parked  map[string]*queueEntry // by call id: left with a hold key, place kept for a while
	stats   queueCounters
}

// queueEntry is one caller's place.
type queueEntry struct {
	callID, caller string
	prio           float64
	seq            int64
	joined         time.Time
	offers         chan queueOffer // buffered 1: at most one offer outstanding
	offered        *queueAgent     // rung or bridged now
	tried          map[string]bool // agents that did not take this caller
	variant        string
	variantIndex   int

	// parked: the caller left with key and may come back (or book a callback) within
	// keep_place.
	parked        bool
	key           string
	parkStop      func() bool
	callback      *CallbackTurn // a booked callback keeping the place
	heardSeen     []string      // promotions heard over all visits (A/B report)
	promoTurn     int           // the caller's promotion rotation, kept across visits
	pressedText   bool          // pressed the text key (this visit or an earlier one)
	askedCallback bool          // pressed the callback key
}

// queueOffer hands a waiting caller an agent to ring.
type queueOffer struct {
	agent string
	ring  time.Duration
}

type agentState int

const (
	agentIdle agentState = iota
	agentBusy            // rung or talking for this queue
	agentWrapUp
	agentResting // did not answer or was busy: rests for busy_delay
)

type queueAgent struct {
	endpoint  string
	loggedIn  bool
	state     agentState
	idleSince time.Time
	wrapStop  func() bool
	calls     int
}

func (q *queueState) less(a, b *queueEntry) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	return a.seq < b.seq
}

func (q *queueState) insert(en *queueEntry) {
	i := sort.Search(len(q.waiting), func(i int) bool { return q.less(en, q.waiting[i]) })
	q.waiting = append(q.waiting, nil)
	copy(q.waiting[i+1:], q.waiting[i:])
	q.waiting[i] = en
}

func (q *queueState) remove(en *queueEntry) {
	for i, w := range q.waiting {
		if w == en {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			return
		}
	}
}

// unserved counts the callers waiting for an agent (not parked, not being served).
func (q *queueState) unserved() int {
	n := 0
	for _, w := range q.waiting {
		if w.offered == nil && !w.parked && w.callback == nil {
			n++
		}
	}
	return n
}

// position is en's place (1 = next), counting everyone ahead who keeps a place and is not
// being served already.
func (q *queueState) position(en *queueEntry) int {
	n := 1
	for _, w := range q.waiting {
		if w == en {
			return n
		}
		if w.offered == nil {
			n++
		}
	}
	return n
}

// longestIdle is the logged-in idle agent idle longest, not among skip.
func (q *queueState) longestIdle(skip map[string]bool) *queueAgent {
	var best *queueAgent
	for _, a := range q.agents {
		if !a.loggedIn || a.state != agentIdle || skip[a.endpoint] {
			continue
		}
		if best == nil || a.idleSince.Before(best.idleSince) || (a.idleSince.Equal(best.idleSince) && a.endpoint < best.endpoint) {
			best = a
		}
	}
	return best
}

// dispatch hands free agents to waiting callers in order; a kept callback place at the head
// gets its turn when an agent is free.
func (e *QueueEngine) dispatch(q *queueState) {
	for i := 0; i < len(q.waiting); i++ {
		en := q.waiting[i]
		if en.offered != nil || en.parked {
			continue
		}
		if en.callback != nil {
			if q.longestIdle(nil) == nil {
				return
			}
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			i--
			turn := *en.callback
			q.stats.callbackTurns++
			if e.opts.OnCallbackTurn != nil {
				go e.opts.OnCallbackTurn(turn)
			} else {
				e.log.Info("queue: a kept callback place reached the head; nothing is set to phone back", "queue", q.name, "callback", turn.ReceiptID)
			}
			continue
		}
		a := q.longestIdle(en.tried)
		if a == nil && len(en.tried) > 0 && q.longestIdle(nil) != nil {
			// Every free agent was tried for this caller: start a new round.
			en.tried = map[string]bool{}
			a = q.longestIdle(nil)
		}
		if a == nil {
			if q.longestIdle(nil) == nil {
				return
			}
			continue
		}
		a.state = agentBusy
		en.offered = a
		en.offers <- queueOffer{agent: a.endpoint, ring: q.cfg.ringTimeout()}
	}
}

// agentFree makes a idle now (to the back of the longest-idle order when moved is set).
func (e *QueueEngine) agentFree(q *queueState, a *queueAgent, moved bool) {
	a.state = agentIdle
	if moved {
		a.idleSince = e.clock.Now()
	}
	e.dispatch(q)
}

// variantOf assigns a promotion variant by a hash of the call id.
func variantOf(callID string, variants []string) (string, int) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(callID))
	i := int(h.Sum32() % uint32(len(variants)))
	return variants[i], i
}

func (e *QueueEngine) queue(name string) (*queueState, error) {
	q := e.queues[name]
	if q == nil {
		return nil, fmt.Errorf("queue %q: %w (declare it under queues: in ivrd.yaml)", name, ErrUnknownQueue)
	}
	return q, nil
}
