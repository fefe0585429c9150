package esl

import "strconv"

// Cause is a FreeSWITCH hangup cause by name ("USER_BUSY"), as it appears in Hangup-Cause,
// originate results and hangup-cause headers. Its Q.850 number is Q850().
type Cause string

// Hangup causes (the FreeSWITCH names of the Q.850 causes, plus FreeSWITCH's own >= 500).
const (
	CauseNone                     Cause = "NONE"
	CauseUnallocatedNumber        Cause = "UNALLOCATED_NUMBER"
	CauseNoRouteTransitNet        Cause = "NO_ROUTE_TRANSIT_NET"
	CauseNoRouteDestination       Cause = "NO_ROUTE_DESTINATION"
	CauseChannelUnacceptable      Cause = "CHANNEL_UNACCEPTABLE"
	CauseNormalClearing           Cause = "NORMAL_CLEARING"
	CauseUserBusy                 Cause = "USER_BUSY"
	CauseNoUserResponse           Cause = "NO_USER_RESPONSE"
	CauseNoAnswer                 Cause = "NO_ANSWER"
	CauseSubscriberAbsent         Cause = "SUBSCRIBER_ABSENT"
	CauseCallRejected             Cause = "CALL_REJECTED"
	CauseNumberChanged            Cause = "NUMBER_CHANGED"
	CauseRedirectionToNewDest     Cause = "REDIRECTION_TO_NEW_DESTINATION"
	CauseExchangeRoutingError     Cause = "EXCHANGE_ROUTING_ERROR"
	CauseDestinationOutOfOrder    Cause = "DESTINATION_OUT_OF_ORDER"
	CauseInvalidNumberFormat      Cause = "INVALID_NUMBER_FORMAT"
	CauseFacilityRejected         Cause = "FACILITY_REJECTED"
	CauseResponseToStatusEnquiry  Cause = "RESPONSE_TO_STATUS_ENQUIRY"
	CauseNormalUnspecified        Cause = "NORMAL_UNSPECIFIED"
	CauseNormalCircuitCongestion  Cause = "NORMAL_CIRCUIT_CONGESTION"
	CauseNetworkOutOfOrder        Cause = "NETWORK_OUT_OF_ORDER"
	CauseNormalTemporaryFailure   Cause = "NORMAL_TEMPORARY_FAILURE"
	CauseSwitchCongestion         Cause = "SWITCH_CONGESTION"
	CauseAccessInfoDiscarded      Cause = "ACCESS_INFO_DISCARDED"
	CauseRequestedChanUnavail     Cause = "REQUESTED_CHAN_UNAVAIL"
	CauseFacilityNotSubscribed    Cause = "FACILITY_NOT_SUBSCRIBED"
	CauseOutgoingCallBarred       Cause = "OUTGOING_CALL_BARRED"
	CauseIncomingCallBarred       Cause = "INCOMING_CALL_BARRED"
	CauseBearerCapabilityNotAuth  Cause = "BEARERCAPABILITY_NOTAUTH"
	CauseBearerCapabilityNotAvail Cause = "BEARERCAPABILITY_NOTAVAIL"
	CauseServiceUnavailable       Cause = "SERVICE_UNAVAILABLE"
	CauseBearerCapabilityNotImpl  Cause = "BEARERCAPABILITY_NOTIMPL"
	CauseChanNotImplemented       Cause = "CHAN_NOT_IMPLEMENTED"
	CauseFacilityNotImplemented   Cause = "FACILITY_NOT_IMPLEMENTED"
	CauseServiceNotImplemented    Cause = "SERVICE_NOT_IMPLEMENTED"
	CauseInvalidCallReference     Cause = "INVALID_CALL_REFERENCE"
	CauseIncompatibleDestination  Cause = "INCOMPATIBLE_DESTINATION"
	CauseInvalidMsgUnspecified    Cause = "INVALID_MSG_UNSPECIFIED"
	CauseMandatoryIEMissing       Cause = "MANDATORY_IE_MISSING"
	CauseMessageTypeNonexist      Cause = "MESSAGE_TYPE_NONEXIST"
	CauseWrongMessage             Cause = "WRONG_MESSAGE"
	CauseIENonexist               Cause = "IE_NONEXIST"
	CauseInvalidIEContents        Cause = "INVALID_IE_CONTENTS"
	CauseWrongCallState           Cause = "WRONG_CALL_STATE"
	CauseRecoveryOnTimerExpire    Cause = "RECOVERY_ON_TIMER_EXPIRE"
	CauseMandatoryIELengthError   Cause = "MANDATORY_IE_LENGTH_ERROR"
	CauseProtocolError            Cause = "PROTOCOL_ERROR"
	CauseInterworking             Cause = "INTERWORKING"
	CauseSuccess                  Cause = "SUCCESS"
	CauseOriginatorCancel         Cause = "ORIGINATOR_CANCEL"
	CauseCrash                    Cause = "CRASH"
	CauseSystemShutdown           Cause = "SYSTEM_SHUTDOWN"
	CauseLoseRace                 Cause = "LOSE_RACE"
	CauseManagerRequest           Cause = "MANAGER_REQUEST"
	CauseBlindTransfer            Cause = "BLIND_TRANSFER"
	CauseAttendedTransfer         Cause = "ATTENDED_TRANSFER"
	CauseAllottedTimeout          Cause = "ALLOTTED_TIMEOUT"
	CauseUserChallenge            Cause = "USER_CHALLENGE"
	CauseMediaTimeout             Cause = "MEDIA_TIMEOUT"
	CausePickedOff                Cause = "PICKED_OFF"
	CauseUserNotRegistered        Cause = "USER_NOT_REGISTERED"
	CauseProgressTimeout          Cause = "PROGRESS_TIMEOUT"
	CauseGatewayDown              Cause = "GATEWAY_DOWN"
	CauseInvalidGateway           Cause = "INVALID_GATEWAY"
	CauseInvalidProfile           Cause = "INVALID_PROFILE"
	CauseNoPickup                 Cause = "NO_PICKUP"
	CauseSRTPReadError            Cause = "SRTP_READ_ERROR"
	CauseBowout                   Cause = "BOWOUT"
	CauseBusyEverywhere           Cause = "BUSY_EVERYWHERE"
	CauseDeclineEverywhere        Cause = "DECLINE"
	CauseDoesNotExistAnywhere     Cause = "DOES_NOT_EXIST_ANYWHERE"
	CauseNotAcceptable            Cause = "NOT_ACCEPTABLE"
	CauseUnwanted                 Cause = "UNWANTED"
	CauseNoIdentity               Cause = "NO_IDENTITY"
	CauseBadIdentityInfo          Cause = "BAD_IDENTITY_INFO"
	CauseUnsupportedCertificate   Cause = "UNSUPPORTED_CERTIFICATE"
	CauseInvalidIdentity          Cause = "INVALID_IDENTITY"
	CauseStaleDate                Cause = "STALE_DATE"
	CauseRejectAll                Cause = "REJECT_ALL"
	CausePreEmpted                Cause = "PRE_EMPTED"
)

