package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/ivr"
)

// The shipped flows are what `./run test` lints: they must stay clean, warnings included.
func TestShippedFlowsLintCleanWithStrict(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmdWithEnv(t, nil, "flows", "lint", "--strict", "../../flows")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.NotContains(t, out, ": error: ")
	require.NotContains(t, out, ": warning: ")
	require.Contains(t, errOut, "2 flow(s) ok, 0 warning(s)")
	// The notes give the worst-case time to a person on each way to one.
	require.Contains(t, out, `../../flows/hotline.yaml:`)
	require.Contains(t, out, `note: callers reach queue "general" at step "agent" after at most `)
}

func TestLintReportsEveryMistakeWithItsPlace(t *testing.T) {
	t.Parallel()
	file := filepath.Join("..", "..", "ivr", "testdata", "flows", "many_mistakes.yaml")
	cfg := filepath.Join(t.TempDir(), "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("flows: {dir: .}\n"), 0o644))
	code, out, errOut := runCmdWithEnv(t, nil, "flows", "lint", "--config", cfg, file)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "7 error(s)")
	for _, want := range []string{
		file + `:12:11: error: unknown prompt "welcom" in step "start" (did you mean "welcome"?)`,
		file + `:18:12: error: unknown step "balanse" in menu option 1 of step "main" (did you mean "balance"?)`,
		file + `:20:9: error: duplicate menu key "2"`,
		file + `:21:7: error: unknown key "timout" in menu in step "main" (did you mean "timeout"?)`,
		file + `:24:49: error: bad regex "[0-9"`,
		file + `:27:23: error: bad expression in if of step "cards": write "and" instead of &&`,
		file + `:31:3: error: duplicate step "agent"`,
	} {
		require.Contains(t, out, want)
	}
	// A config without queues or templates leaves those names unchecked; notes say so.
	require.Contains(t, out, cfg+": note: the config defines no queues: queue names in flows are not checked")
	require.Contains(t, out, cfg+": note: the config defines no SMS templates: template names in flows are not checked")
}

func TestLintChecksNamesAgainstTheConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`flows: {dir: `+dir+`}
calendars:
  bank: {timezone: Europe/London, hours: {mon-fri: "09:00-17:00"}}
queues:
  general: {}
sms:
  templates:
    hello: {en: "Hello"}
`), 0o644))
	flow := filepath.Join(dir, "f.yaml")
	require.NoError(t, os.WriteFile(flow, []byte(`steps:
  start:
    hours: bank
    open: agent
    closed: text
  agent:
    queue: generel
  text:
    sms: helo
    next: bye
  bye:
    hangup:
`), 0o644))
	code, out, _ := runCmdWithEnv(t, nil, "flows", "lint", flow, "--config", cfg)
	require.Equal(t, 1, code)
	require.Contains(t, out, flow+`:7:12: error: unknown queue "generel" (did you mean "general"?)`)
	require.Contains(t, out, flow+`:9:10: error: unknown SMS template "helo" (did you mean "hello"?)`)

	// $IVRD_CONFIG is used when --config is not given.
	code, out, _ = runCmdWithEnv(t, map[string]string{"IVRD_CONFIG": cfg}, "flows", "lint", flow)
	require.Equal(t, 1, code)
	require.Contains(t, out, `unknown queue "generel"`)
}

func TestLintStrictFailsOnWarnings(t *testing.T) {
	t.Parallel()
	flow := filepath.Join(t.TempDir(), "w.yaml")
	require.NoError(t, os.WriteFile(flow, []byte("steps:\n  start:\n    play: \"Hello there\"\n  lost:\n    hangup:\n"), 0o644))
	code, out, errOut := runCmdWithEnv(t, nil, "flows", "lint", flow)
	require.Equal(t, 0, code)
	require.Contains(t, out, flow+`:2:3: warning: dead end: after step "start" the call just hangs up`)
	require.Contains(t, out, flow+`:4:3: warning: step "lost" is never reached`)
	require.Contains(t, errOut, "1 flow(s) ok, 2 warning(s)")
	code, _, errOut = runCmdWithEnv(t, nil, "flows", "lint", flow, "--strict")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "2 warning(s), which --strict treats as errors")
}

