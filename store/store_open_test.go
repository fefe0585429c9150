package store_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

func TestOpenConnectsToARunningDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Open(ctx, pgtest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var one int
	require.NoError(t, pool.QueryRow(ctx, "select 1").Scan(&one))
	require.Equal(t, 1, one)
}

// closedPort returns a local TCP port where nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestOpenErrorsNameTheHostButNeverThePassword(t *testing.T) {
	t.Parallel()
	addr := closedPort(t)
	tests := []struct {
		name string
		url  string
		want []string
	}{
		{"nothing listens", "postgres://ivrd:hunter2secret@" + addr + "/calls?connect_timeout=5",
			[]string{addr, `"calls"`, `"ivrd"`, "check that PostgreSQL is running"}},
		{"a malformed URL", "postgres://ivrd:hunter2secret@" + addr + "/calls?connect_timeout=soon",
			[]string{"database URL is not valid"}},
		{"a key=value DSN", "host=127.0.0.1 port=" + addr[len("127.0.0.1:"):] + " user=ivrd password=hunter2secret dbname=calls connect_timeout=5",
			[]string{addr, "check that PostgreSQL is running"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool, err := store.Open(context.Background(), tt.url)
			require.Error(t, err)
			require.Nil(t, pool)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			require.NotContains(t, err.Error(), "hunter2secret")
		})
	}
}

func TestOpenGivesUpWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	// A server that accepts but never answers, like a host whose PostgreSQL hangs.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	accepted := make(chan net.Conn, 8)
	go func() {
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for c := range accepted {
			c.Close()
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = store.Open(ctx, "postgres://ivrd:pw@"+l.Addr().String()+"/calls?sslmode=disable&connect_timeout=3600")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
