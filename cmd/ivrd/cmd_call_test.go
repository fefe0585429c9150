package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The scripted calls run the command in-process: the FreeSWITCH emulator, ivrd's runtime on
// its outbound socket and the demo bank, with the caller going through the emulator's
// inbound event socket (originate, uuid_send_dtmf), at 50x speed.

func runScriptedCall(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, out, errOut := runCmdWithEnv(t, nil, append([]string{"call", "--speed", "50"}, args...)...)
	t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	return code, out
}

// stepsLine returns the steps of the printed call record, in order.
func stepsLine(out string) string {
	var steps []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == "step" {
			steps = append(steps, f[2])
		}
	}
	return strings.Join(steps, " ")
}

func TestCallDigitsSelfServiceBalanceWithAccountNumber(t *testing.T) {
	t.Parallel()
	code, out := runScriptedCall(t, "--flow", "../../flows/hotline.yaml", "--at", "2026-11-24 10:00", "--digits", "1,1,12345678,1")
	require.Equal(t, 0, code)
	require.Contains(t, out, "flow     hotline (version ")
	require.Contains(t, out, "clock    Tue 2026-11-24 10:00 EST")
	require.Contains(t, out, "built-in demo bank API")
	// No database in-process: the answered line must not send the user to ivrd calls show.
	require.Regexp(t, `answered \(ivrd's call id [0-9a-f-]+\)\n`, out)
	require.Contains(t, out, `hears: "For your balance, press 1.`)
	require.Contains(t, out, `hears: "Please enter your 8 digit account number`)
	require.Contains(t, out, "you press 12345678")
	require.Contains(t, out, `hears: "You entered 1 2 3 4 5 6 7 8.`)
	require.Contains(t, out, `hears: "Your available balance is 1234.56 USD.`)
	require.Contains(t, out, `hears: "Thank you for calling Example Bank. Goodbye."`)
	require.Contains(t, out, "ivrd hung up: NORMAL_CLEARING")
	require.Equal(t, "start record_calls text_promo find_caller check_hours main_menu balance ask_account balance_lookup say_balance goodbye end", stepsLine(out))
	require.Contains(t, out, "outcome   self-served (hangup NORMAL_CLEARING)")
	require.Contains(t, out, `account="12345678" balance="1234.56"`)
}

func TestCallDigitsKnownVIPCallerHearsTheirBalanceAndGetsItByText(t *testing.T) {
	t.Parallel()
	code, out := runScriptedCall(t, "--caller", "+12125550101", "--at", "2026-11-24 10:00", "--digits", "1,1,wait 2s,2")
	require.Equal(t, 0, code)
	require.Contains(t, out, `hears: "Welcome back Alice. As a Premier customer, you will be put through first."`)
	require.Contains(t, out, `hears: "Your available balance is 25310.75 USD.`)
	require.Contains(t, out, "(text message) SMS 5000 -> +12125550101: Example Bank: your available balance is 25310.75 USD.")
	require.Contains(t, out, `hears: "We have sent you a text message. Goodbye."`)
	require.Equal(t, "start record_calls text_promo find_caller vip_check vip_welcome check_hours main_menu balance balance_lookup say_balance text_balance text_sent end", stepsLine(out))
}

func TestCallDigitsAfterHoursTextsHowToReachUs(t *testing.T) {
	t.Parallel()
	code, out := runScriptedCall(t, "--at", "2026-11-24 22:00", "--digits", "1,2")
	require.Equal(t, 0, code)
	require.Contains(t, out, "clock    Tue 2026-11-24 22:00 EST")
	require.Contains(t, out, `hears: "We are closed now. We are open Monday to Friday`)
	require.Contains(t, out, "(text message) SMS 5000 -> +12125550199: We are closed now. Reply CALL and we will call you back when we open.")
	require.Contains(t, out, `hears: "We have sent you a text message. Goodbye."`)
	require.NotContains(t, out, "For your balance")
	require.Equal(t, "start record_calls text_promo find_caller check_hours after_hours text_after_hours text_sent end", stepsLine(out))
	require.Contains(t, out, "hours     check_hours        calendar bank at Tue 2026-11-24 22:00 EST: closed")
}

