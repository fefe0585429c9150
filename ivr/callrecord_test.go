package ivr

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store/pgtest"
)

func sampleRecord(id string, start time.Time) *CallRecord {
	return &CallRecord{
		ID: id, Caller: "+15551230001", Called: "5000", Flow: "hotline", FlowVersion: "abc123", Language: "en",
		StartedAt: start, EndedAt: start.Add(95 * time.Second), IVREndedAt: start.Add(35 * time.Second), Talk: time.Minute,
		Outcome: OutcomeQueued, HangupCause: "NORMAL_CLEARING", Tags: []string{"vip"},
		Vars: map[string]string{"vip": "true", "note": "nul\x00byte"},
		Events: []CallEvent{
			{At: start, Kind: EventStep, Step: "start", Detail: "play"},
			{At: start.Add(4 * time.Second), Kind: EventDigits, Step: "main", Detail: "0"},
			{At: start.Add(5 * time.Second), Kind: EventVar, Step: "main", Detail: "vip=true"},
			{At: start.Add(35 * time.Second), Kind: EventQueue, Step: "agent", Detail: "join general"},
		},
	}
}

func TestCallRecordsAreStoredInBatchesAndLoadedAsATimeline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t, Migrations)
	w := NewCallRecordWriter(pool, nil)
	w.MaxBatch = 3
	w.Start(ctx)
	start := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	for i := 0; i < 10; i++ {
		w.Save(sampleRecord(fmt.Sprintf("call-%d", i), start.Add(time.Duration(i)*time.Minute)))
	}
	// A record saved twice (a retried batch) is stored once.
	w.Save(sampleRecord("call-3", start))
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, w.Flush(fctx))
	require.NoError(t, w.Stop(fctx))

	var n int
	require.NoError(t, pool.QueryRow(ctx, "select count(*) from ivr_call").Scan(&n))
	require.Equal(t, 10, n)

	got, err := LoadCallRecord(ctx, pool, "call-3")
	require.NoError(t, err)
	want := sampleRecord("call-3", start.Add(3*time.Minute))
	require.Equal(t, want.Caller, got.Caller)
	require.Equal(t, want.FlowVersion, got.FlowVersion)
	require.Equal(t, want.Outcome, got.Outcome)
	require.Equal(t, want.Duration(), got.Duration())
	require.Equal(t, want.IVRDuration(), got.IVRDuration())
	require.Equal(t, want.Talk, got.Talk)
	require.Equal(t, []string{"vip"}, got.Tags)
	require.Equal(t, "nulbyte", got.Vars["note"], "NUL bytes are dropped, the record kept")
	require.Len(t, got.Events, 4)
	require.Equal(t, EventDigits, got.Events[1].Kind)
	require.Equal(t, "0", got.Events[1].Detail)
	require.True(t, want.Events[1].At.Equal(got.Events[1].At))

	var tl bytes.Buffer
	require.NoError(t, got.WriteTimeline(&tl))
	require.Contains(t, tl.String(), "outcome   queued (hangup NORMAL_CLEARING)")
	require.Contains(t, tl.String(), "+4.0s  digits    main               0")

	recent, err := RecentCalls(ctx, pool, 3)
	require.NoError(t, err)
	require.Len(t, recent, 3)
	require.Equal(t, "call-9", recent[0].ID)

	_, err = LoadCallRecord(ctx, pool, "nope")
	require.ErrorIs(t, err, ErrCallNotFound)
}

func TestCallRecordsWaitForTheDatabaseToComeBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pgtest.NewServer(t)
	pool := srv.NewPool(t, Migrations)
	w := NewCallRecordWriter(pool, nil)
	w.Start(ctx)
	t.Cleanup(func() { _ = w.Stop(context.Background()) })

	srv.Stop(t)
	start := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	w.Save(sampleRecord("during-outage-1", start))
	w.Save(sampleRecord("during-outage-2", start))
	require.Equal(t, 2, w.Pending(), "nothing can be stored while the database is down, and nothing is dropped")
	srv.Start(t)

	fctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, w.Flush(fctx))
	for _, id := range []string{"during-outage-1", "during-outage-2"} {
		_, err := LoadCallRecord(ctx, pool, id)
		require.NoError(t, err, id)
	}
	require.Zero(t, w.Dropped())
}
