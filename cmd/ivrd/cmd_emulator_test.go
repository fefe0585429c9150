package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEmulatorCommandServesESLUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errOut strings.Builder
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: pw, stderr: &errOut, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, env, []string{"emulator", "--listen", "127.0.0.1:0", "--password", "s3cret", "--outbound", "127.0.0.1:1"})
		_ = pw.Close()
	}()
	first, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(first)
	require.NotNil(t, addr, first)

	nc, err := net.DialTimeout("tcp", addr[1], 5*time.Second)
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
	br := bufio.NewReader(nc)
	readBlock := func() string {
		var b strings.Builder
		for {
			l, err := br.ReadString('\n')
			require.NoError(t, err)
			if l == "\n" {
				return b.String()
			}
			b.WriteString(l)
		}
	}
	require.Equal(t, "Content-Type: auth/request\n", readBlock())
	_, err = nc.Write([]byte("auth ClueCon\n\n"))
	require.NoError(t, err)
	require.Contains(t, readBlock(), "Reply-Text: -ERR invalid", "only the --password is accepted")

	nc2, err := net.DialTimeout("tcp", addr[1], 5*time.Second)
	require.NoError(t, err)
	defer nc2.Close()
	require.NoError(t, nc2.SetDeadline(time.Now().Add(10*time.Second)))
	br = bufio.NewReader(nc2)
	readBlock()
	_, err = nc2.Write([]byte("auth s3cret\n\n"))
	require.NoError(t, err)
	require.Contains(t, readBlock(), "Reply-Text: +OK accepted")

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, errOut.String())
	case <-time.After(20 * time.Second):
		t.Fatal("ivrd emulator did not stop after cancellation")
	}
	require.NotContains(t, errOut.String(), "s3cret", "the password is never logged")
}