func TestCallDigitsCallerHangingUpIsAbandoned(t *testing.T) {
	t.Parallel()
	code, out := runScriptedCall(t, "--at", "2026-11-24 10:00", "--digits", "1,wait 1s")
	require.Equal(t, 0, code, "the caller hanging up is a normal end of the call")
	require.Contains(t, out, "you hung up (NORMAL_CLEARING)")
	require.Contains(t, out, "outcome   abandoned")
}

func TestCallDigitsRejectsBadScriptsAndFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a letter is not a key", []string{"--digits", "1,x"}, `'X' is not a DTMF digit`},
		{"a pause needs a duration", []string{"--digits", "wait soon"}, `write a pause like "wait 3s"`},
		{"--at needs a time", []string{"--digits", "1", "--at", "teatime"}, `--at "teatime"`},
		{"--flow must load", []string{"--digits", "1", "--flow", "nope.yaml"}, "--flow: open nope.yaml"},
		{"--flow without --digits", []string{"--flow", "x.yaml"}, "--flow and --at go with --digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCmdWithEnv(t, nil, append([]string{"call"}, tc.args...)...)
			require.Equal(t, 1, code)
			require.Contains(t, errOut, tc.want)
		})
	}
}

func TestCallInteractiveSaysWhatToDoWhenNothingListens(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCmdWithEnv(t, nil, "call", "--esl", "127.0.0.1:1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no event socket at 127.0.0.1:1")
	require.Contains(t, errOut, "ivrd demo")
	require.Contains(t, errOut, `ivrd call --digits`)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until out contains s (the test's deadline bounds it).
func waitFor(t *testing.T, out *syncBuffer, s string) {
	t.Helper()
	for i := 0; !strings.Contains(out.String(), s); i++ {
		if i > 3000 {
			t.Fatalf("never saw %q in:\n%s", s, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCallInteractiveTypesKeysAndHangsUpWithQ(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	sys, err := startLocalSystem(ctx, env, callOptions{number: "5000", speed: 20, at: "2026-11-24 10:00"})
	require.NoError(t, err)
	t.Cleanup(sys.close)

	keys, typed := io.Pipe()
	t.Cleanup(func() { _ = typed.Close() })
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &cmdEnv{stdin: keys, stdout: &out, stderr: &out, getenv: func(string) string { return "" }},
			[]string{"call", "--esl", sys.fs.InboundAddr(), "--password", sys.fs.Password(), "--caller", "+12125550102"})
	}()
	waitFor(t, &out, "Welcome to Example Bank")
	_, err = typed.Write([]byte("1"))
	require.NoError(t, err)
	waitFor(t, &out, "For your balance, press 1")
	_, err = typed.Write([]byte("1"))
	require.NoError(t, err)
	waitFor(t, &out, "Your available balance is 842.10 USD")
	_, err = typed.Write([]byte("q"))
	require.NoError(t, err)
	require.Equal(t, 0, <-done, out.String())
	require.Contains(t, out.String(), "you press 1")
	require.Contains(t, out.String(), "you hung up (NORMAL_CLEARING)")
	rec := <-sys.records
	require.Equal(t, "+12125550102", rec.Caller)
	require.Equal(t, "abandoned", string(rec.Outcome))
}

func TestParseCallTime(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC) // a Tuesday
	for _, tc := range []struct{ in, want string }{
		{"2026-11-24 22:00", "2026-11-24T22:00:00-05:00"},
		{"2026-11-24T08:30", "2026-11-24T08:30:00-05:00"},
		{"2026-11-24T08:30:00Z", "2026-11-24T08:30:00Z"},
		{"21:15", "2026-11-24T21:15:00-05:00"},
		{"sat 10:30", "2026-11-28T10:30:00-05:00"},
		{"Tuesday 07:00", "2026-11-24T07:00:00-05:00"},
	} {
		got, err := parseCallTime(tc.in, ny, now)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got.Format(time.RFC3339), tc.in)
	}
	_, err = parseCallTime("someday 10:00", ny, now)
	require.ErrorContains(t, err, "not a day of the week")
}
