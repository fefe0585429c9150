package recordings

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
)

// TestRecordedCallsAreTranscribedAndScored runs the whole path: a scripted caller on the
// FreeSWITCH emulator says the agent's words, record_session writes them to a WAV file (8 kHz
// on a G.711 channel, 16 kHz on a wideband one), the Watcher sees RECORD_START/RECORD_STOP over
// a real ESL connection and submits the recording, River runs the offline transcriber and the
// QA rules, and the stored score says who passed, with evidence.
func TestRecordedCallsAreTranscribedAndScored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fs, err := fstest.Start(context.Background(), fstest.Options{Clock: fstest.ScaledClock(10)})
	require.NoError(t, err)
	t.Cleanup(func() { fs.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)

	rules, err := LoadRules("testdata/qa.yaml")
	require.NoError(t, err)
	b := setup(t, Config{Dir: dir}, PipelineOptions{Rules: rules, Offline: testSphinx(t)})
	client := b.client(t, true)

	node := esl.Node{Name: "fs1", Address: fs.InboundAddr(), Password: fs.Password()}
	eslc, err := esl.Dial(ctx, node, esl.ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { eslc.Close() })
	sub, err := eslc.Subscribe(ctx, esl.SubscribeOptions{Events: WatchEvents})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	submitted := make(chan *Recording, 8)
	w := &Watcher{Pipeline: b.pipe, River: client, Submitted: func(r *Recording, err error) {
		require.NoError(t, err)
		submitted <- r
	}}
	go func() { _ = w.Run(ctx, sub.Events()) }()

	calls := []struct {
		ext, agent, text string
		wideband         bool
		pass             bool
	}{
		{"7001", "sarah", goodAgent, false, true},
		{"7002", "mike", badAgent, false, false},
		{"7003", "sarah", goodAgent, true, true},
		{"7004", "mike", badAgent, true, false},
	}
	for _, c := range calls {
		rate := 8000
		if c.wideband {
			rate = 16000
		}
		speechFile := speech(t, c.text, rate)
		a, _, err := ReadAudio(speechFile)
		require.NoError(t, err)
		fs.Dialplan().Add("default", c.ext,
			fstest.Answer(),
			fstest.Action{App: "set", Data: VarAgent + "=" + c.agent},
			fstest.Action{App: "set", Data: VarQueue + "=billing"},
			fstest.Action{App: "set", Data: VarFlowPath + "=hotline/billing"},
			fstest.Action{App: "record_session", Data: filepath.Join(dir, c.ext+".wav")},
			fstest.Sleep(a.Duration()+500*time.Millisecond),
			fstest.Hangup("NORMAL_CLEARING"))
		call, err := fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: c.ext, CallerNumber: "+4930" + c.ext,
			Wideband: c.wideband, AudioFile: speechFile})
		require.NoError(t, err)
		_, err = call.Wait(ctx)
		require.NoError(t, err)

		var rec *Recording
		select {
		case rec = <-submitted:
		case <-ctx.Done():
			t.Fatalf("call %s: no recording submitted", c.ext)
		}
		require.Equal(t, "ok", rec.CheckStatus, rec.CheckDetail)
		require.Equal(t, rate, rec.SampleRate, "call %s", c.ext)
		require.Equal(t, c.agent, rec.Agent)
		require.Equal(t, "billing", rec.Queue)
		require.Equal(t, "+4930"+c.ext, rec.Caller)
		d := b.waitDelivery(t, rec.ID, OfflineDestination)
		require.Equal(t, DeliverySent, d.Status, d.Reason)

		st, err := b.pipe.Store().ScoreByCall(ctx, rec.CallID)
		require.NoError(t, err)
		res := st.Result
		t.Logf("call %s (%d Hz): score %.1f passed %v", c.ext, rate, res.Score, res.Passed)
		require.Equal(t, c.pass, res.Passed, "call %s: %+v", c.ext, res)
		if c.pass {
			require.Empty(t, failedNames(res))
			require.Contains(t, ruleResult(t, res, "greeting").Evidence[0].Text, "first national bank")
			require.Contains(t, ruleResult(t, res, "identity").Evidence[0].Text, "date of birth")
		} else {
			require.Equal(t, []string{"forbidden", "greeting", "identity"}, failedNames(res))
			ev := ruleResult(t, res, "forbidden").Evidence[0]
			require.True(t, strings.HasSuffix(ev.Text, "not my problem"), ev.Text)
			require.Greater(t, ev.Start, time.Second, "the forbidden phrase comes after the hello")
		}
	}
}

// TestBadRecordingsFromTheSwitchAreQAFailures: FreeSWITCH leaves a 44-byte file when a call
// hangs up as recording starts, and no file at all when it cannot write one; both reach QA as
// failures with their reason, and nothing is forwarded.
func TestBadRecordingsFromTheSwitchAreQAFailures(t *testing.T) {
	dir := t.TempDir()
	// Emulated time crawls (1 ms per real second), so the hangup comes less than a millisecond
	// after record_session however busy the machine: the file holds no samples, as
	// FreeSWITCH's 44-byte files do.
	fs, err := fstest.Start(context.Background(), fstest.Options{Clock: fstest.ScaledClock(0.001)})
	require.NoError(t, err)
	t.Cleanup(func() { fs.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	qa := newQAServer(t, "s3cret")
	b := setup(t, httpOnly(t, qa.srv.URL), PipelineOptions{})
	client := b.client(t, true)

	eslc, err := esl.Dial(ctx, esl.Node{Name: "fs1", Address: fs.InboundAddr(), Password: fs.Password()},
		esl.ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { eslc.Close() })
	sub, err := eslc.Subscribe(ctx, esl.SubscribeOptions{Events: WatchEvents})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	type submission struct {
		rec *Recording
		err error
	}
	submitted := make(chan submission, 4)
	w := &Watcher{Pipeline: b.pipe, River: client, Log: slog.New(slog.DiscardHandler),
		Submitted: func(r *Recording, err error) { submitted <- submission{r, err} }}
	go func() { _ = w.Run(ctx, sub.Events()) }()

	tests := []struct {
		ext, path string
		reason    Reason
	}{
		{"7101", filepath.Join(dir, "hangup-at-once.wav"), ReasonEmpty},
		{"7102", "/proc/ivrd-cannot-write-here/lost.wav", ReasonMissing},
	}
	for _, tc := range tests {
		fs.Dialplan().Add("default", tc.ext, fstest.Answer(),
			fstest.Action{App: "record_session", Data: tc.path}, fstest.Hangup("NORMAL_CLEARING"))
		call, err := fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: tc.ext})
		require.NoError(t, err)
		_, err = call.Wait(ctx)
		require.NoError(t, err)
		var s submission
		select {
		case s = <-submitted:
		case <-ctx.Done():
			t.Fatalf("call %s: no recording submitted", tc.ext)
		}
		var ce *CheckError
		require.ErrorAs(t, s.err, &ce, "call %s", tc.ext)
		require.Equal(t, tc.reason, ce.Reason)
		st, err := b.pipe.Store().ScoreByCall(ctx, s.rec.CallID)
		require.NoError(t, err)
		require.False(t, st.Result.Passed)
		require.Contains(t, st.Result.Reason, "recording "+string(tc.reason))
	}
	var jobs int
	require.NoError(t, b.pool.QueryRow(ctx, `select count(*) from river_job where kind = 'recording_forward'`).Scan(&jobs))
	require.Zero(t, jobs, "bad recordings are not forwarded")
}
