// Package ivr holds the flow language that flow designers write in YAML (model, parser,
// validator, analyser, JSON Schema, graph) and the runtime that runs a flow on a call,
// including queue hold with promotion prompts.
//
// # Queues
//
// QueueEngine (queue_*.go) runs the flows' queue steps. Each engine has one goroutine that
// owns every queue's state: callers waiting in order of priority then arrival, agents
// (FreeSWITCH endpoints, rung longest-idle first, with wrap-up after a call and a rest after
// no answer), kept places and the service-level figures. A waiting caller's own call
// goroutine plays the hold treatment (hold_plan.go: music, then announcements with the
// position and estimated wait, and promotions in rotation per A/B variant, on a schedule
// run by a TimerClock) and is handed an agent over a channel, which interrupts the playing
// music (uuid_break); it then bridges the agent with continue_on_fail and reports back, so
// one goroutine drives each call and one owns the queue. A hold key leaves the queue with
// the caller's place kept for keep_place: back in the queue (after a text) they resume it,
// and a callback booked meanwhile (KeepPlace) keeps it until its turn. PromotionStore keeps
// what each caller heard and did for `ivrd report promotions`; Routes is the HTTP API for
// figures and agent login/logout.
//
// The engine lives in this package rather than a package of its own because it implements
// the runtime's QueueJoiner over the runtime's Channel, Hold and Media, and flow tests
// (scenario_run.go) run queue steps on it with the FakeChannel.
package ivr
