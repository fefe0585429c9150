package ivr

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

// yamlBlocks returns the ```yaml blocks of a Markdown file with their first line numbers.
func yamlBlocks(t *testing.T, md string) (blocks []string, lines []int) {
	t.Helper()
	var cur []string
	in := false
	start := 0
	for i, l := range strings.Split(md, "\n") {
		switch {
		case !in && l == "```yaml":
			in, cur, start = true, nil, i+2
		case in && l == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			lines = append(lines, start)
		case in:
			cur = append(cur, l)
		}
	}
	require.False(t, in, "an unclosed ```yaml block")
	return blocks, lines
}

// Every example in the format reference (flows/README.md) must be a flow that loads
// without errors, and together they must show every kind of step and every key.
func TestFormatReferenceExamplesWork(t *testing.T) {
	t.Parallel()
	md, err := os.ReadFile(filepath.Join("..", "flows", "README.md"))
	require.NoError(t, err)
	b := newLintBundle(t)
	b.cat.Templates = NameSet("card_services", "after_hours", "help")
	b.fsys["prompts/en/goodbye.wav"] = &fstest.MapFile{Data: testWAV(8000, time.Second)}
	blocks, lines := yamlBlocks(t, string(md))
	require.GreaterOrEqual(t, len(blocks), 20)
	kinds := map[Kind]bool{}
	for i, src := range blocks {
		if strings.HasPrefix(src, "# ivrd.yaml") {
			var cfg struct {
				Calendars map[string]*Calendar `yaml:"calendars"`
			}
			require.NoError(t, yaml.NewDecoder(bytes.NewReader([]byte(src)), yaml.Strict()).Decode(&cfg), "README.md:%d", lines[i])
			require.True(t, cfg.Calendars["bank"].Open(time.Date(2026, 12, 24, 15, 0, 0, 0, time.UTC)), "10:00 in New York on Christmas Eve")
			continue
		}
		f, ds := b.parse(src)
		require.False(t, ds.HasErrors(), "README.md:%d: the example has errors:\n%v", lines[i], ds.Err())
		for _, s := range f.Steps {
			kinds[s.Kind] = true
		}
	}
	for _, k := range Kinds {
		require.True(t, kinds[k], "no example of %s", k)
	}
	for _, ks := range kindSpecs {
		for _, f := range append(append([]field{}, ks.fields...), ks.stepFields...) {
			require.Contains(t, string(md), f.key+":", "README.md does not show %s: of %s", f.key, ks.kind)
		}
	}
	for _, fl := range [][]field{flowFields, holdFields, audioFields} {
		for _, f := range fl {
			require.Contains(t, string(md), f.key+":", "README.md does not show %s:", f.key)
		}
	}
}
