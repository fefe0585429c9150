package esl_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
)

type clientBundle struct {
	fs   *fstest.Server
	node esl.Node
	c    *esl.Client
}

func startFS(t *testing.T) *fstest.Server {
	t.Helper()
	fs, err := fstest.Start(context.Background(), fstest.Options{
		Password: "s3cret-Pw",
		Dialplan: fstest.TraceDialplan("127.0.0.1:1"),
		Clock:    fstest.ScaledClock(50),
		Logger:   quiet(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })
	return fs
}

func clientOpts() esl.ClientOptions {
	return esl.ClientOptions{Logger: quiet(), MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, TrackChannels: true}
}

func setupClient(t *testing.T, opts esl.ClientOptions) *clientBundle {
	t.Helper()
	fs := startFS(t)
	node := esl.Node{Name: "fs1", Address: fs.InboundAddr(), Password: fs.Password()}
	c, err := esl.Dial(ctxFor(t), node, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &clientBundle{fs: fs, node: node, c: c}
}

func TestOriginateEveryOutcomeAgainstTheEmulator(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	outcomes := map[string]fstest.Behavior{
		"answer":       {Outcome: fstest.OutcomeAnswer, After: time.Second},
		"busy":         {Outcome: fstest.OutcomeBusy, After: time.Second},
		"noanswer":     {Outcome: fstest.OutcomeNoAnswer},
		"reject":       {Outcome: fstest.OutcomeReject},
		"invalid":      {Outcome: fstest.OutcomeInvalid},
		"unavailable":  {Outcome: fstest.OutcomeUnavailable},
		"unregistered": {Outcome: fstest.OutcomeUnregistered},
	}
	for name, beh := range outcomes {
		b.fs.SetEndpoint("sofia/gateway/gw/"+name, beh)
	}
	ctx := ctxFor(t)
	hangups, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CHANNEL_HANGUP_COMPLETE"}})
	require.NoError(t, err)
	t.Cleanup(hangups.Close)

	tests := []struct {
		dial      string
		timeout   time.Duration
		want      esl.Cause
		retryable bool
	}{
		{"busy", 0, esl.CauseUserBusy, true},
		{"noanswer", 3 * time.Second, esl.CauseNoAnswer, true},
		{"reject", 0, esl.CauseCallRejected, false},
		{"invalid", 0, esl.CauseUnallocatedNumber, false},
		{"unavailable", 0, esl.CauseNoUserResponse, true},
		{"unregistered", 0, esl.CauseUserNotRegistered, true},
	}
	for _, tt := range tests {
		t.Run(tt.dial+" fails with "+string(tt.want), func(t *testing.T) {
			_, err := b.c.Originate(ctx, esl.OriginateRequest{Dial: "sofia/gateway/gw/" + tt.dial, Timeout: tt.timeout,
				CallerIDNumber: "+4930555", CallerIDName: "Bank"})
			var oe *esl.OriginateError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, tt.want, oe.Cause)
			require.Equal(t, tt.retryable, oe.Retryable())
		})
	}

	uuid, err := b.c.Originate(ctx, esl.OriginateRequest{Dial: "sofia/gateway/gw/answer", Vars: map[string]string{"ivrd_job": "j1"}})
	require.NoError(t, err)
	require.NotEmpty(t, uuid)
	require.Contains(t, ids(b.c.Channels()), uuid, "the channel view saw the answered channel")
	v, err := b.c.API(ctx, "uuid_getvar "+uuid+" ivrd_job")
	require.NoError(t, err)
	require.Equal(t, "j1", v, "{vars} reached the channel")
	alive, err := b.c.Exists(ctx, uuid)
	require.NoError(t, err)
	require.True(t, alive)
	require.NoError(t, b.c.Hangup(ctx, uuid, esl.CauseNormalClearing))
	for e := range hangups.Events() {
		if e.UUID() == uuid {
			require.Equal(t, "NORMAL_CLEARING", e.Get("Hangup-Cause"))
			break
		}
	}
	require.NotContains(t, ids(b.c.Channels()), uuid, "gone from the view after its hangup")
	_, err = b.c.API(ctx, "uuid_kill "+uuid)
	require.ErrorIs(t, err, esl.ErrCommand, "-ERR No such channel! is an error")
}

// apiRetry runs an idempotent api command, retrying what esl.Retryable says is worth it: the
// first command after a drop may go out on the dying connection.
func apiRetry(ctx context.Context, c *esl.Client, cmd string) (string, error) {
	for {
		out, err := c.API(ctx, cmd)
		if err == nil || !esl.Retryable(err) || ctx.Err() != nil {
			return out, err
		}
	}
}

func ids(chs []esl.Channel) []string {
	out := make([]string, len(chs))
	for i, ch := range chs {
		out[i] = ch.UUID
	}
	return out
}

func TestClientReconnectsResubscribesAndRebuildsItsChannelView(t *testing.T) {
	t.Parallel()
	opts := clientOpts()
	opts.DialTimeout = 300 * time.Millisecond
	b := setupClient(t, opts)
	ctx := ctxFor(t)
	beats, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"HEARTBEAT"}})
	require.NoError(t, err)
	t.Cleanup(beats.Close)

	// Two parked calls; one will end while the client is disconnected.
	keep, err := b.fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: "5201"})
	require.NoError(t, err)
	gone, err := b.fs.PlaceCall(ctx, fstest.CallSpec{CalledNumber: "5201"})
	require.NoError(t, err)
	_, err = gone.WaitFor(ctx, fstest.OnApp("park"))
	require.NoError(t, err)
	_, err = keep.WaitFor(ctx, fstest.OnApp("park"))
	require.NoError(t, err)
	_, err = b.c.API(ctx, "status") // the view has caught up with the CHANNEL_CREATEs by now
	require.NoError(t, err)
	require.Subset(t, ids(b.c.Channels()), []string{keep.UUID(), gone.UUID()})

	// Drop the connection and keep the client out (auth replies stall past its DialTimeout)
	// while a call ends: it cannot see that hangup as an event.
	b.fs.StallReplies(time.Second)
	b.fs.DropConnections()
	gone.Hangup("NORMAL_CLEARING")
	_, err = gone.Wait(ctx)
	require.NoError(t, err)
	b.fs.StallReplies(0)

	out, err := apiRetry(ctx, b.c, "status")
	require.NoError(t, err)
	require.Contains(t, out, "UP")
	st := b.c.Stats()
	require.True(t, st.Connected)
	require.GreaterOrEqual(t, st.Reconnects, uint64(1))
	chans := ids(b.c.Channels())
	require.Contains(t, chans, keep.UUID(), "rebuilt from show channels as json")
	require.NotContains(t, chans, gone.UUID(), "the call that ended while disconnected is gone")

	// Resubscribed: HEARTBEATs flow again, and the outage counts as a gap.
	b.fs.EmitBurst(1)
	select {
	case e := <-beats.Events():
		require.Equal(t, "HEARTBEAT", e.Name())
	case <-ctx.Done():
		t.Fatal("no event after reconnecting: not resubscribed")
	}
	require.GreaterOrEqual(t, b.c.Stats().SeqGaps, uint64(1))
	keep.Hangup("NORMAL_CLEARING")
}

