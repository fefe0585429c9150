package docker_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

// compose is the part of compose.yaml the tests look at.
type compose struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	EnvFile     []struct {
		Path     string `yaml:"path"`
		Required bool   `yaml:"required"`
	} `yaml:"env_file"`
	Volumes   []string       `yaml:"volumes"`
	Ports     []string       `yaml:"ports"`
	DependsOn map[string]any `yaml:"depends_on"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c compose
	require.NoError(t, yaml.Unmarshal(b, &c), "compose.yaml")
	return c
}

// mount returns the container path service mounts source (a volume name or a host path) at.
func (s composeService) mount(source string) (string, bool) {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[0] == source {
			return parts[1], true
		}
	}
	return "", false
}

// readEnvFile reads KEY=VALUE lines (comments and blank lines skipped, quotes removed).
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: %q is not KEY=VALUE", path, line)
		env[k] = strings.Trim(v, `'"`)
	}
	require.NoError(t, sc.Err())
	return env
}

// commentedEnvKeys returns the keys of "#KEY=VALUE" lines (documented optional variables).
func commentedEnvKeys(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	keys := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#([A-Z][A-Z0-9_]*)=(.*)$`).FindAllStringSubmatch(string(b), -1) {
		keys[m[1]] = strings.Trim(m[2], `'"`)
	}
	return keys
}

var interpolation = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

func TestComposeHasTheFourServicesAndTheImageNameIsAVariable(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for _, s := range []string{"freeswitch", "postgres", "kannel", "ivrd"} {
		require.Contains(t, c.Services, s)
	}
	require.Regexp(t, `^\$\{FREESWITCH_IMAGE:-[^}]+\}$`, c.Services["freeswitch"].Image)
	require.Equal(t, "postgres:15", c.Services["postgres"].Image)
	require.Equal(t, []string{"serve", "--config", "/etc/ivrd/ivrd.yaml"}, c.Services["ivrd"].Command)
}

func TestComposePublishesPortsOnLoopbackByDefault(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	env := readEnvFile(t, ".env.example")
	published := 0
	for name, s := range c.Services {
		for _, p := range s.Ports {
			published++
			m := regexp.MustCompile(`^\$\{([A-Z_]+):-127\.0\.0\.1\}:`).FindStringSubmatch(p)
			require.NotNil(t, m, "%s publishes %q: bind it to ${BIND_ADDR:-127.0.0.1} (or SIP_BIND_ADDR)", name, p)
			require.Equal(t, "127.0.0.1", env[m[1]], ".env.example must keep %s on loopback", m[1])
			require.NotRegexp(t, `:(8021|8084)(/|$)`, p, "the event sockets must stay on the stack's network")
		}
	}
	require.Greater(t, published, 5)
}

func TestComposeSharesTheRecordingsVolumeAtOnePath(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	require.Contains(t, c.Volumes, "recordings")
	fs, ok := c.Services["freeswitch"].mount("recordings")
	require.True(t, ok, "freeswitch must mount the recordings volume")
	iv, ok := c.Services["ivrd"].mount("recordings")
	require.True(t, ok, "ivrd must mount the recordings volume")
	require.Equal(t, fs, iv, "FreeSWITCH writes the paths ivrd reads: mount the volume at the same place")
	require.Equal(t, "/recordings", fs)
}

func TestComposeTakesEverySecretFromTheEnvFile(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	raw, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	example := readEnvFile(t, ".env.example")

	// Every ${VAR} compose reads is documented in .env.example; required ones (:?) are empty
	// there, so nobody runs the stack with a password from git.
	for _, m := range interpolation.FindAllStringSubmatch(string(raw), -1) {
		v, documented := example[m[1]]
		require.True(t, documented, "compose.yaml uses ${%s}: document it in .env.example", m[1])
		if m[2] == ":?" {
			require.Empty(t, v, ".env.example must not hold a value for the secret %s", m[1])
		}
	}
	// No secret is written in compose.yaml itself.
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if strings.Contains(k, "PASSWORD") {
				require.Regexp(t, `^\$\{[A-Z_]+:\?[^}]+\}$`, v, "%s.environment.%s must come from docker/.env", name, k)
			}
		}
		for _, f := range s.EnvFile {
			require.FileExists(t, f.Path+".example", "%s reads %s: commit an example of it", name, f.Path)
		}
	}
	ignored, err := os.ReadFile(".gitignore")
	require.NoError(t, err)
	for _, f := range []string{".env", "freeswitch.env"} {
		require.Regexp(t, `(?m)^`+regexp.QuoteMeta(f)+`$`, string(ignored), "git must ignore the real %s", f)
	}
}

func TestComposeMountsAndBuildsFilesThatExist(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src := strings.Split(v, ":")[0]
			if strings.HasPrefix(src, ".") {
				_, err := os.Stat(src)
				require.NoError(t, err, "%s mounts %s", name, src)
			} else {
				require.Contains(t, c.Volumes, src, "%s mounts volume %s: declare it", name, src)
			}
		}
		switch b := s.Build.(type) {
		case string:
			require.FileExists(t, filepath.Join(b, "Dockerfile"), name)
		case map[string]any:
			require.FileExists(t, filepath.Join(b["context"].(string), b["dockerfile"].(string)), name)
		}
		for dep := range s.DependsOn {
			require.Contains(t, c.Services, dep, "%s depends on %s", name, dep)
		}
	}
}
