package esl

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// traceMessages reads FreeSWITCH's messages of a trace through the package's own reader.
func traceMessages(t *testing.T, name string) []*message {
	t.Helper()
	var out []*message
	for _, b := range loadTrace(t, name) {
		if b.dir != "S->C" {
			continue
		}
		m, err := readMessage(bufio.NewReader(bytes.NewReader(b.data)))
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

func TestJSONEventsOfARealCall(t *testing.T) {
	t.Parallel()
	var names []string
	var last uint64
	for _, m := range traceMessages(t, "04b_event_json_subset_ivr_call.txt") {
		if m.contentType() != typeEventJSON {
			continue
		}
		e, err := newEventJSON(m.body)
		require.NoError(t, err)
		require.Equal(t, "Event-Name", e.Headers()[0].Name, "Event-Name first")
		require.Greater(t, e.Seq(), last, "in Event-Sequence order")
		last = e.Seq()
		names = append(names, e.Name())
		switch e.Name() {
		case "DTMF":
			require.Contains(t, []string{"4", "2", "#"}, e.Get("DTMF-Digit"), "JSON values are literal, not URL-encoded")
		case "BACKGROUND_JOB":
			require.True(t, strings.HasPrefix(e.Body(), "+OK aaaaaaaa-0000-4000-8000-00000000004b"), e.Body())
		}
	}
	require.Contains(t, names, "CHANNEL_EXECUTE_COMPLETE")
	require.Contains(t, names, "BACKGROUND_JOB")
	require.Contains(t, names, "CHANNEL_HANGUP_COMPLETE")
}

func TestPlainEventsDecodeLikeFreeSWITCHEncodes(t *testing.T) {
	t.Parallel()
	var exec *Event
	for _, m := range traceMessages(t, "05b_outbound_full_session.txt") {
		if m.contentType() != typeEventPlain {
			continue
		}
		e, err := newEventPlain(m.body)
		require.NoError(t, err)
		if e.Name() == "CHANNEL_EXECUTE_COMPLETE" && e.Get("Application") == "play_and_get_digits" {
			exec = e
		}
	}
	require.NotNil(t, exec)
	require.Equal(t, `1 4 2 8000 # tone_stream://%(300,0,800) silence_stream://250 ivr_digits \d+ 3000`, exec.Get("Application-Data"))
	require.Equal(t, "42", exec.Var("ivr_digits"))
	require.Equal(t, "success", exec.Var("read_result"))
	require.Equal(t, "0000aaaa-0001-4000-8000-000000000004", exec.Get("Application-UUID"))
	v, ok := exec.LookupVar("no_such_var")
	require.False(t, ok)
	require.Empty(t, v)
	require.Contains(t, exec.String(), "CHANNEL_EXECUTE_COMPLETE")
}
