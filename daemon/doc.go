// Package daemon wires ivrd together from one config.Config: what `ivrd serve` runs in
// production and `ivrd demo` runs on one machine.
//
// New builds the parts and checks everything that is configuration (routes, flows, secrets,
// addresses); Start binds the listeners and starts the background work; Stop shuts down in
// order. The parts:
//
//   - the flows (a hot-reloaded ivr.FlowSet: the flows folder watched with fsnotify, or the
//     flows embedded in the binary), routed by called number (flows.routes, '*' prefixes, the
//     default flow, or a channel variable ivrd_flow set by whoever sent the call);
//   - the IVR runtime, run on every call FreeSWITCH sends to the outbound socket
//     (listen.outbound: the dialplan's `socket <addr> async full`);
//   - the queue engine (queues:) for queue steps, with its HTTP API on /api/queues;
//   - inbound ESL connections to every FreeSWITCH node (freeswitch:), reconnecting on their own;
//   - PostgreSQL (database.url): migrations, the call record writer, the River job queue, the
//     SMS service (sender, inbound webhooks, follow-up texts after each call), callbacks (flow
//     steps, CALL ME texts, POST /api/callbacks, dialed from River jobs) and, when
//     recordings: is configured, the QA pipeline for record steps' files (GET /api/qa/{call}).
//     The database may be down at start or later: it is retried with backoff, call records
//     wait in memory, and /readyz says so meanwhile;
//   - the HTTP server (listen.http): /healthz, /readyz, /metrics, the status page and the
//     webhooks and APIs above.
//
// Stop is what SIGTERM does: /readyz turns to draining, the outbound socket stops taking new
// calls, calls in progress may finish until a grace deadline and are then hung up, River
// stops (jobs still running go back to the queue), call records are flushed.
package daemon
