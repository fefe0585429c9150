package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCmdWithEnv(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code = runMain(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "flows"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "flows", "hotline.yaml"), []byte(minimalFlow), 0o644))
	body = strings.ReplaceAll(body, "FLOWDIR", filepath.Join(dir, "flows"))
	p := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

// minimalFlow is the smallest flow that loads: answer nothing, hang up.
const minimalFlow = "flow: hotline\nsteps:\n  start:\n    hangup:\n"

const cmdGoodConfig = `listen: {outbound: "0.0.0.0:8084", http: "127.0.0.1:8080"}
freeswitch:
  - {name: fs1, address: "freeswitch:8021", password_env: ESL_PASSWORD}
database: {url: "postgres://ivrd@postgres:5432/ivrd"}
flows: {dir: FLOWDIR, default: hotline}
`

func TestConfigCheckPassesAGoodConfig(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, cmdGoodConfig)
	code, out, errOut := runCmdWithEnv(t, map[string]string{"ESL_PASSWORD": "x"}, "config", "check", "--config", p)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, p+": ok (0 warning(s))\n", out)
}

func TestConfigCheckReportsAnUnknownKeyWithLineAndColumn(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, strings.Replace(cmdGoodConfig, "database: {url:", "database: {ulr:", 1))
	code, _, errOut := runCmdWithEnv(t, map[string]string{"ESL_PASSWORD": "x"}, "config", "check", "--config", p)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, p+": [4:12] unknown field \"ulr\"")
}

func TestConfigCheckReportsAMissingSecretAndExits1(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, cmdGoodConfig)
	code, out, errOut := runCmdWithEnv(t, nil, "config", "check", "--config", p)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, p+":3:")
	require.Contains(t, errOut, "environment variable ESL_PASSWORD is not set")
	require.Contains(t, errOut, "1 error(s), 0 warning(s)")
}

func TestConfigCheckAppliesEnvironmentOverridesBeforeChecking(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, cmdGoodConfig)
	vars := map[string]string{"ESL_PASSWORD": "x", "IVRD_LISTEN_HTTP": "localhost"}
	code, _, errOut := runCmdWithEnv(t, vars, "config", "check", "--config", p)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `listen.http: "localhost" is not host:port`)

	vars["IVRD_LISTEN_HTTP"] = "127.0.0.1:9999"
	vars["IVRD_FREESWITCH_0_ADDRESS"] = "freeswitch"
	code, _, errOut = runCmdWithEnv(t, vars, "config", "check", "--config", p)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `freeswitch[0].address: "freeswitch" is not host:port`)
}

func TestConfigCheckReadsTheFileNamedByIVRD_CONFIG(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, cmdGoodConfig)
	code, out, _ := runCmdWithEnv(t, map[string]string{"ESL_PASSWORD": "x", "IVRD_CONFIG": p}, "config", "check")
	require.Equal(t, 0, code)
	require.Contains(t, out, p+": ok")
}

func TestConfigEnvListsVariablesWithoutTheirValues(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, cmdGoodConfig)
	code, out, errOut := runCmdWithEnv(t, map[string]string{"IVRD_FREESWITCH_0_PASSWORD": "s3cret"}, "config", "env", "--config", p)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `IVRD_FREESWITCH_0_PASSWORD\s+freeswitch\.0\.password\s+string\s+yes`, out)
	require.Contains(t, out, "IVRD_DATABASE_URL ")
	require.NotContains(t, out, "s3cret")
}

func TestConfigSchemaPrintsAJSONSchema(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmdWithEnv(t, nil, "config", "schema")
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	require.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
	require.Contains(t, s["properties"], "freeswitch")
}

func TestConfigCheckLoadsTheFlowsWithTheConfigsCalendars(t *testing.T) {
	t.Parallel()
	p := writeConfig(t, cmdGoodConfig)
	broken := "flow: hotline\nsteps:\n  start:\n    hours: bank\n    open: bye\n    closed: bye\n  bye:\n    hangup:\n"
	flow := filepath.Join(filepath.Dir(p), "flows", "hotline.yaml")
	require.NoError(t, os.WriteFile(flow, []byte(broken), 0o644))
	code, _, errOut := runCmdWithEnv(t, map[string]string{"ESL_PASSWORD": "x"}, "config", "check", "--config", p)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, flow+`:4:12: error: unknown calendar "bank"`)

	withCalendar := strings.Replace(cmdGoodConfig, "flows:", "calendars:\n  bank:\n    timezone: UTC\n    hours: {mon-fri: 08:00-20:00}\nflows:", 1)
	require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(withCalendar, "FLOWDIR", filepath.Dir(flow))), 0o644))
	code, out, errOut := runCmdWithEnv(t, map[string]string{"ESL_PASSWORD": "x"}, "config", "check", "--config", p)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, ": ok")
}
