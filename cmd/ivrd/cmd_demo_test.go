package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The README's main command, end to end: ivrd demo starts PostgreSQL in its data folder, the
// emulator and ivrd; a scripted caller calls in over the emulator's event socket; the call's
// record is in the database (ivrd calls list / show); Ctrl-C stops everything.
func TestDemoRunsTheWholeSystemAndACallGoesThrough(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for d := base; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755)) // user postgres must reach the data folder
	}
	cfg := filepath.Join(base, "ivrd.yaml")
	def, err := os.ReadFile("../../config/default.yaml")
	require.NoError(t, err)
	body := strings.Replace(string(def), "outbound: 127.0.0.1:8084", `outbound: "127.0.0.1:0"`, 1)
	body = strings.Replace(body, "http: 127.0.0.1:8080", `http: "127.0.0.1:0"`, 1)
	require.NotEqual(t, string(def), body)
	require.NoError(t, os.WriteFile(cfg, []byte(body), 0o644))
	data := filepath.Join(base, ".demo")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(string) string { return "" }},
			[]string{"demo", "--config", cfg, "--esl", "127.0.0.1:0", "--data", data, "--speed", "20", "--at", "2026-11-24 10:00"})
	}()
	waitFor(t, &out, "Ctrl-C stops everything")
	banner := out.String()
	for _, want := range []string{"ivrd demo is running", "status page            http://127.0.0.1:", "/metrics", "/readyz",
		"database               postgres://", "kept in " + filepath.Join(data, "pg"), "the bank is OPEN",
		"call --esl 127.0.0.1:", "calls list", "console SMS outbox"} {
		require.Contains(t, banner, want)
	}
	m := regexp.MustCompile(`event socket \(ESL inbound\) (\S+), password (\S+)`).FindStringSubmatch(banner)
	require.Len(t, m, 3, banner)

	code, callOut, errOut := runCmdWithEnv(t, nil, "call", "--esl", m[1], "--password", m[2], "--digits", "1,1,12345678,1")
	require.Equal(t, 0, code, callOut+errOut)
	require.Contains(t, callOut, `hears: "Your available balance is 1234.56 USD.`)

	// A text goes out through the database and River to the console outbox.
	code, callOut, errOut = runCmdWithEnv(t, nil, "call", "--esl", m[1], "--password", m[2], "--caller", "+12125550101", "--digits", "1,1,2")
	require.Equal(t, 0, code, callOut+errOut)
	waitFor(t, &out, "(console SMS outbox) SMS 5000 -> +12125550101")
	require.Contains(t, out.String(), "Example Bank: your available balance is 25310.75 USD")

	urlFile := filepath.Join(data, demoURLFile)
	var listOut string
	for i := 0; i < 500 && !strings.Contains(listOut, "self-served"); i++ {
		_, listOut, _ = runCmdWithEnv(t, nil, "calls", "list", "--database-file", urlFile)
	}
	for i := 0; i < 500 && strings.Count(listOut, "self-served") < 2; i++ {
		_, listOut, _ = runCmdWithEnv(t, nil, "calls", "list", "--database-file", urlFile)
	}
	require.Equal(t, 2, strings.Count(listOut, "self-served"), "the call records reach the database: %s", listOut)
	id := regexp.MustCompile(`\s([0-9a-f-]{36})\s+\+12125550199`).FindStringSubmatch(listOut)
	require.Len(t, id, 2, listOut)
	code, show, errOut := runCmdWithEnv(t, nil, "calls", "show", id[1], "--database-file", urlFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, show, "flow      hotline (version ")
	require.Contains(t, show, "outcome   self-served (hangup NORMAL_CLEARING)")
	require.Contains(t, show, "balance_lookup     POST 200")
	require.Contains(t, show, `account="12345678"`)

	code, _, errOut = runCmdWithEnv(t, nil, "calls", "show", "no-such-call", "--database-file", urlFile)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "call record not found")

	cancel() // Ctrl-C
	require.Equal(t, 0, <-done, out.String())
	require.Contains(t, out.String(), "PostgreSQL stopped.")
	require.NoFileExists(t, filepath.Join(data, "pg", "data", "postmaster.pid"))
}
