package callback

import (
	"context"
	"errors"

	"github.com/ivrd/ivrd/sms"
)

// refusalText is what a refused texter is told (the callback_refused template's {{reason}}).
var refusalText = map[Reason]string{
	ReasonBadNumber:      "we cannot call this number",
	ReasonInternational:  "we only call numbers in our country",
	ReasonPremiumRate:    "we cannot call premium-rate numbers",
	ReasonDeniedPrefix:   "we cannot call this number",
	ReasonOptedOut:       "you have opted out; text START first",
	ReasonDailyLimit:     "you have asked for too many callbacks today",
	ReasonNeverOpen:      "callbacks are not available",
	ReasonRecentlyCalled: "we called you back a short while ago",
}

// RequestCallback implements sms.CallbackRequester: the number called back is the sender's.
// A number that already has a callback is told that one's time again.
func (s *Service) RequestCallback(ctx context.Context, req sms.CallbackRequest) (sms.Confirmation, error) {
	rc, err := s.Request(ctx, Request{Source: SourceSMS, Key: req.MessageID, Number: req.Number, Lang: req.Lang})
	var refused *RefusedError
	if errors.As(err, &refused) {
		why := refusalText[refused.Reason]
		if why == "" {
			why = string(refused.Reason)
		}
		return sms.Confirmation{}, &sms.CallbackRefusedError{Reason: why}
	}
	if err != nil {
		return sms.Confirmation{}, err
	}
	return sms.Confirmation{RequestID: itoa(rc.ID), ETA: rc.ETA}, nil
}
