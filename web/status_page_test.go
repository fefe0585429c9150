package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/web"
)

func TestStatusPageShowsEverySectionFromTheSource(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	b := setup(t, web.Options{Status: fakeStatus(now)})
	code, raw := get(t, b.base+"/status")
	require.Equal(t, 200, code)
	body := html.UnescapeString(raw)
	for _, want := range []string{
		"ivrd · ivrd-a",
		"up <span id=\"uptime\" class=\"elapsed\"", "2h03m",
		"fs1", "connected", "fs2", ">down<",
		"Live calls (2)", "+15551230001", "main_menu", "1m05s",
		"cards", "82%", "1m35s", "user/1001 (talking)",
		"Pending callbacks (1)", "+1555***0042", "retrying", "in 10m00s",
		"We will call you back", `<img src=x onerror="document.body.dataset.pwned='img'">`,
		"greeting and verification done", ">pass<",
		`<pre class="mermaid" data-flow="hotline">flowchart TD
  start --> main_menu`,
	} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, raw, "<img src=x", "a customer's text must be escaped")
	require.Contains(t, raw, "&lt;img src=x")
}

func TestStatusPageSetsAStrictContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{Status: fakeStatus(time.Now())})
	resp, err := http.Get(b.base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	require.Contains(t, csp, "script-src 'nonce-")
	require.NotContains(t, csp, "unsafe-eval")
}

func TestStatusPageWithoutRuntimeSaysSo(t *testing.T) {
	t.Parallel()
	b := setup(t, web.Options{})
	code, body := get(t, b.base+"/")
	require.Equal(t, 200, code)
	require.Contains(t, body, `id="not-running"`)
	require.Contains(t, body, "No call in progress.")
}

func TestStatusPageReportsAFailingSourceWith503(t *testing.T) {
	t.Parallel()
	src := web.StatusFunc(func(context.Context) (web.Status, error) {
		return web.Status{}, errors.New("runtime is shutting down")
	})
	b := setup(t, web.Options{Status: src})
	code, body := get(t, b.base+"/status")
	require.Equal(t, 503, code)
	require.Contains(t, body, "Status unavailable: runtime is shutting down")
}

func TestStatusJSONServesTheSameSnapshot(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	b := setup(t, web.Options{Status: fakeStatus(now)})
	code, body := get(t, b.base+"/status.json")
	require.Equal(t, 200, code)
	var st web.Status
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Equal(t, "ivrd-a", st.Instance)
	require.Len(t, st.Calls, 2)
	require.Equal(t, "main_menu", st.Calls[0].Step)
	require.Equal(t, 0.82, st.Queues[0].ServiceLevel)

	b = setup(t, web.Options{})
	code, body = get(t, b.base+"/status.json")
	require.Equal(t, 503, code)
	require.Contains(t, body, "not running")
}
