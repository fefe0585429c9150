package docker_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
)

// The compose file is checked with compose-go, the loader `docker compose config` itself runs
// (schema validation, ${VAR} interpolation from the env file, normalization, consistency of
// service, volume and network references), so no docker engine or compose plugin is needed.

// operatorEnv writes .env.example with every empty secret filled in, as an operator does
// after `cp .env.example .env`, and returns the file and the values.
func operatorEnv(t *testing.T) (string, map[string]string) {
	t.Helper()
	env := readEnvFile(t, ".env.example")
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if env[k] == "" {
			env[k] = "secret-for-" + strings.ToLower(k)
		}
		b.WriteString(k + "=" + env[k] + "\n")
	}
	path := filepath.Join(t.TempDir(), "stack.env")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path, env
}

// loadProject loads composeFile (in this folder) the way `docker compose --env-file envFile
// config` does: no variable from the test's own environment leaks in.
func loadProject(t *testing.T, composeFile, envFile string) (*types.Project, error) {
	t.Helper()
	wd, err := filepath.Abs(".")
	require.NoError(t, err)
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithWorkingDirectory(wd),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cli.ProjectFromOptions(ctx, opts)
}

func TestComposeConfigLoadsWithTheOperatorsEnvFile(t *testing.T) {
	t.Parallel()
	envFile, env := operatorEnv(t)
	p, err := loadProject(t, "compose.yaml", envFile)
	require.NoError(t, err, "compose.yaml does not load as docker compose config would")

	require.Equal(t, "ivrd", p.Name)
	require.ElementsMatch(t, []string{"freeswitch", "postgres", "kannel", "recordings-init", "ivrd"}, p.ServiceNames())

	// Interpolation: the image variable's default and the secrets from the env file.
	fs, err := p.GetService("freeswitch")
	require.NoError(t, err)
	require.Equal(t, env["FREESWITCH_IMAGE"], fs.Image)
	ivrd, err := p.GetService("ivrd")
	require.NoError(t, err)
	require.Equal(t, env["ESL_PASSWORD"], *ivrd.Environment["ESL_PASSWORD"], "ivrd gets the event socket password")
	require.Equal(t, env["ESL_PASSWORD"], *fs.Environment["ESL_PASSWORD"], "FreeSWITCH gets the same password")
	require.Equal(t, env["POSTGRES_PASSWORD"], *ivrd.Environment["PGPASSWORD"])
	require.Equal(t, []string{"serve", "--config", "/etc/ivrd/ivrd.yaml"}, []string(ivrd.Command))

	// Every published port is bound to loopback with .env.example's addresses.
	published := 0
	for _, s := range p.Services {
		for _, port := range s.Ports {
			published++
			require.Equal(t, "127.0.0.1", port.HostIP, "%s publishes %d/%s on %q", s.Name, port.Target, port.Protocol, port.HostIP)
			require.NotContains(t, []uint32{8021, 8084}, port.Target, "%s: the event sockets stay on the stack's network", s.Name)
		}
	}
	require.Greater(t, published, 5)

	// FreeSWITCH writes recordings where ivrd reads them: one named volume at one path.
	target := func(s types.ServiceConfig, source string) string {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source == source {
				return v.Target
			}
		}
		return ""
	}
	require.Contains(t, p.Volumes, "recordings")
	require.Equal(t, "/recordings", target(fs, "recordings"))
	require.Equal(t, "/recordings", target(ivrd, "recordings"))

	// ivrd starts after a healthy PostgreSQL, and is given time to drain calls on stop.
	require.Equal(t, types.ServiceConditionHealthy, ivrd.DependsOn["postgres"].Condition)
	require.NotNil(t, ivrd.StopGracePeriod)
	require.GreaterOrEqual(t, time.Duration(*ivrd.StopGracePeriod), time.Minute,
		"stop_grace_period must cover ivrd serve's --grace, or docker kills calls in progress")
}

func TestComposeConfigRefusesEmptySecrets(t *testing.T) {
	t.Parallel()
	// .env.example as shipped: the secrets are empty, and compose must refuse to start.
	_, err := loadProject(t, "compose.yaml", ".env.example")
	require.Error(t, err)
	require.Regexp(t, `set [A-Z_]+ in docker/\.env`, err.Error(), "the error says which secret to set")
}

func TestComposeConfigRejectsAMistypedKey(t *testing.T) {
	t.Parallel()
	// The loader validates against the compose schema: a typo in a key is an error, so the
	// test above passing means the file is what compose accepts, not only valid YAML.
	raw, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	broken := strings.Replace(string(raw), "    stop_grace_period: 2m", "    stop_grace_periode: 2m", 1)
	require.NotEqual(t, string(raw), broken, "compose.yaml has no ivrd stop_grace_period line to break")
	// Next to the original, so relative paths (build contexts, env files) still resolve.
	path := filepath.Join(t.TempDir(), "compose.yaml")
	require.NoError(t, os.WriteFile(path, []byte(broken), 0o644))
	envFile, _ := operatorEnv(t)
	wd, err := filepath.Abs(".")
	require.NoError(t, err)
	opts, err := cli.NewProjectOptions([]string{path}, cli.WithWorkingDirectory(wd), cli.WithEnvFiles(envFile), cli.WithDotEnv)
	require.NoError(t, err)
	_, err = cli.ProjectFromOptions(context.Background(), opts)
	require.Error(t, err)
	require.Contains(t, err.Error(), "stop_grace_periode")
}
