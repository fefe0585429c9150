package sipcall_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/sipcall"
)

func TestParseScriptReadsDigitsAndPauses(t *testing.T) {
	t.Parallel()
	steps, err := sipcall.ParseScript(" 1, wait 3s ,2,5#,wait 250ms,*0ab")
	require.NoError(t, err)
	require.Equal(t, []sipcall.Step{
		{Digits: "1"}, {Wait: 3 * time.Second}, {Digits: "2"}, {Digits: "5#"},
		{Wait: 250 * time.Millisecond}, {Digits: "*0AB"},
	}, steps)

	steps, err = sipcall.ParseScript("")
	require.NoError(t, err)
	require.Empty(t, steps)
}

func TestParseScriptSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	tests := []struct{ script, want string }{
		{"1,,2", "digits item 2 is empty"},
		{"1,wait", `digits item 2 "wait": write a pause like "wait 3s"`},
		{"1,wait 3", `write a pause like "wait 3s"`},
		{"12x", `'X' is not a DTMF digit`},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			t.Parallel()
			_, err := sipcall.ParseScript(tt.script)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestCauseFromStatusMatchesFreeSWITCH(t *testing.T) {
	t.Parallel()
	// The SIP statuses FreeSWITCH's traces show, and its mapping of the others.
	for status, want := range map[int]string{
		200: "NORMAL_CLEARING", 486: "USER_BUSY", 404: "UNALLOCATED_NUMBER", 603: "CALL_REJECTED",
		480: "NO_USER_RESPONSE", 487: "ORIGINATOR_CANCEL", 408: "RECOVERY_ON_TIMER_EXPIRE",
		503: "NORMAL_TEMPORARY_FAILURE", 488: "INCOMPATIBLE_DESTINATION", 484: "INVALID_NUMBER_FORMAT",
		604: "NO_ROUTE_DESTINATION", 499: "NORMAL_UNSPECIFIED",
	} {
		require.Equal(t, want, sipcall.CauseName(sipcall.CauseFromStatus(status)), "SIP %d", status)
	}
	require.Equal(t, "CAUSE_999", sipcall.CauseName(999))
}
