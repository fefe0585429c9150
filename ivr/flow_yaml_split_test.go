package ivr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/stretchr/testify/require"
)

// astTrace lists every node of a file with its type, place and text, to compare two parses.
func astTrace(t *testing.T, f *ast.File) []string {
	t.Helper()
	var out []string
	for _, d := range f.Docs {
		ast.Walk(traceVisitor{&out}, d.Body)
	}
	return out
}

type traceVisitor struct{ out *[]string }

func (v traceVisitor) Visit(n ast.Node) ast.Visitor {
	tk := n.GetToken()
	if _, ok := n.(*ast.NullNode); ok {
		// an implicit null's place is made up by the parser (and never used in messages)
		*v.out = append(*v.out, "null")
		return v
	}
	*v.out = append(*v.out, fmt.Sprintf("%T %d:%d %q", n, tk.Position.Line, tk.Position.Column, tk.Value))
	return v
}

func TestSplitParseGivesTheSameTreeAsAWholeParse(t *testing.T) {
	t.Parallel()
	src := genFlow(300) + "\n# a comment at the end\n"
	src = strings.Replace(src, "steps:\n", "steps:   # the steps\n\n  # a comment between steps\n", 1)
	whole, err := parser.ParseBytes([]byte(src), 0, parser.AllowDuplicateMapKey())
	require.NoError(t, err)
	split, ok := parseSplit([]byte(src))
	require.True(t, ok)
	require.Equal(t, astTrace(t, whole), astTrace(t, split))

	t.Run("errors name the lines of the whole file", func(t *testing.T) {
		t.Parallel()
		bad := strings.Replace(src, "next: s7\n", "next: s7\n    nxt: s8\n", 1)
		bad = strings.Replace(bad, "next: s12\n", "next: s12x\n", 1)
		lineOf := func(text string) int {
			for i, l := range strings.Split(bad, "\n") {
				if l == text {
					return i + 1
				}
			}
			t.Fatalf("no line %q", text)
			return 0
		}
		_, ds := parseFlowData("big.yaml", []byte(bad), nil, ".", "", &Catalog{})
		require.Equal(t, []string{
			fmt.Sprintf(`big.yaml:%d:5: error: unknown key "nxt" in step "s6" (did you mean "next"?); allowed here: play, next, tag`, lineOf("    nxt: s8")),
			fmt.Sprintf(`big.yaml:%d:11: error: unknown step "s12x" in next of step "s11" (did you mean "s12"?)`, lineOf("    next: s12x")),
		}, errorLines(ds))
	})
	t.Run("aliases to anchors in other steps", func(t *testing.T) {
		t.Parallel()
		s := "steps:\n  a: &x\n    hangup:\n  b: *x\n" + strings.Repeat("# pad\n", splitMinLines)
		whole, err := parser.ParseBytes([]byte(s), 0, parser.AllowDuplicateMapKey())
		require.NoError(t, err)
		split, ok := parseSplit([]byte(s))
		require.True(t, ok)
		require.Equal(t, astTrace(t, whole), astTrace(t, split))
		f, ds := parseFlowData("a.yaml", []byte(s), nil, ".", "", nil)
		require.Empty(t, errorLines(ds))
		require.Equal(t, KindHangup, f.ByName["b"].Kind)
	})
	t.Run("what it cannot split is parsed whole", func(t *testing.T) {
		t.Parallel()
		for name, s := range map[string]string{
			"flow style":      "steps: {a: {hangup: }}\n" + strings.Repeat("# pad\n", splitMinLines),
			"two documents":   "steps:\n  a:\n    hangup:\n  b:\n    hangup:\n---\nx: 1\n",
			"tabs":            "steps:\n  a:\n\thangup:\n  b:\n    hangup:\n",
			"steps as a list": "steps:\n  - a\n  - b\n",
		} {
			_, ok := parseSplit([]byte(s))
			require.False(t, ok, name)
		}
	})
}

// FuzzSplitParse checks the split parse against the whole-file parse: whenever the split
// succeeds, the whole file must parse to the same tree.
//
//	go test ./ivr -run '^$' -fuzz FuzzSplitParse -fuzztime 1m
func FuzzSplitParse(f *testing.F) {
	f.Add([]byte(genFlow(12)))
	f.Add([]byte("steps:\n  a:\n    hangup:\n  b:\n    play: |\n      two\n      lines\n    next: a\n"))
	f.Add([]byte("x: 1\nsteps:\n  # c\n  a: {hangup: }\n  b: &k\n    goto: a\nvars: {n: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		split, ok := parseSplit(data)
		if !ok {
			return
		}
		whole, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
		if err != nil {
			t.Fatalf("the split parse accepted what the whole parse refuses: %v", err)
		}
		a, b := astTrace(t, whole), astTrace(t, split)
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Fatalf("different trees:\nwhole:\n%s\nsplit:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	})
}
