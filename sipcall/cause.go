package sipcall

import (
	"strconv"
	"strings"
)

// Q.850 cause codes and the names FreeSWITCH gives them (switch_types.h), for the causes a
// SIP call can end with.
var q850Names = map[int]string{
	1:   "UNALLOCATED_NUMBER",
	3:   "NO_ROUTE_DESTINATION",
	16:  "NORMAL_CLEARING",
	17:  "USER_BUSY",
	18:  "NO_USER_RESPONSE",
	19:  "NO_ANSWER",
	20:  "SUBSCRIBER_ABSENT",
	21:  "CALL_REJECTED",
	22:  "NUMBER_CHANGED",
	25:  "EXCHANGE_ROUTING_ERROR",
	27:  "DESTINATION_OUT_OF_ORDER",
	28:  "INVALID_NUMBER_FORMAT",
	29:  "FACILITY_REJECTED",
	31:  "NORMAL_UNSPECIFIED",
	34:  "NORMAL_CIRCUIT_CONGESTION",
	38:  "NETWORK_OUT_OF_ORDER",
	41:  "NORMAL_TEMPORARY_FAILURE",
	42:  "SWITCH_CONGESTION",
	47:  "RESOURCE_UNAVAILABLE",
	55:  "INCOMING_CALL_BARRED",
	57:  "BEARERCAPABILITY_NOTAUTH",
	58:  "BEARERCAPABILITY_NOTAVAIL",
	63:  "SERVICE_UNAVAILABLE",
	65:  "BEARERCAPABILITY_NOTIMPL",
	79:  "SERVICE_NOT_IMPLEMENTED",
	88:  "INCOMPATIBLE_DESTINATION",
	102: "RECOVERY_ON_TIMER_EXPIRE",
	111: "PROTOCOL_ERROR",
	127: "INTERWORKING",
	487: "ORIGINATOR_CANCEL", // FreeSWITCH's own code for a cancelled call
}

// statusCauses maps a final SIP response status to a Q.850 cause as FreeSWITCH's
// sofia_glue_sip_cause_to_freeswitch does (after RFC 4497 section 8.4.4).
var statusCauses = map[int]int{
	200: 16,
	401: 21, 402: 21, 403: 21, 407: 21, 603: 21,
	404: 1,
	485: 3, 604: 3,
	408: 102, 504: 102,
	410: 22,
	413: 127, 414: 127, 416: 127, 420: 127, 421: 127, 423: 127, 505: 127, 513: 127,
	480: 18,
	400: 41, 481: 41, 500: 41, 503: 41,
	486: 17, 600: 17,
	484: 28,
	488: 88, 606: 88,
	502: 38,
	405: 63,
	406: 79, 415: 79, 501: 79,
	482: 25, 483: 25,
	487: 487,
}

// CauseName returns FreeSWITCH's name of a Q.850 cause code, or "CAUSE_<n>" for others.
func CauseName(code int) string {
	if n, ok := q850Names[code]; ok {
		return n
	}
	return "CAUSE_" + strconv.Itoa(code)
}

// CauseFromStatus maps a final SIP status to a Q.850 cause code, as FreeSWITCH does.
func CauseFromStatus(status int) int {
	if c, ok := statusCauses[status]; ok {
		return c
	}
	if status >= 200 && status < 300 {
		return 16
	}
	return 31 // NORMAL_UNSPECIFIED, FreeSWITCH's default
}

// parseReason reads a Reason header value like `Q.850;cause=17;text="USER_BUSY"` and returns
// the cause code. Reasons with another protocol (SIP;cause=200) are ignored.
func parseReason(v string) (int, bool) {
	for _, part := range strings.Split(v, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(fields[0]), "Q.850") {
			continue
		}
		for _, f := range fields[1:] {
			k, val, ok := strings.Cut(strings.TrimSpace(f), "=")
			if ok && strings.EqualFold(k, "cause") {
				if n, err := strconv.Atoi(strings.Trim(val, `"`)); err == nil && n > 0 {
					return n, true
				}
			}
		}
	}
	return 0, false
}
