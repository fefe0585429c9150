package callback

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPacerCapsOriginatesPerNode(t *testing.T) {
	t.Parallel()
	p := NewPacer(1000, 2)
	free := map[string]int{"a": 100, "b": 1, "down": -1}
	names := []string{"down", "b", "a"}
	ctx := context.Background()
	var got []string
	var releases []func()
	for range 3 {
		n, rel, err := p.Acquire(ctx, names, func(s string) int { return free[s] })
		require.NoError(t, err)
		got = append(got, n)
		releases = append(releases, rel)
	}
	require.Equal(t, []string{"a", "a", "b"}, got, "the node with most free channels first up to its cap, never a node that is down or full")
	require.Equal(t, 2, p.InFlight("a"))
	require.Equal(t, 1, p.InFlight("b"))

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, _, err := p.Acquire(short, names, func(s string) int { return free[s] })
	require.ErrorIs(t, err, ErrNoNode, "every node is at its cap: the caller waits, then gives up with ctx")

	type acquired struct {
		node string
		err  error
	}
	done := make(chan acquired, 1)
	go func() {
		n, _, err := p.Acquire(ctx, names, func(s string) int { return free[s] })
		done <- acquired{n, err} // checked on the test's goroutine: require here would hang the test
	}()
	releases[0]()
	releases[0]() // releasing twice frees one slot only
	var waiter acquired
	select {
	case waiter = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the waiting caller never got the released slot")
	}
	require.NoError(t, waiter.err)
	require.Equal(t, "a", waiter.node, "a released slot is taken by the waiting caller")
	require.Equal(t, 2, p.InFlight("a"))
}

func TestPacerSpreadsCallsOverEqualNodes(t *testing.T) {
	t.Parallel()
	p := NewPacer(1000, 2) // the cap is below both nodes' capacity
	free := func(string) int { return 8 }
	var got []string
	for range 4 { // each call ends before the next starts
		n, rel, err := p.Acquire(context.Background(), []string{"fs1", "fs2"}, free)
		require.NoError(t, err)
		got = append(got, n)
		rel()
	}
	require.Equal(t, []string{"fs1", "fs2", "fs1", "fs2"}, got, "nodes with equal room take turns instead of the first listed taking every call")
}

func TestPacerGivesEachCallerItsOwnSlot(t *testing.T) {
	t.Parallel()
	p := NewPacer(100, 1) // 10 ms apart
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, p.Wait(ctx))
	start := time.Now()
	for range 5 {
		require.NoError(t, p.Wait(ctx))
	}
	require.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond, "five more calls need at least four more intervals")
	cancel()
	require.ErrorIs(t, p.Wait(ctx), context.Canceled)
}
