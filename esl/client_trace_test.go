package esl

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func quietClientOptions() ClientOptions {
	return ClientOptions{Logger: slog.New(slog.DiscardHandler), MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}
}

func TestClientRunsAPICommandsAgainstARealFreeSWITCHTranscript(t *testing.T) {
	t.Parallel()
	addr, results := serveInbound(t, loadTrace(t, "02_api_status.txt"))
	ctx := testCtx(t)
	c, err := Dial(ctx, Node{Name: "fs1", Address: addr, Password: "ClueCon"}, quietClientOptions())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	out, err := c.API(ctx, "status")
	require.NoError(t, err)
	require.Contains(t, out, "FreeSWITCH (Version 1.10.12")
	out, err = c.API(ctx, "version")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(out, "FreeSWITCH Version 1.10.12"))

	_, err = c.API(ctx, "no_such_command")
	require.ErrorIs(t, err, ErrCommand)
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "-ERR no_such_command Command not found!", ce.Reply)

	exists, err := c.Exists(ctx, "00000000-0000-0000-0000-000000000000")
	require.NoError(t, err)
	require.False(t, exists, "uuid_exists says false without a newline")

	out, err = c.API(ctx, "global_getvar local_ip_v4")
	require.NoError(t, err)
	require.Equal(t, "192.0.2.2", out)
	out, err = c.API(ctx, "show channels")
	require.NoError(t, err)
	require.Equal(t, "\n0 total.\n", out)
	_, err = c.API(ctx, "show calls as json")
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, <-results, "FreeSWITCH side: every command matched, exit last")
}

func TestDialWithAWrongPasswordFailsClearlyWithoutLeakingIt(t *testing.T) {
	t.Parallel()
	addr, _ := serveInbound(t, loadTrace(t, "01b_inbound_auth_bad.txt"))
	var logs bytes.Buffer
	opts := quietClientOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	node := Node{Name: "fs1", Address: addr, Password: "WrongPassword"}
	_, err := Dial(testCtx(t), node, opts)
	require.ErrorIs(t, err, ErrAuth)
	require.Contains(t, err.Error(), "refused the ESL password")
	require.Contains(t, err.Error(), "-ERR invalid")
	require.NotContains(t, err.Error(), "WrongPassword")
	require.NotContains(t, logs.String(), "WrongPassword")
	require.NotContains(t, node.String(), "WrongPassword")
	require.NotContains(t, errors.Unwrap(err).Error(), "WrongPassword")
}

func TestDialTimesOutWhenTheServerNeverGreets(t *testing.T) {
	t.Parallel()
	// A listener that accepts and says nothing: eslgo's Dial hangs here forever.
	addr, _ := serveInbound(t, []traceBlock{{dir: "C->S", data: []byte("never\n\n")}})
	opts := quietClientOptions()
	opts.DialTimeout = 200 * time.Millisecond
	_, err := Dial(context.Background(), Node{Name: "mute", Address: addr, Password: "x"}, opts)
	require.ErrorIs(t, err, ErrClosed)
	require.Contains(t, err.Error(), "waiting for auth/request")
}
