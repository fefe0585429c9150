package sms

import (
	"context"
	"errors"
	"fmt"
)

// Message is one text handed to a gateway.
type Message struct {
	// ID is ivrd's id of the text (the send record), used to match delivery reports.
	ID string
	// From is the sender (hotline number or short code); To is E.164.
	From, To string
	// Text is the UTF-8 body; the gateway chooses GSM-7 or UCS-2 as Segments does.
	Text string
}

// Gateway delivers texts to a carrier.
type Gateway interface {
	// Name is the gateway's short name as stored with each text ("kannel", "twilio", "console").
	Name() string
	// Send hands msg to the carrier and returns the gateway's id of it. A failure is a
	// *GatewayError saying whether trying again may help.
	Send(ctx context.Context, msg Message) (gatewayID string, err error)
}

// GatewayError is a gateway's failure to accept a text.
type GatewayError struct {
	Gateway string
	// Retryable is true when the same text may be accepted later (network error, 5xx,
	// throttling); false when it never will (bad number, bad credentials, rejected).
	Retryable bool
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	Err    error
}

func (e *GatewayError) Error() string {
	kind := "permanent"
	if e.Retryable {
		kind = "retryable"
	}
	if e.Status != 0 {
		return fmt.Sprintf("%s: %s failure (HTTP %d): %v", e.Gateway, kind, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %s failure: %v", e.Gateway, kind, e.Err)
}

func (e *GatewayError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is a gateway failure worth retrying. Errors that are not
// *GatewayError (context expiry, unknown) count as retryable: nothing is dropped on doubt.
func IsRetryable(err error) bool {
	var ge *GatewayError
	if errors.As(err, &ge) {
		return ge.Retryable
	}
	return err != nil
}

// retryableStatus classifies an HTTP status from a gateway.
func retryableStatus(code int) bool {
	return code == 408 || code == 429 || code >= 500
}
