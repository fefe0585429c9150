package sms

import (
	"context"
	"time"
)

// CallbackRequester takes a customer's wish, texted in, to be called back. Package callback
// implements it; Inbound calls it from a River job, so it may be called again for the same
// MessageID after a crash or an error and must then not create a second request.
type CallbackRequester interface {
	RequestCallback(ctx context.Context, req CallbackRequest) (Confirmation, error)
}

// CallbackRequest is a callback wish from a text.
type CallbackRequest struct {
	// Number is the E.164 number that texted: callbacks go only to the number that asked.
	Number string
	// Source is "sms".
	Source string
	// MessageID identifies the inbound text ("sms:<id>"); the same text always gives the
	// same MessageID, so it is the idempotency key.
	MessageID string
	// Lang is the language the customer wrote in ("en", "zh", ...).
	Lang string
	// Text is what the customer wrote.
	Text string
	// ReceivedAt is when the text arrived.
	ReceivedAt time.Time
}

// Confirmation is the callback package's answer to a request.
type Confirmation struct {
	// RequestID is the callback request's id (for logs and the reply's variables).
	RequestID string
	// ETA is the estimated time of the call.
	ETA time.Time
	// Text, when set, is sent as the reply as is; otherwise the template
	// "callback_confirmed" is rendered with {{eta}} (HH:MM in the customer's time zone),
	// {{eta_date}} ("Mon 2 Mar"), {{eta_time}} (the time itself, for expr functions),
	// {{eta_minutes}} and {{request_id}}.
	Text string
}

// CallbackRefusedError is how a CallbackRequester says no for good (number not allowed,
// daily limit reached, ...). The customer gets Text, or the template "callback_refused" with
// {{reason}}. Any other error is retried.
type CallbackRefusedError struct {
	Reason string
	Text   string
}

func (e *CallbackRefusedError) Error() string { return "callback refused: " + e.Reason }