func TestClientReconnectsAfterFreeSWITCHRestarts(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	ctx := ctxFor(t)
	require.NoError(t, b.fs.Restart(ctx))
	out, err := apiRetry(ctx, b.c, "version")
	require.NoError(t, err)
	require.Contains(t, out, "FreeSWITCH Version")
	require.Empty(t, b.c.Channels())
	sub, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"HEARTBEAT"}})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	b.fs.EmitBurst(1)
	<-sub.Events()
	require.GreaterOrEqual(t, b.c.Stats().SeqGaps, uint64(1), "a restart (new Core-UUID) is a gap")
}

func TestATimedOutCommandNeverHandsItsReplyToTheNextCommand(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	ctx := ctxFor(t)

	// The reply comes long after the command's deadline even when a loaded machine runs the
	// deadline's timer late (with 300 ms the late reply could beat a 50 ms timer).
	b.fs.StallReplies(2 * time.Second)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err := b.c.API(short, "echo first")
	cancel()
	require.ErrorIs(t, err, esl.ErrTimeout)
	b.fs.StallReplies(0)

	// eslgo would now return "first" to the next command.
	out, err := b.c.API(ctx, "echo second")
	require.NoError(t, err)
	require.Equal(t, "second", out)

	// Concurrent commands each get their own reply.
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := "n" + strconv.Itoa(i)
			got, err := b.c.API(ctx, "echo "+want)
			if err == nil && got != want {
				err = fmt.Errorf("echo %s got %q", want, got)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestBurstOf10000EventsArrivesInOrder(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	ctx := ctxFor(t)
	sub, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"HEARTBEAT"}})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	const n = 10000
	go b.fs.EmitBurst(n)
	var last uint64
	for i := 0; i < n; i++ {
		select {
		case e := <-sub.Events():
			require.Equal(t, strconv.Itoa(i), e.Get("Burst-Index"))
			require.Greater(t, e.Seq(), last, "Event-Sequence increases")
			last = e.Seq()
		case <-ctx.Done():
			t.Fatalf("only %d of %d events arrived", i, n)
		}
	}
	require.Zero(t, b.c.Stats().MissedEvents)
}