// q850 maps cause names to FreeSWITCH's numbers (switch_types.h switch_call_cause_t).
var q850 = map[Cause]int{
	CauseNone: 0, CauseUnallocatedNumber: 1, CauseNoRouteTransitNet: 2, CauseNoRouteDestination: 3,
	CauseChannelUnacceptable: 6, CauseNormalClearing: 16, CauseUserBusy: 17, CauseNoUserResponse: 18,
	CauseNoAnswer: 19, CauseSubscriberAbsent: 20, CauseCallRejected: 21, CauseNumberChanged: 22,
	CauseRedirectionToNewDest: 23, CauseExchangeRoutingError: 25, CauseDestinationOutOfOrder: 27,
	CauseInvalidNumberFormat: 28, CauseFacilityRejected: 29, CauseResponseToStatusEnquiry: 30,
	CauseNormalUnspecified: 31, CauseNormalCircuitCongestion: 34, CauseNetworkOutOfOrder: 38,
	CauseNormalTemporaryFailure: 41, CauseSwitchCongestion: 42, CauseAccessInfoDiscarded: 43,
	CauseRequestedChanUnavail: 44, CauseFacilityNotSubscribed: 50, CauseOutgoingCallBarred: 52,
	CauseIncomingCallBarred: 54, CauseBearerCapabilityNotAuth: 57, CauseBearerCapabilityNotAvail: 58,
	CauseServiceUnavailable: 63, CauseBearerCapabilityNotImpl: 65, CauseChanNotImplemented: 66,
	CauseFacilityNotImplemented: 69, CauseServiceNotImplemented: 79, CauseInvalidCallReference: 81,
	CauseIncompatibleDestination: 88, CauseInvalidMsgUnspecified: 95, CauseMandatoryIEMissing: 96,
	CauseMessageTypeNonexist: 97, CauseWrongMessage: 98, CauseIENonexist: 99, CauseInvalidIEContents: 100,
	CauseWrongCallState: 101, CauseRecoveryOnTimerExpire: 102, CauseMandatoryIELengthError: 103,
	CauseProtocolError: 111, CauseInterworking: 127, CauseSuccess: 142, CauseOriginatorCancel: 487,
	CauseCrash: 500, CauseSystemShutdown: 501, CauseLoseRace: 502, CauseManagerRequest: 503,
	CauseBlindTransfer: 600, CauseAttendedTransfer: 601, CauseAllottedTimeout: 602, CauseUserChallenge: 603,
	CauseMediaTimeout: 604, CausePickedOff: 605, CauseUserNotRegistered: 606, CauseProgressTimeout: 607,
	CauseGatewayDown: 609, CauseInvalidGateway: 608, CauseInvalidProfile: 610, CauseNoPickup: 611,
	CauseSRTPReadError: 612, CauseBowout: 613, CauseBusyEverywhere: 614, CauseDeclineEverywhere: 615,
	CauseDoesNotExistAnywhere: 616, CauseNotAcceptable: 617, CauseUnwanted: 618, CauseNoIdentity: 619,
	CauseBadIdentityInfo: 620, CauseUnsupportedCertificate: 621, CauseInvalidIdentity: 622,
	CauseStaleDate: 623, CauseRejectAll: 624, CausePreEmpted: 625,
}

