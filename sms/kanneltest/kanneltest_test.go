package kanneltest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKannelRoundTrip checks the harness itself: a text from the fake carrier reaches the
// get-url, and a sendsms request reaches the fake carrier, long ones in parts.
func TestKannelRoundTrip(t *testing.T) {
	got := make(chan url.Values, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
	}))
	t.Cleanup(srv.Close)
	k := Start(t, Options{InboundURL: srv.URL + "/in"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	require.NoError(t, k.SMSC.Deliver(ctx, "+14155552671", "5000", "hello there"))
	require.NoError(t, k.SMSC.Deliver(ctx, "+8613800138000", "5000", "你好 world"))
	// smsbox fetches the get-url of each text on its own: they may come in either order.
	var texts []string
	for range 2 {
		select {
		case q := <-got:
			texts = append(texts, q.Get("text"))
			require.NotEmpty(t, q.Get("id"))
		case <-ctx.Done():
			t.Fatalf("no inbound request from smsbox; got %q", texts)
		}
	}
	require.ElementsMatch(t, []string{"hello there", "你好 world"}, texts)

	send := func(text string, extra url.Values) {
		q := url.Values{"username": {k.Username}, "password": {k.Password}, "from": {"5000"}, "to": {"+14155552671"}, "text": {text}}
		for key, v := range extra {
			q[key] = v
		}
		resp, err := http.Get(k.SendURL + "?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	send("plain", nil)
	o, err := k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "text", o.Type)
	require.Equal(t, "plain", o.Text())

	send("早上好", url.Values{"charset": {"UTF-8"}, "coding": {"2"}})
	o, err = k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "ucs-2", o.Type)
	require.Equal(t, "早上好", o.Text())

	long := strings.Repeat("0123456789", 20)
	send(long, nil)
	o, err = k.SMSC.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, o.Parts)
	require.Equal(t, long, o.Text())
}

// TestStartTriesFreshPortsWhenOneIsTaken gives the first attempt an admin port another
// listener holds (as when a parallel test takes a port between picking and binding):
// bearerbox cannot bind it and exits, and Start runs Kannel on fresh ports instead.
func TestStartTriesFreshPortsWhenOneIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { taken.Close() })
	takenPort := taken.Addr().(*net.TCPAddr).Port
	var attempts int
	pickPorts = func(n int) ([]int, error) {
		attempts++
		ports, err := freePorts(n)
		if err == nil && attempts == 1 {
			ports[0] = takenPort
		}
		return ports, err
	}
	t.Cleanup(func() { pickPorts = freePorts })

	k := Start(t, Options{})
	require.Equal(t, 2, attempts, "the attempt whose port was taken is made again")
	require.NotContains(t, k.AdminURL, fmt.Sprintf(":%d", takenPort))
	status, err := k.Status(t.Context())
	require.NoError(t, err)
	require.Contains(t, status, "fake", "Kannel on the fresh ports is up with its SMSC")
}