func TestASlowConsumerDoesNotBlockTheReader(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	ctx := ctxFor(t)
	stuck, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"HEARTBEAT"}})
	require.NoError(t, err)
	t.Cleanup(stuck.Close)
	live, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"HEARTBEAT"}})
	require.NoError(t, err)
	t.Cleanup(live.Close)

	const n = 5000
	b.fs.EmitBurst(n)
	for i := 0; i < n; i++ {
		<-live.Events()
	}
	// Nobody read `stuck`, yet commands still get their replies.
	out, err := b.c.API(ctx, "echo still here")
	require.NoError(t, err)
	require.Equal(t, "still here", out)
	backlog, _ := stuck.Backlog()
	require.GreaterOrEqual(t, backlog, n-1, "the stuck consumer's events wait for it, none dropped")
	require.True(t, b.c.Stats().Connected, "FreeSWITCH did not have to drop us")
}

func TestSubscriptionFiltersByHeader(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	ctx := ctxFor(t)
	sub, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CUSTOM ivrd::test"},
		Filters: []esl.Filter{{Header: "X-Queue", Value: "sales"}}})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	b.fs.FireCustom("ivrd::test", fstest.Header{Name: "X-Queue", Value: "support"})
	b.fs.FireCustom("ivrd::test", fstest.Header{Name: "X-Queue", Value: "sales"})
	select {
	case e := <-sub.Events():
		require.Equal(t, "sales", e.Get("X-Queue"))
	case <-ctx.Done():
		t.Fatal("filtered event did not arrive")
	}
}

func TestBGAPIReturnsTheBackgroundJobResult(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	ctx := ctxFor(t)
	out, err := b.c.BGAPI(ctx, "status")
	require.NoError(t, err)
	require.Contains(t, out, "UP ")
	b.fs.SetEndpoint("sofia/gateway/gw/busy", fstest.Behavior{Outcome: fstest.OutcomeBusy})
	out, err = b.c.BGAPI(ctx, "originate sofia/gateway/gw/busy &park()")
	require.ErrorIs(t, err, esl.ErrCommand)
	require.Equal(t, "-ERR USER_BUSY\n", out)
}

func TestAnUnfilteredSubscriptionLiftsServerSideFilters(t *testing.T) {
	t.Parallel()
	b := setupClient(t, clientOpts())
	ctx := ctxFor(t)
	sales, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CUSTOM ivrd::test"},
		Filters: []esl.Filter{{Header: "X-Queue", Value: "sales"}}})
	require.NoError(t, err)
	t.Cleanup(sales.Close)
	all, err := b.c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CUSTOM ivrd::test"}})
	require.NoError(t, err)
	t.Cleanup(all.Close)
	b.fs.FireCustom("ivrd::test", fstest.Header{Name: "X-Queue", Value: "support"})
	b.fs.FireCustom("ivrd::test", fstest.Header{Name: "X-Queue", Value: "sales"})
	for _, want := range []string{"support", "sales"} {
		select {
		case e := <-all.Events():
			require.Equal(t, want, e.Get("X-Queue"))
		case <-ctx.Done():
			t.Fatal("the unfiltered subscription missed an event: FreeSWITCH still filters")
		}
	}
	select {
	case e := <-sales.Events():
		require.Equal(t, "sales", e.Get("X-Queue"), "the filtered one still sees only its own")
	case <-ctx.Done():
		t.Fatal("filtered event did not arrive")
	}
}

func TestWrongPasswordAgainstTheEmulator(t *testing.T) {
	t.Parallel()
	fs := startFS(t)
	_, err := esl.Dial(ctxFor(t), esl.Node{Name: "fs1", Address: fs.InboundAddr(), Password: "not-the-password"}, clientOpts())
	require.ErrorIs(t, err, esl.ErrAuth)
	require.ErrorContains(t, err, "refused the ESL password")
	require.NotContains(t, err.Error(), "not-the-password")
}
