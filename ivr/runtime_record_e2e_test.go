package ivr

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/recordings/recname"
)

const recordE2EFlow = `
flow: rq
steps:
  agent:
    queue: general
    next: bye
  bye:
    hangup:
`

// TestQueueRecordingOverESL runs queue calls through the emulator: what reaches FreeSWITCH
// (set RECORD_STEREO / RECORD_BRIDGE_REQ, record_session) and the WAV it writes, named by the
// template even for a hostile caller number.
func TestQueueRecordingOverESL(t *testing.T) {
	t.Parallel()
	const caller = "+44/../../../etc/x"
	tests := []struct {
		name   string
		qc     QueueConfig
		record bool
		stereo bool
	}{
		{"bridge, stereo (the default)", QueueConfig{Agents: []string{"user/1001"}}, true, true},
		{"bridge, mono", QueueConfig{Agents: []string{"user/1001"}, Stereo: boolPtr(false)}, true, false},
		{"none", QueueConfig{Agents: []string{"user/1001"}, Record: RecordNone}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := NewManualClock(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
			engine, err := NewQueueEngine(QueueEngineOptions{Queues: map[string]*QueueConfig{"general": &tc.qc}, Clock: clock})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			require.NoError(t, engine.Start(ctx))
			t.Cleanup(func() {
				cancel()
				_ = engine.Stop(context.Background())
			})
			dir := t.TempDir()
			b := setupE2E(t, Config{Queues: engine, Clock: clock, RecordingsDir: dir,
				RecordingName: recname.MustParse("{{date}}/{{caller.number}}-{{call.id}}-{{n}}.wav")},
				parseTestFlow(t, recordE2EFlow))
			b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeAnswer, HangupAfter: 2 * time.Second})

			c, _, rec := b.call(t, fstest.CallSpec{CallerNumber: caller})
			want := filepath.Join(dir, "2026-11-24", recname.Safe(caller)+"-"+c.UUID()+"-1.wav")
			var apps []string
			var stopped []string
			for _, e := range c.Events() {
				switch e.Kind {
				case fstest.KindApp:
					apps = append(apps, e.App+" "+e.Data)
				case fstest.KindRecordStop:
					stopped = append(stopped, e.Data)
				}
			}
			if !tc.record {
				require.NotContains(t, apps, "record_session "+want)
				require.Empty(t, stopped)
				require.Empty(t, rec.Recordings)
				entries, err := os.ReadDir(dir)
				require.NoError(t, err)
				require.Empty(t, entries, "record: none writes no file")
				return
			}
			require.Equal(t, []string{want}, stopped, "FreeSWITCH wrote the file named by the template")
			require.Len(t, rec.Recordings, 1)
			require.Equal(t, want, rec.Recordings[0].Path)
			wav, err := os.ReadFile(want)
			require.NoError(t, err)
			require.Equal(t, "RIFF", string(wav[:4]))

			// Before record_session: only-while-bridged, and stereo when asked (FreeSWITCH
			// records mono by default); record_session before the bridge to the agent.
			at := func(s string) int {
				for i, a := range apps {
					if a == s {
						return i
					}
				}
				return -1
			}
			start, bridge := at("record_session "+want), at("bridge user/1001")
			require.GreaterOrEqual(t, start, 0, "record_session sent: %v", apps)
			require.Greater(t, bridge, start, "recording armed before the agent bridge: %v", apps)
			require.Less(t, at("set RECORD_BRIDGE_REQ=true"), start)
			require.GreaterOrEqual(t, at("set RECORD_BRIDGE_REQ=true"), 0)
			if tc.stereo {
				require.GreaterOrEqual(t, at("set RECORD_STEREO=true"), 0, "%v", apps)
				require.Less(t, at("set RECORD_STEREO=true"), start)
			} else {
				require.Equal(t, -1, at("set RECORD_STEREO=true"), "mono: %v", apps)
			}
		})
	}
}
