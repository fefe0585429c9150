package docker_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// TestKannelConfigRunsInRealKannel renders kannel.conf.in as the container's entrypoint does
// (with free ports and a temporary folder instead of the container's), starts Debian's
// bearerbox and smsbox on it, and sends a text as ivrd would.
func TestKannelConfigRunsInRealKannel(t *testing.T) {
	t.Parallel()
	tmpl, err := os.ReadFile("kannel/kannel.conf.in")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	// A port picked free may be taken (by a parallel test) before the box binds it: the box
	// logs "bind failed"; start again on fresh ports.
	var send string
	for attempt := 1; ; attempt++ {
		var taken bool
		send, taken = startKannel(ctx, t, string(tmpl))
		if !taken {
			break
		}
		require.Less(t, attempt, 3, "Kannel could not bind its ports in three attempts")
	}

	sendsms := func(password string) (int, string) {
		q := url.Values{"username": {"ivrd"}, "password": {password}, "from": {"+15550100"}, "to": {"15551230001"}, "text": {"hello"}}
		u := "http://127.0.0.1:" + send + "/cgi-bin/sendsms?" + q.Encode()
		for {
			resp, err := http.Get(u)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				// smsbox serves HTTP before it has connected to bearerbox; until then it
				// answers 5xx: try again.
				if resp.StatusCode < 500 {
					return resp.StatusCode, string(b)
				}
				err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("smsbox never answered on %s: %v", send, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	code, body := sendsms("sendsms-secret")
	require.Equal(t, http.StatusAccepted, code, body)
	code, body = sendsms("wrong")
	require.Equal(t, http.StatusForbidden, code, body)
}

// kannelBinary finds a Kannel box on PATH or in /usr/sbin, where Debian installs it (not on
// a non-root user's PATH).
func kannelBinary(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join("/usr/sbin", name)
	_, err := os.Stat(p)
	require.NoError(t, err, "install Debian's kannel package (./run deps)")
	return p
}

// startKannel renders tmpl with free ports into a new folder, starts bearerbox and smsbox on
// it (stopped when t ends) and returns smsbox's sendsms port once it listens. taken says a box
// could not bind one of its ports (the boxes are stopped then).
func startKannel(ctx context.Context, t *testing.T, tmpl string) (send string, taken bool) {
	dir := t.TempDir()
	admin, box, send, smsc := freePort(t), freePort(t), freePort(t), freePort(t)
	conf := strings.NewReplacer(
		"${KANNEL_ADMIN_PASSWORD}", "admin-secret",
		"${KANNEL_SENDSMS_PASSWORD}", "sendsms-secret",
		"= 13000", "= "+admin, "= 13001", "= "+box, "= 13013", "= "+send, "= 10000", "= "+smsc,
		"/var/log/kannel/", dir+"/", "/var/spool/kannel/", dir+"/",
		"0.0.0.0", "127.0.0.1",
		"http://ivrd:8080", "http://127.0.0.1:9",
	).Replace(tmpl)
	require.NotContains(t, conf, "${", "entrypoint.sh must fill in every variable of the template")
	path := filepath.Join(dir, "kannel.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))

	var stops []func()
	stopAll := func() {
		for _, stop := range stops {
			stop()
		}
	}
	bindFailed := func() bool {
		for _, f := range []string{"bearerbox.log", "smsbox.log"} {
			if b, _ := os.ReadFile(filepath.Join(dir, f)); strings.Contains(string(b), "bind failed") {
				return true
			}
		}
		return false
	}
	start := func(name string) {
		cmd := exec.CommandContext(ctx, kannelBinary(t, name), path)
		cmd.Dir = dir
		require.NoError(t, cmd.Start())
		var once sync.Once
		stop := func() {
			once.Do(func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			})
		}
		stops = append(stops, stop)
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				for _, f := range []string{"bearerbox.log", "smsbox.log"} {
					b, _ := os.ReadFile(filepath.Join(dir, f))
					t.Logf("%s:\n%s", f, b)
				}
			}
		})
	}
	// waitListen waits until port takes connections; false if a box could not bind a port.
	waitListen := func(port, what string) bool {
		for {
			if bindFailed() {
				return false
			}
			c, err := net.Dial("tcp", "127.0.0.1:"+port)
			if err == nil {
				c.Close()
				return true
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s never listened on %s: %v", what, port, err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	start("bearerbox")
	// Like entrypoint.sh: smsbox gives up at once if bearerbox is not listening yet.
	if !waitListen(box, "bearerbox") {
		stopAll()
		return "", true
	}
	start("smsbox")
	// A port that answers may be another process's: the box's log says whether it bound it.
	if !waitListen(send, "smsbox") || bindFailed() {
		stopAll()
		return "", true
	}
	return send, false
}
