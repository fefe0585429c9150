package esl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// showChannelsOutputs extracts the `show channels as json` bodies of trace 40.
func showChannelsOutputs(t *testing.T) (populated, empty string) {
	for _, b := range loadTrace(t, "40_inbound_api_queue_control.txt") {
		s := string(b.data)
		if b.dir != "S->C" || !strings.Contains(s, `"row_count"`) {
			continue
		}
		_, body, _ := strings.Cut(s, "\n\n")
		switch {
		case empty == "" && strings.Contains(body, `"row_count": 0`):
			empty = body
		case populated == "" && strings.Contains(body, `"rows"`):
			populated = body
		}
	}
	require.NotEmpty(t, populated)
	require.NotEmpty(t, empty)
	return populated, empty
}

func TestShowChannelsAsJSONBothForms(t *testing.T) {
	t.Parallel()
	populated, empty := showChannelsOutputs(t)
	require.Equal(t, "{\"row_count\": 0}\n", empty, "FreeSWITCH's empty form: a space and a newline")
	rows, err := parseShowChannels(empty)
	require.NoError(t, err)
	require.Empty(t, rows)

	rows, err = parseShowChannels(populated)
	require.NoError(t, err)
	require.Len(t, rows, 4)
	require.Equal(t, "aaaaaaaa-0000-4000-8000-004000000001", rows[0].UUID)
	require.Equal(t, "loopback/5201-a", rows[0].Name)
	require.Equal(t, "outbound", rows[0].Direction)
	require.Equal(t, "5201", rows[0].Dest)

	_, err = parseShowChannels(`{"row_count":2,"rows":[]}`)
	require.ErrorIs(t, err, ErrProtocol)
	_, err = parseShowChannels("-ERR oops")
	require.ErrorIs(t, err, ErrProtocol)
}

func TestChannelViewReplaysEventsThatRaceTheSnapshot(t *testing.T) {
	t.Parallel()
	var v channelView
	v.init()
	v.apply(NewEvent([]Header{{"Event-Name", "CHANNEL_CREATE"}, {"Unique-ID", "stale"}}, ""))
	v.beginRebuild()
	// While `show channels` runs: one call starts, one that the snapshot lists ends.
	v.apply(NewEvent([]Header{{"Event-Name", "CHANNEL_CREATE"}, {"Unique-ID", "new"}}, ""))
	v.apply(NewEvent([]Header{{"Event-Name", "CHANNEL_DESTROY"}, {"Unique-ID", "ending"}}, ""))
	require.NoError(t, v.finishRebuild(`{"row_count":2,"rows":[{"uuid":"ending"},{"uuid":"kept"}]}`))
	var got []string
	for _, ch := range v.list() {
		got = append(got, ch.UUID)
	}
	require.Equal(t, []string{"kept", "new"}, got, "snapshot replaces the old view; racing events are replayed over it")
}
