package docker_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dockerfileLines returns the instructions of a Dockerfile with continuations joined.
func dockerfileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	cur := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		out = append(out, cur+l)
		cur = ""
	}
	return out
}

func TestDockerfilesCopyFilesThatExistAndRunAsNonRoot(t *testing.T) {
	t.Parallel()
	for _, df := range []struct{ path, context string }{
		{"Dockerfile", ".."},
		{"kannel/Dockerfile", "kannel"},
	} {
		var user string
		for _, l := range dockerfileLines(t, df.path) {
			f := strings.Fields(l)
			switch strings.ToUpper(f[0]) {
			case "COPY":
				if strings.HasPrefix(f[1], "--from") {
					continue
				}
				for _, src := range f[1 : len(f)-1] {
					_, err := os.Stat(filepath.Join(df.context, src))
					require.NoError(t, err, "%s copies %s", df.path, src)
				}
			case "USER":
				user = f[1]
			}
		}
		require.NotEmpty(t, user, "%s must switch to a non-root user", df.path)
		require.NotRegexp(t, `^(root|0)(:|$)`, user, df.path)
	}
	// The build context ignores nothing the build needs.
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	require.NoError(t, err)
	for _, needed := range []string{"go.mod", "go.sum", "cmd", "flows", "docker/ivrd.yaml"} {
		require.NotRegexp(t, `(?m)^`+regexp.QuoteMeta(needed)+`$`, string(ignore))
	}
}
