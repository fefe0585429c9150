// Package sms sends and receives text messages through gateways (Kannel, a Twilio-compatible
// REST API, a console outbox for the demo), answers keywords, honours STOP, and sends
// post-call follow-up texts.
//
// How the pieces fit:
//
//   - A Gateway (KannelGateway, TwilioGateway, Console) delivers one Message to a carrier and
//     says whether a failure is worth retrying (GatewayError).
//   - Inbound is the set of http.Handlers the HTTP server mounts: Kannel's get-url/post-url,
//     Twilio's signed webhook, and the delivery-report / status callbacks. Each inbound text is
//     stored once in PostgreSQL (deduplicated by gateway and gateway message id), STOP and START
//     change the opt-out table in the same transaction, and the text is then answered by the
//     keyword rules of Config.Keywords (callback request, digit menu, HELP, STOP, START).
//   - A callback wish is handed to a CallbackRequester, which package callback implements.
//   - Sender is the one way out: flows, follow-ups, callbacks and keyword replies all call
//     Sender.Send, which normalises the number to E.164, refuses opted-out numbers, applies the
//     per-number rate limit and daily cap, defers texts inside the recipient's quiet hours, and
//     records the text before a River job (SendWorker) hands it to the gateway. The send record
//     is idempotent: a retried job never resends a text the gateway already accepted.
//   - FollowUps matches finished calls (FinishedCall) against the rules of Config.FollowUps and
//     sends each rule's template at most once per call.
//   - Templates (Config.Templates, per language) use the flows' template language, package
//     ivr/expr ({{eta}}, {{vars.name | upper}}); a variable a text needs but lacks is an error.
//   - Service wires all of it; `ivrd sms kannel-conf` prints the kannel.conf groups that match.
//
// Package sms/kanneltest starts a real bearerbox and smsbox for tests and plays the carrier on
// Kannel's fake SMSC port.
package sms
