package web_test

import (
	"bytes"
	"context"
	"html"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/web"
)

// chromiumDOM loads url in a real headless Chromium and returns the DOM after the page's
// scripts ran (--dump-dom).
func chromiumDOM(t *testing.T, url string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	require.NoError(t, err, "the status page test needs Debian's chromium: run ./run deps (as root)")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(),
		"--dump-dom", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium failed: %s", stderr.String())
	return stdout.String()
}

func TestStatusPageInHeadlessChromium(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := setup(t, web.Options{Status: fakeStatus(now)})

	dom := chromiumDOM(t, b.base+"/status")
	text := html.UnescapeString(dom)

	// The page's script ran under the Content-Security-Policy (it marks the body live) ...
	require.Regexp(t, `<body[^>]* data-live="on"`, dom)
	// ... and a customer's text did not run as script: it is shown as text.
	require.NotContains(t, dom, "data-pwned")
	require.Contains(t, text, `<img src=x onerror="document.body.dataset.pwned='img'">`)

	// Every section the operator needs is there, filled from the source.
	for _, want := range []string{
		"ivrd · ivrd-a", "Live calls (2)", "+15551230001", "main_menu",
		"cards", "82%", "user/1002 (available)",
		"Pending callbacks (1)", "+1555***0042",
		"We will call you back in about 10 minutes.",
		"greeting and verification done",
		"main_menu -->|1| cards",
	} {
		require.Contains(t, text, want)
	}
	// Durations are computed in the browser from the server's clock: the first call started
	// 65 s before the snapshot, so the browser shows at least 1m05s (more if the page was slow).
	m := regexp.MustCompile(`data-since="\d+">(\d+)m(\d\d)s<`).FindStringSubmatch(dom)
	require.NotNil(t, m, "no ticking call duration in the DOM")
	require.True(t, m[1] != "0", "call duration %sm%ss", m[1], m[2])
}
