package sipcall_test

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/sipcall"
	"github.com/ivrd/ivrd/sipcall/sipcalltest"
)

// ivrDigits is the script the tests send; the UAS hangs up after as many digits.
const ivrDigits = "125#"

func fastOptions(uri string) sipcall.Options {
	return sipcall.Options{
		URI:           uri,
		BindHost:      "127.0.0.1",
		AnswerTimeout: 5 * time.Second,
		DigitGap:      60 * time.Millisecond,
		Linger:        5 * time.Second,
	}
}

func TestCallSendsDTMFRecordsTheToneAndReportsTheRemoteHangup(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, len(ivrDigits))
	o := fastOptions(u.URI("ivr"))
	o.Digits = "1,wait 100ms,2,5#"
	o.RecordPath = filepath.Join(t.TempDir(), "heard.wav")

	res, err := sipcall.Call(t.Context(), o)
	require.NoError(t, err)
	require.True(t, res.Answered)
	require.Equal(t, "remote", res.HungUpBy)
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.Equal(t, 16, res.CauseCode)
	require.Equal(t, ivrDigits, res.DigitsSent)

	callID := <-u.Finished()
	require.Equal(t, ivrDigits, u.Received(callID), "the server side must receive every RFC 4733 digit once, in order")

	samples, rate := readWAV(t, o.RecordPath)
	require.Equal(t, 8000, rate)
	require.Greater(t, len(samples), 8000/5, "at least 200 ms of the tone must be recorded")
	tone, other := goertzel(samples, sipcalltest.ToneHz, rate), goertzel(samples, 1000, rate)
	require.Greater(t, tone, 50*other, "the recording must hold the 440 Hz tone the server played")
}

func TestCallReportsTheQ850ReasonOfTheRemoteBye(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, len(ivrDigits))
	o := fastOptions(u.URI("ivr-busy-hangup"))
	o.Digits = ivrDigits
	res, err := sipcall.Call(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, "remote", res.HungUpBy)
	require.Equal(t, "USER_BUSY", res.Cause)
}

func TestCallThatIsNotAnsweredEndsWithTheCauseFreeSWITCHWouldGive(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, len(ivrDigits))
	tests := []struct {
		user   string
		status int
		cause  string
	}{
		{"busy", 486, "USER_BUSY"},
		{"nobody", 404, "UNALLOCATED_NUMBER"},
		{"gone", 480, "NORMAL_CLEARING"}, // Reason: Q.850;cause=16 wins over 480's NO_USER_RESPONSE
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			t.Parallel()
			res, err := sipcall.Call(t.Context(), fastOptions(u.URI(tt.user)))
			require.NoError(t, err)
			require.False(t, res.Answered)
			require.Equal(t, tt.status, res.Status)
			require.Equal(t, tt.cause, res.Cause)
		})
	}
}

func TestCallThatRingsTooLongIsCancelledWithNoAnswer(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, len(ivrDigits))
	o := fastOptions(u.URI("ring"))
	o.AnswerTimeout = 300 * time.Millisecond
	res, err := sipcall.Call(t.Context(), o)
	require.NoError(t, err)
	require.False(t, res.Answered)
	require.Equal(t, "NO_ANSWER", res.Cause)
}

func TestCallHangsUpItselfWhenTheFarEndStaysOnTheLine(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, len(ivrDigits))
	o := fastOptions(u.URI("silent"))
	o.Digits = "9"
	o.Linger = 100 * time.Millisecond
	res, err := sipcall.Call(t.Context(), o)
	require.NoError(t, err)
	require.True(t, res.Answered)
	require.Equal(t, "local", res.HungUpBy)
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.Equal(t, "9", res.DigitsSent)
}

func TestCallRejectsABadURIOrScriptBeforeDialing(t *testing.T) {
	t.Parallel()
	_, err := sipcall.Call(context.Background(), sipcall.Options{URI: "5000"})
	require.ErrorContains(t, err, "write it like sip:5000@127.0.0.1:5080")
	_, err = sipcall.Call(context.Background(), sipcall.Options{URI: "sip:5000@127.0.0.1", Digits: "1,x"})
	require.ErrorContains(t, err, "is not a DTMF digit")
}

// readWAV reads a mono 16-bit PCM WAV file written by sipcall.
func readWAV(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(b), 44)
	require.Equal(t, "RIFF", string(b[0:4]))
	require.Equal(t, "WAVE", string(b[8:12]))
	require.Equal(t, uint16(1), binary.LittleEndian.Uint16(b[20:22]), "PCM")
	require.Equal(t, uint16(1), binary.LittleEndian.Uint16(b[22:24]), "mono")
	rate := int(binary.LittleEndian.Uint32(b[24:28]))
	require.Equal(t, uint16(16), binary.LittleEndian.Uint16(b[34:36]), "16-bit")
	size := int(binary.LittleEndian.Uint32(b[40:44]))
	require.Equal(t, len(b)-44, size, "data chunk size must match the file")
	s := make([]int16, size/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[44+2*i:]))
	}
	return s, rate
}

// goertzel returns the power of frequency hz in samples.
func goertzel(samples []int16, hz float64, rate int) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s := float64(x) + c*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

func TestCallFromAFixedLocalPortReceivesTheHangupThere(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, len(ivrDigits))
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	port := pc.LocalAddr().(*net.UDPAddr).Port
	require.NoError(t, pc.Close())

	o := fastOptions(u.URI("ivr"))
	o.BindPort = port
	o.Digits = ivrDigits
	res, err := sipcall.Call(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, "remote", res.HungUpBy)
	require.Equal(t, ivrDigits, u.Received(<-u.Finished()))
}

func TestCallAnswersADigestChallengeLikeFreeSWITCHsInternalProfile(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, 1)
	o := fastOptions(u.URI("auth"))
	o.Username, o.Password, o.Digits = sipcalltest.AuthUser, sipcalltest.AuthPassword, "7"
	res, err := sipcall.Call(t.Context(), o)
	require.NoError(t, err)
	require.True(t, res.Answered, "%s", res)
	require.Equal(t, "7", u.Received(<-u.Finished()))

	o.Password = "wrong"
	res, err = sipcall.Call(t.Context(), o)
	require.NoError(t, err)
	require.False(t, res.Answered)
	require.Equal(t, 403, res.Status)
	require.Equal(t, "CALL_REJECTED", res.Cause)
}
