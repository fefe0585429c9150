package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/sipcall/sipcalltest"
)

func TestCallSIPDialsSendsDigitsRecordsAndReportsTheCause(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, 3)
	wav := filepath.Join(t.TempDir(), "out.wav")
	code, out, errOut := runCmdWithEnv(t, nil, "call", "--sip", u.URI("ivr"), "--bind", "127.0.0.1",
		"--digits", "1,wait 50ms,2#", "--record", wav, "--digit-gap", "50ms")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `answered`)
	require.Contains(t, out, `sent "12#", hung up by remote: NORMAL_CLEARING (Q.850 16)`)
	require.Contains(t, out, "recorded ")
	require.Equal(t, "12#", u.Received(<-u.Finished()))
	st, err := os.Stat(wav)
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(44))
}

func TestCallSIPExitsOneWhenTheCallIsRefused(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, 1)
	code, out, _ := runCmdWithEnv(t, nil, "call", "--sip", u.URI("busy"), "--bind", "127.0.0.1")
	require.Equal(t, 1, code)
	require.Contains(t, out, "not answered: SIP 486 Busy Here: USER_BUSY (Q.850 17)")
}

func TestCallSIPNeedsAURI(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCmdWithEnv(t, nil, "call", "--sip=", "--digits", "1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "give --sip URI")
}

func TestCallSIPTakesTheDigestPasswordFromTheEnvironment(t *testing.T) {
	t.Parallel()
	u := sipcalltest.Start(t, 1)
	env := map[string]string{"IVRD_SIP_PASSWORD": sipcalltest.AuthPassword}
	code, out, errOut := runCmdWithEnv(t, env, "call", "--sip", u.URI("auth"), "--bind", "127.0.0.1",
		"--user", sipcalltest.AuthUser, "--digits", "9", "--digit-gap", "50ms")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `sent "9"`)
	require.Equal(t, "9", u.Received(<-u.Finished()))
}
