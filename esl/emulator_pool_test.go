package esl_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
)

func TestPoolPicksTheNodeWithTheMostFreeCapacity(t *testing.T) {
	fs1, fs2 := startFS(t), startFS(t)
	// A node that is down: a closed port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())

	t.Setenv("IVRD_TEST_POOL_PW", fs1.Password())
	pool, err := esl.NewPool([]esl.Node{
		{Name: "down", Address: dead, PasswordEnv: "IVRD_TEST_POOL_PW", MaxChannels: 100},
		{Name: "fs1", Address: fs1.InboundAddr(), PasswordEnv: "IVRD_TEST_POOL_PW", MaxChannels: 4},
		{Name: "fs2", Address: fs2.InboundAddr(), PasswordEnv: "IVRD_TEST_POOL_PW", MaxChannels: 4},
	}, clientOpts())
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	ctx := ctxFor(t)

	c, err := pool.Pick(ctx)
	require.NoError(t, err)
	require.Contains(t, []string{"fs1", "fs2"}, c.Node().Name, "the node that is down is never picked")
	require.Equal(t, -1, pool.Free("down"))

	// Load fs1 with a parked call: fs2 has more room now.
	fs1.SetEndpoint("sofia/gateway/gw/*", fstest.Behavior{Outcome: fstest.OutcomeAnswer})
	c1, _ := pool.Client("fs1")
	_, err = c1.API(ctx, "status") // waits for the connection
	require.NoError(t, err)
	uuid, err := c1.Originate(ctx, esl.OriginateRequest{Dial: "sofia/gateway/gw/1"})
	require.NoError(t, err)
	require.Less(t, pool.Free("fs1"), 4)
	c2, _ := pool.Client("fs2")
	_, err = c2.API(ctx, "status")
	require.NoError(t, err)
	require.Equal(t, 4, pool.Free("fs2"))
	c, err = pool.Pick(ctx)
	require.NoError(t, err)
	require.Equal(t, "fs2", c.Node().Name)
	require.NoError(t, c1.Hangup(ctx, uuid, ""))

	_, err = esl.NewPool([]esl.Node{{Name: "a", Address: "x:1", Password: "p"}, {Name: "a", Address: "y:1", Password: "p"}}, clientOpts())
	require.ErrorContains(t, err, "used twice")
	_, err = esl.NewPool([]esl.Node{{Name: "a", Address: "x:1"}}, clientOpts())
	require.ErrorIs(t, err, esl.ErrNoPassword)
}