// Code is FreeSWITCH's number for the cause (switch_call_cause_t): the Q.850 number for
// causes up to 127 (USER_BUSY 17, NO_ANSWER 19, ...), FreeSWITCH's own above (ORIGINATOR_CANCEL
// 487, SYSTEM_SHUTDOWN 501, ALLOTTED_TIMEOUT 602). -1 for an unknown name.
func (c Cause) Code() int {
	if n, ok := q850[c]; ok {
		return n
	}
	return -1
}

// Q850 is the number FreeSWITCH puts in variable_hangup_cause_q850 and SIP Reason headers:
// Code for Q.850 causes, 16 (NORMAL_CLEARING) for FreeSWITCH's own. -1 for an unknown name.
func (c Cause) Q850() int {
	n := c.Code()
	if n > 127 {
		return 16
	}
	return n
}

// Known says whether c is one of FreeSWITCH's cause names.
func (c Cause) Known() bool { _, ok := q850[c]; return ok }

// String is the cause name.
func (c Cause) String() string { return string(c) }

// CauseFromCode returns the cause with FreeSWITCH number n (see Code), or "" if there is none.
func CauseFromCode(n int) Cause {
	for c, v := range q850 {
		if v == n {
			return c
		}
	}
	return ""
}

// ParseCause accepts a cause name ("USER_BUSY") or its number ("17", see Code).
func ParseCause(s string) (Cause, bool) {
	c := Cause(s)
	if c.Known() {
		return c, true
	}
	if n, err := strconv.Atoi(s); err == nil {
		if c := CauseFromCode(n); c != "" {
			return c, true
		}
	}
	return "", false
}

// Retryable says whether a call that failed with this cause may succeed if tried again later:
// busy, no answer, congestion, temporary failures, timeouts, shutdowns. Causes that say the
// number is wrong or the callee refused (UNALLOCATED_NUMBER, CALL_REJECTED,
// INVALID_NUMBER_FORMAT, NO_ROUTE_DESTINATION, INCOMPATIBLE_DESTINATION, ...) are final.
// NORMAL_CLEARING before answer is retryable: FreeSWITCH reports 480 Temporarily Unavailable and
// unrouted loopback legs that way.
func (c Cause) Retryable() bool {
	switch c {
	case CauseUserBusy, CauseNoAnswer, CauseNoUserResponse, CauseNormalClearing, CauseNormalUnspecified,
		CauseSubscriberAbsent, CauseNormalCircuitCongestion, CauseNetworkOutOfOrder,
		CauseNormalTemporaryFailure, CauseSwitchCongestion, CauseRequestedChanUnavail,
		CauseDestinationOutOfOrder, CauseRecoveryOnTimerExpire, CauseAllottedTimeout,
		CauseOriginatorCancel, CauseSystemShutdown, CauseMediaTimeout, CauseGatewayDown,
		CauseProgressTimeout, CauseLoseRace, CauseManagerRequest, CauseCrash, CauseNoPickup,
		CauseBusyEverywhere, CauseUserNotRegistered, CauseServiceUnavailable, CauseExchangeRoutingError:
		return true
	}
	return false
}
