package callback

import (
	"errors"
	"fmt"
)

// Reason is the stored code of a refusal or of how a request ended.
type Reason string

// Refusals (the request is stored with state refused and this reason; nothing is dialed).
const (
	ReasonBadNumber     Reason = "bad_number"    // not a valid phone number
	ReasonInternational Reason = "international" // country not in callbacks.allow_countries
	ReasonPremiumRate   Reason = "premium_rate"  // premium-rate or shared-cost number
	ReasonDeniedPrefix  Reason = "denied_prefix" // matches callbacks.deny_prefixes
	ReasonOptedOut      Reason = "opted_out"     // the number texted STOP
	ReasonDailyLimit    Reason = "daily_limit"   // callbacks.per_number_per_day reached
	ReasonOtherNumber   Reason = "not_callers_number"
	ReasonNeverOpen     Reason = "never_open" // the callback calendar does not open in 400 days
	// ReasonDuplicate: the number already has a callback waiting (stored with duplicate_of);
	// the request is answered with that one, not refused.
	ReasonDuplicate Reason = "duplicate"
	// ReasonRecentlyCalled: the number was called back within callbacks.dedupe_window.
	ReasonRecentlyCalled Reason = "recently_called"
)

// Ends of an accepted request.
const (
	ReasonAnswered      Reason = "answered"        // the customer answered
	ReasonUnreached     Reason = "unreached"       // MaxAttempts calls not answered
	ReasonDeadline      Reason = "deadline"        // the deadline passed before an attempt
	ReasonInvalidNumber Reason = "invalid_number"  // UNALLOCATED_NUMBER, INVALID_NUMBER_FORMAT
	ReasonUnknown       Reason = "outcome_unknown" // a crash hid the outcome; not dialed again
	ReasonGaveUp        Reason = "gave_up"         // the dial job failed on every try (switch or database away)
)

// ErrRefused is matched by every *RefusedError.
var ErrRefused = errors.New("callback refused")

// RefusedError says a request was refused for good; it is stored with its Reason.
type RefusedError struct {
	Reason Reason
	// Detail says what was wrong and what to do, for logs and the API.
	Detail string
	// RequestID is the stored refused request.
	RequestID int64
	// DuplicateOf is the earlier request a ReasonDuplicate refusal points to.
	DuplicateOf int64
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("callback refused (%s): %s", e.Reason, e.Detail)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }
