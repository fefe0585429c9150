package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

func TestCallbacksListsRequestsWithTheirAttempts(t *testing.T) {
	url := pgtest.NewMigratedDatabase(t, callback.Migrations)
	ctx := context.Background()
	pool, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, `
		INSERT INTO callback_request (id, source, source_key, number, state, reason, created_at, eta)
		VALUES (1, 'sms', 'sms:sms:1', '+14155552671', 'done', 'answered', now(), now()),
		       (2, 'api', 'api:x', '+19005551234', 'refused', 'premium_rate', now(), NULL);
		INSERT INTO callback_attempt (request_id, attempt, uuid, node, state, cause, started_at)
		VALUES (1, 1, 'u1', 'fs1', 'failed', 'NO_ANSWER', now()), (1, 2, 'u2', 'fs1', 'answered', '', now());`)
	require.NoError(t, err)

	code, out, stderr := runCmd(t, "callbacks", "--database", url)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "+14155552671")
	require.Contains(t, out, "fs1:NO_ANSWER fs1:answered")
	require.Contains(t, out, "premium_rate")

	code, out, _ = runCmd(t, "callbacks", "--database", url, "--state", "refused")
	require.Equal(t, 0, code)
	require.NotContains(t, out, "+14155552671")
	require.Contains(t, out, "+19005551234")

	code, _, stderr = runCmd(t, "callbacks", "--database", url, "--state", "lost")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "want refused, waiting, dialing, done or failed")

	code, _, stderr = runCmd(t, "callbacks")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "no database")
}
