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
	for _, bin := range []string{"bearerbox", "smsbox"} {
		_, err := exec.LookPath(bin)
		require.NoError(t, err, "install Debian's kannel package (./run deps)")
	}
	tmpl, err := os.ReadFile("kannel/kannel.conf.in")
	require.NoError(t, err)
	dir := t.TempDir()
	admin, box, send, smsc := freePort(t), freePort(t), freePort(t), freePort(t)
	conf := strings.NewReplacer(
		"${KANNEL_ADMIN_PASSWORD}", "admin-secret",
		"${KANNEL_SENDSMS_PASSWORD}", "sendsms-secret",
		"= 13000", "= "+admin, "= 13001", "= "+box, "= 13013", "= "+send, "= 10000", "= "+smsc,
		"/var/log/kannel/", dir+"/", "/var/spool/kannel/", dir+"/",
		"0.0.0.0", "127.0.0.1",
		"http://ivrd:8080", "http://127.0.0.1:9",
	).Replace(string(tmpl))
	require.NotContains(t, conf, "${", "entrypoint.sh must fill in every variable of the template")
	path := filepath.Join(dir, "kannel.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	start := func(bin string) {
		cmd := exec.CommandContext(ctx, bin, path)
		cmd.Dir = dir
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				for _, f := range []string{"bearerbox.log", "smsbox.log"} {
					b, _ := os.ReadFile(filepath.Join(dir, f))
					t.Logf("%s:\n%s", f, b)
				}
			}
		})
	}
	start("bearerbox")
	// Like entrypoint.sh: smsbox gives up at once if bearerbox is not listening yet.
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+box)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("bearerbox never listened on %s: %v", box, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	start("smsbox")

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
