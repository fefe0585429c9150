// Package callback turns callback requests into phone calls, once.
//
// Requests come from four places, all ending in Service.Request:
//
//   - an inbound text ("CALL ME"): Service implements sms.CallbackRequester; the number called
//     back is always the sender's, never one parsed from the text;
//   - a flow's callback step and the queue's press-2 key: Service implements
//     ivr.CallbackRegistrar; a request carrying queue_position (ivr.QueueEngine.KeepPlace) waits
//     about as long as the place would and is dialed at once when the engine calls
//     Service.CallbackTurn;
//   - the HTTP API: Service.Handler serves POST /api/callbacks (JSON).
//
// Each request is validated before anything is dialed (request_validate.go): E.164 parse with
// a default region, country and prefix allow/deny lists (premium-rate and international numbers
// are refused by default: toll fraud), not opted out (sms's opt-out table), a per-number daily
// limit. A number with a live request, or one made within the dedupe window, gets the same
// callback again (dedupe across channels, serialised per number in PostgreSQL and backed by a
// unique index). Every refusal is stored with its Reason code.
//
// An accepted request becomes a River job (dial_worker.go) scheduled inside the callback
// calendar's open hours. The worker waits for the pacer (calls per second, concurrent
// originates per FreeSWITCH node), writes the attempt row with a fixed origination_uuid and
// only then sends `originate` through the esl pool: the customer's leg runs the callback flow
// over the outbound socket (ivrd_flow=callback, the request in FlowVars), through
// &socket(...) or a dialplan Extension. In agent-first mode an agent is rung and parked first,
// then the customer, and the two are bridged. Busy, no answer and rejected calls are tried
// again with backoff up to MaxAttempts within the deadline; an invalid number stops at once;
// after the last attempt the customer gets a text saying we tried and how to reach us. After a
// crash, an attempt left in state dialing is reconciled with uuid_exists, never dialed again.
//
// Every attempt is stored (node, origination uuid, hangup cause); `ivrd callbacks` lists them
// and ReportMetrics exports ivrd_callbacks{state}. Example_wiring shows how ivrd connects it.
package callback
