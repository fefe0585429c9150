package ivr

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/recordings/recname"
)

// recordQueueFlow optionally runs a record step (PRE), then waits in queue "cards" and hangs
// up after the agent conversation with a goodbye.
const recordQueueFlow = `
flow: rq
steps:
  start:
PRE
    next: agent
  agent:
    queue: cards
    next: bye
  bye:
    play: "say:Goodbye."
    next: end
  end:
    hangup:
`

func recordFlowWith(t *testing.T, pre string) *Flow {
	t.Helper()
	if pre == "" {
		pre = "    play: \"say:Welcome.\""
	}
	return parseTestFlow(t, strings.Replace(recordQueueFlow, "PRE", pre, 1))
}

func boolPtr(b bool) *bool { return &b }

// kindsOf is the channel's transcript as "kind text" lines of the kinds that matter here.
// The fake channel keeps variables (Vars) but not when they were set.
func kindsOf(ch *FakeChannel) []string {
	var out []string
	for _, e := range ch.Events() {
		switch e.Kind {
		case "record_start", "record_stop", "bridge", "play":
			out = append(out, e.Kind+" "+e.Text)
		}
	}
	return out
}

func TestQueueRecordPolicyAndTheFlowsRecordStep(t *testing.T) {
	t.Parallel()
	const name = "{{date}}/{{queue}}/{{caller.number}}-{{call.id}}-{{n}}.wav"
	const welcome, bye = "play say: say:Welcome.", "play say: say:Goodbye."
	bridgeFile := "/rec/2026-11-24/cards/+15551230001-call-1-1.wav"
	start, stop := "record_start "+bridgeFile, "record_stop "+bridgeFile
	bridged := "bridge user/1001 answered"
	tests := []struct {
		name   string
		queue  QueueConfig
		pre    string // the flow's record step before the queue
		want   []string
		stereo string // RECORD_STEREO as the channel has it at the end
		bridge string // RECORD_BRIDGE_REQ as the channel has it at the end
	}{
		{
			name:   "default bridge, stereo: only the agent conversation",
			queue:  QueueConfig{Agents: []string{"user/1001"}},
			want:   []string{welcome, start, bridged, stop, bye},
			stereo: "true", bridge: "true",
		},
		{
			name:   "bridge, mono",
			queue:  QueueConfig{Agents: []string{"user/1001"}, Record: RecordBridge, Stereo: boolPtr(false)},
			want:   []string{welcome, start, bridged, stop, bye},
			bridge: "true",
		},
		{
			name:  "none records nothing",
			queue: QueueConfig{Agents: []string{"user/1001"}, Record: RecordNone},
			want:  []string{welcome, bridged, bye},
		},
		{
			name:   "whole records from the queue to the end of the call",
			queue:  QueueConfig{Agents: []string{"user/1001"}, Record: RecordWhole},
			want:   []string{welcome, start, bridged, bye, stop},
			stereo: "true",
		},
		{
			name:  "the flow's whole mono recording wins over the queue's bridge stereo",
			queue: QueueConfig{Agents: []string{"user/1001"}},
			pre:   "    record: {mode: whole, stereo: false}",
			want: []string{"record_start /rec/2026-11-24/+15551230001-call-1-1.wav", bridged, bye,
				"record_stop /rec/2026-11-24/+15551230001-call-1-1.wav"},
		},
		{
			name:  "the flow's record stop wins over the queue's policy",
			queue: QueueConfig{Agents: []string{"user/1001"}, Record: RecordWhole},
			pre:   "    record: stop",
			want:  []string{bridged, bye},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			flow := recordFlowWith(t, tc.pre)
			queues := &AgentRollover{Queues: map[string]*QueueConfig{"cards": &tc.queue}, MaxRounds: 1}
			tmpl := recname.MustParse(name)
			if tc.pre != "" {
				// {{queue}} is empty outside a queue step: the flow's own file has no queue folder.
				tmpl = recname.MustParse("{{date}}/{{queue}}{{caller.number}}-{{call.id}}-{{n}}.wav")
			}
			r := runOnFake(t, Config{RecordingsDir: "/rec", RecordingName: tmpl, Queues: queues}, flow)
			require.Equal(t, tc.want, kindsOf(r.ch))
			require.Equal(t, tc.stereo, r.ch.Vars()["RECORD_STEREO"], "stereo (FreeSWITCH's default is mono)")
			require.Equal(t, tc.bridge, r.ch.Vars()["RECORD_BRIDGE_REQ"], "audio only while bridged")
			var paths []string
			for _, rec := range r.rec.Recordings {
				paths = append(paths, rec.Path)
			}
			var want []string
			for _, w := range tc.want {
				if p, ok := strings.CutPrefix(w, "record_stop "); ok {
					want = append(want, p)
				}
			}
			require.Equal(t, want, paths, "the call record lists the recordings")
		})
	}
}

func TestHostileCallerNumberCannotLeaveTheRecordingsFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flow := recordFlowWith(t, "")
	queues := &AgentRollover{Queues: map[string]*QueueConfig{"cards": {Agents: []string{"user/1001"}}}, MaxRounds: 1}
	rt, err := NewRuntime(Config{Flows: NewFlowSet(VersionedFlow{Flow: flow, Version: "v1"}), RecordingsDir: dir,
		RecordingName: recname.MustParse("{{caller.number}}/{{call.id}}-{{n}}.wav"), Queues: queues})
	require.NoError(t, err)
	for _, hostile := range []string{"../../../etc/cron.d/evil", "/etc/passwd", "..", "a/../../b"} {
		ch := NewFakeChannel("call-1", hostile, "5000", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), nil)
		rec := rt.Run(t.Context(), ch, CallOptions{Flow: flow.Name, Clock: ch})
		require.Len(t, rec.Recordings, 1, hostile)
		rel, err := filepath.Rel(dir, rec.Recordings[0].Path)
		require.NoError(t, err)
		require.False(t, strings.HasPrefix(rel, ".."), "%q escaped: %s", hostile, rec.Recordings[0].Path)
		require.Equal(t, 1, strings.Count(rel, string(filepath.Separator)), "%q made folders: %s", hostile, rel)
	}
}

func TestQueueConfigRecordMustBeBridgeWholeOrNone(t *testing.T) {
	t.Parallel()
	for _, mode := range []RecordMode{"", RecordBridge, RecordWhole, RecordNone} {
		q := QueueConfig{Agents: []string{"user/1001"}, Record: mode}
		require.NoError(t, q.Validate(), mode)
	}
	q := QueueConfig{Agents: []string{"user/1001"}, Record: "always"}
	err := q.Validate()
	require.ErrorContains(t, err, `record "always": write bridge`)
	var fe interface{ FieldPath() []any }
	require.ErrorAs(t, err, &fe)
	require.Equal(t, []any{"record"}, fe.FieldPath())
}

func TestTransferRecordingNamesTheAgentAndMakesItsFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flow := parseTestFlow(t, `
flow: tr
steps:
  start:
    record: {mode: bridge}
    next: desk
  desk:
    transfer:
      to: user/1001
    next: end
  end:
    hangup:
`)
	r := runOnFake(t, Config{RecordingsDir: dir, RecordingName: recname.MustParse("{{flow}}/{{agent}}-{{call.id}}-{{n}}.wav")}, flow)
	require.Len(t, r.rec.Recordings, 1)
	want := filepath.Join(dir, "tr", "user_1001-call-1-1.wav")
	require.Equal(t, want, r.rec.Recordings[0].Path)
	require.DirExists(t, filepath.Dir(want), "the template's folder is made for FreeSWITCH")
}
