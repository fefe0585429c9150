package main

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
)

func TestQueueCommandsLogAgentsInAndOutOfTheRunningEngine(t *testing.T) {
	e, err := ivr.NewQueueEngine(ivr.QueueEngineOptions{Queues: map[string]*ivr.QueueConfig{"cards": {Agents: []string{"user/1001"}}}})
	require.NoError(t, err)
	require.NoError(t, e.Start(context.Background()))
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)

	code, out, stderr := runCmd(t, "queue", "logout", "cards", "user/1001", "--url", srv.URL)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "user/1001 logged out of cards")
	require.Contains(t, out, "agents 0 logged in")

	code, out, stderr = runCmd(t, "queue", "login", "cards", "user/2002", "--url", srv.URL)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "agents 1 logged in / 1 idle")

	code, out, stderr = runCmd(t, "queue", "status", "--url", srv.URL)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "queue cards: 0 waiting")
	require.Contains(t, out, "next wait unknown")
	require.Regexp(t, `user/1001\s+logged out\s+idle`, out)
	require.Regexp(t, `user/2002\s+logged in\s+idle`, out)

	code, _, stderr = runCmd(t, "queue", "login", "loans", "user/1001", "--url", srv.URL)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `queue "loans": unknown queue`)

	code, _, stderr = runCmd(t, "queue", "login", "cards", "--url", srv.URL)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "give a queue and an agent")
}
