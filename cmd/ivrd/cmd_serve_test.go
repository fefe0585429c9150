package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/daemon"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/store/pgtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

const serveFlow = `flow: hotline
steps:
  start:
    play: "Hello VERSION."
    next: end
  end:
    hangup:
`

func TestServeRunsFromAConfigFileUntilStopped(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs, err := fstest.Start(ctx, fstest.Options{Clock: fstest.ScaledClock(50), Password: "s3cret"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fs.Close() })
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "flows"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "flows", "hotline.yaml"), []byte(strings.Replace(serveFlow, "VERSION", "one", 1)), 0o644))
	outbound, httpAddr := freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: {outbound: %q, http: %q}
freeswitch:
  - {name: fs1, address: %q, password_file: %q}
database: {url: %q}
flows: {dir: flows, default: hotline}
`, outbound, httpAddr, fs.InboundAddr(), filepath.Join(dir, "esl_password"), pgtest.NewDatabase(t))), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "esl_password"), []byte("s3cret\n"), 0o600))

	var out syncBuffer
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() { done <- runMain(ctx, env, []string{"serve", "--config", cfg}) }()
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		require.Less(t, i, 1500, "never ready:\n%s", out.String())
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d:\n%s", code, out.String())
		default:
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NotContains(t, out.String(), "s3cret")

	fs.Dialplan().SetFallback("default", fstest.Socket(outbound))
	cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
	defer ccancel()
	c, err := fs.PlaceCall(cctx, fstest.CallSpec{CalledNumber: "5000"})
	require.NoError(t, err)
	res, err := c.Wait(cctx)
	require.NoError(t, err)
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.Contains(t, strings.Join(c.Heard(), " "), "Hello one.")

	cancel() // SIGTERM
	require.Equal(t, 0, <-done, out.String())
	require.Contains(t, out.String(), "ivrd stopped")
}

func TestServeReloadsFlowsOnSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "hotline.yaml")
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(serveFlow, "VERSION", "one", 1)), 0o644))
	cfg := &config.Config{Listen: config.Listen{Outbound: "127.0.0.1:0", HTTP: "127.0.0.1:0"}, Flows: config.Flows{Dir: dir, Default: "hotline"}}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	d, err := daemon.New(daemon.Options{Config: cfg, Logger: log, NoWatch: true})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, d.Start(ctx))
	v1 := d.Flows().Version("hotline")

	hup := make(chan os.Signal)
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, d, hup, time.Second, log) }()
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(serveFlow, "VERSION", "two", 1)), 0o644))
	hup <- syscall.SIGHUP
	hup <- syscall.SIGHUP // the second send returns once the first reload is done
	require.NotEqual(t, v1, d.Flows().Version("hotline"))

	require.NoError(t, os.WriteFile(file, []byte("flow: hotline\nsteps:\n  start:\n    goto: nowhere\n"), 0o644))
	v2 := d.Flows().Version("hotline")
	hup <- syscall.SIGHUP
	hup <- syscall.SIGHUP
	require.Equal(t, v2, d.Flows().Version("hotline"), "a broken flow is refused")
	require.Contains(t, logs.String(), file+":4:")
	require.Contains(t, logs.String(), "the last good ones keep serving")

	cancel()
	require.NoError(t, <-done)
}

func TestServeWithoutConfigSaysWhatToDo(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCmdWithEnv(t, nil, "serve")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "give --config ivrd.yaml")
}