func TestLintGivesYAMLSyntaxErrorsTheirLine(t *testing.T) {
	t.Parallel()
	flow := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(flow, []byte("steps:\n  start:\n    play: [a, b\n    next: bye\n"), 0o644))
	code, out, _ := runCmdWithEnv(t, nil, "flows", "lint", flow)
	require.Equal(t, 1, code)
	require.Contains(t, out, flow+":4:")
	require.Contains(t, out, "error: YAML syntax error: ")
}

func TestLintUsage(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCmdWithEnv(t, nil, "flows", "lint")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "usage: ivrd flows lint")
	code, _, _ = runCmdWithEnv(t, nil, "flows", "lint", "--nope", "x")
	require.Equal(t, 2, code)
}

func TestGraphDrawsAFlow(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmdWithEnv(t, nil, "flows", "graph", "../../flows/callback.yaml")
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasPrefix(out, "---\ntitle: callback\n---\nflowchart TD\n"), out)
	require.Contains(t, out, `(["general_queue<br/><small>queue general</small>"])`)

	code, out, _ = runCmdWithEnv(t, nil, "flows", "graph", "--format", "dot", "../../flows/callback.yaml")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, `digraph "callback" {`))

	code, _, errOut = runCmdWithEnv(t, nil, "flows", "graph", "--format", "png", "../../flows/callback.yaml")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `unknown --format "png": use mermaid or dot`)

	code, out, errOut = runCmdWithEnv(t, nil, "flows", "graph", "../../flows")
	require.Equal(t, 1, code)
	require.Empty(t, out, "a folder must not silently draw one of its flows")
	require.Contains(t, errOut, "../../flows is a folder: give one flow file")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("steps:\n  start:\n    goto: nowhere\n"), 0o644))
	code, _, errOut = runCmdWithEnv(t, nil, "flows", "graph", bad)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, bad+`:3:11: error: unknown step "nowhere"`)
}

func TestSchemaPrintsTheFlowSchema(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmdWithEnv(t, nil, "flows", "schema")
	require.Equal(t, 0, code)
	require.Equal(t, string(ivr.Schema()), out)
	committed, err := os.ReadFile("../../flows/flow.schema.json")
	require.NoError(t, err)
	require.Equal(t, string(committed), out, "regenerate: go run ./cmd/ivrd flows schema > flows/flow.schema.json")
}

// Every shipped flow carries the modeline that points editors at the schema.
func TestShippedFlowsHaveTheSchemaModeline(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../flows/*.yaml")
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if ivr.IsScenarioFile(f) {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(b), "# yaml-language-server: $schema=flow.schema.json\n"), f)
		n++
	}
	require.GreaterOrEqual(t, n, 2)
}

// The demo calendars in the embedded default config: what the shipped flows and callbacks use.
func TestDefaultConfigCalendars(t *testing.T) {
	t.Parallel()
	c, err := config.Load("")
	require.NoError(t, err)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	bank, cb := c.Calendars["bank"], c.Calendars["callbacks"]
	require.NotNil(t, bank)
	require.NotNil(t, cb)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		require.NoError(t, err)
		return tm
	}
	require.True(t, bank.Open(at("2026-11-24 10:00")))
	require.False(t, bank.Open(at("2026-11-24 21:00")))
	state, h := bank.State(at("2026-12-25 10:00"))
	require.Equal(t, ivr.CalendarHoliday, state)
	require.Equal(t, "Christmas Day", h.Name)
	require.True(t, bank.Open(at("2026-12-24 11:00")), "Christmas Eve morning")
	require.False(t, bank.Open(at("2026-12-24 13:00")))
	next, ok := cb.NextOpen(at("2026-12-24 10:00"))
	require.True(t, ok)
	require.Equal(t, at("2026-12-26 09:00"), next, "callbacks wait for Saturday after Christmas")
}
