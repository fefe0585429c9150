package recordings

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
)

func TestRetentionDeletesOldRecordingsAndLogsEachDeletion(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cfg := Config{Retention: 90 * 24 * time.Hour, Offline: OfflineConfig{Disabled: true}}
	b := setup(t, cfg, PipelineOptions{Now: func() time.Time { return now }})
	client := b.client(t, false)
	ctx := context.Background()
	st := b.pipe.Store()

	submit := func(id string, age time.Duration) *Recording {
		c := testCall(id, writeWAV(t, 8000, 1, 16, 1, 8000*3))
		c.Start = now.Add(-age)
		rec, err := b.pipe.Submit(ctx, client, c)
		require.NoError(t, err)
		require.NoError(t, st.SaveTranscript(ctx, rec.ID, &Transcript{Text: "my card number is four four four", Backend: "test", Language: "en"}))
		require.NoError(t, st.SaveScore(ctx, rec.ID, &Result{Queue: "billing", Score: 100, Passed: true,
			Rules: []RuleResult{{Rule: "greeting", Status: Pass, Evidence: []Evidence{{Text: "my card number", Start: time.Second, End: 2 * time.Second}}}}}))
		return rec
	}
	old := submit("call-old", 91*24*time.Hour)
	recent := submit("call-recent", 89*24*time.Hour)

	ds, err := b.pipe.ApplyRetention(ctx)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, "call-old", ds[0].CallID)

	_, err = os.Stat(old.Path)
	require.True(t, os.IsNotExist(err), "the old file is gone")
	_, err = st.Transcript(ctx, old.ID)
	require.ErrorIs(t, err, ErrNotFound)
	score, err := st.ScoreByCall(ctx, "call-old")
	require.NoError(t, err, "the score stays")
	require.Equal(t, "(deleted by retention)", score.Result.Rules[0].Evidence[0].Text)
	require.Equal(t, time.Second, score.Result.Rules[0].Evidence[0].Start)
	require.NotNil(t, score.Recording.DeletedAt)

	_, err = os.Stat(recent.Path)
	require.NoError(t, err, "the recent file stays")
	tr, err := st.Transcript(ctx, recent.ID)
	require.NoError(t, err)
	require.Contains(t, tr.Text, "card number")

	log, err := st.Deletions(ctx, 10)
	require.NoError(t, err)
	require.Len(t, log, 1)
	require.Equal(t, old.Path, log[0].FilePath)
	require.Equal(t, "retention 2160h0m0s", log[0].Reason)

	// Running again deletes nothing more.
	ds, err = b.pipe.ApplyRetention(ctx)
	require.NoError(t, err)
	require.Empty(t, ds)
}

func TestRetentionRunsAsARiverJob(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	b := setup(t, Config{Retention: time.Hour, Offline: OfflineConfig{Disabled: true}}, PipelineOptions{Now: func() time.Time { return now }})
	require.NotNil(t, RetentionJob(Config{Retention: time.Hour}))
	require.Nil(t, RetentionJob(Config{}), "no job when recordings are kept forever")
	client := b.client(t, true)
	ctx := context.Background()
	c := testCall("call-expired", writeWAV(t, 8000, 1, 16, 1, 8000*3))
	c.Start = now.Add(-2 * time.Hour)
	_, err := b.pipe.Submit(ctx, client, c)
	require.NoError(t, err)

	_, err = client.Insert(ctx, RetentionArgs{}, &river.InsertOpts{Queue: Queue})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		ds, err := b.pipe.Store().Deletions(ctx, 10)
		require.NoError(t, err)
		return len(ds) == 1 && ds[0].CallID == "call-expired"
	}, 2*time.Minute, 20*time.Millisecond)
	_, err = os.Stat(c.Path)
	require.True(t, os.IsNotExist(err))
}
