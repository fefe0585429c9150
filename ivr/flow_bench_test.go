package ivr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/parser"
)

// genFlow writes a flow of n steps mixing menus, plays, conditions, assignments and lookups,
// in two languages, every step reachable and every path ending in a queue.
func genFlow(n int) string {
	var b strings.Builder
	b.WriteString("flow: big\nlanguages: [en, zh]\nvars:\n  n: 0\nprompts:\n")
	for i := range 50 {
		fmt.Fprintf(&b, "  p%d:\n    en: \"For option %d press 1, for the next one press 2, for an agent press 0. Your count is {{vars.n}}.\"\n    zh: \"选项 %d 请按 1，下一项请按 2，人工服务请按 0。\"\n", i, i, i)
	}
	b.WriteString("steps:\n")
	step := func(i int) string {
		if i >= n-1 {
			return "agent"
		}
		return fmt.Sprintf("s%d", i)
	}
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "  s%d:\n", i)
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "    menu:\n      prompt: p%d\n      options: {1: %s, 2: %s, 0: agent}\n      on_fail: agent\n", i%50, step(i+1), step(i+2))
		case 1:
			fmt.Fprintf(&b, "    play: [p%d, {silence: 1s}]\n    next: %s\n", i%50, step(i+1))
		case 2:
			fmt.Fprintf(&b, "    if: vars.n > %d and caller.number startswith \"+44\"\n    then: %s\n    else: %s\n", i, step(i+1), step(i+3))
		case 3:
			fmt.Fprintf(&b, "    set:\n      n: \"{{vars.n + 1}}\"\n    next: %s\n", step(i+1))
		case 4:
			fmt.Fprintf(&b, "    lookup:\n      url: \"http://crm/x?n={{caller.number | urlquery}}&i=%d\"\n      save: {n: result.count}\n      on_error: agent\n    next: %s\n", i, step(i+1))
		}
	}
	b.WriteString("  agent:\n    queue:\n      name: general\n      priority: if(vars.n > 3, 10, 0)\n")
	return b.String()
}

func TestGeneratedFlowIsCleanAndComplete(t *testing.T) {
	t.Parallel()
	src := genFlow(2000)
	f, ds := parseFlowData("big.yaml", []byte(src), nil, ".", "", &Catalog{Queues: NameSet("general")})
	require2000(t, f, ds)
	var warnings []string
	for _, d := range Analyze(f, AnalyzeOptions{}) {
		if d.Severity == SevWarning {
			warnings = append(warnings, d.String())
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "callers may need up to") {
		t.Fatalf("want only the time-to-a-person warning, got %v", warnings)
	}
}

func require2000(t *testing.T, f *Flow, ds Diagnostics) {
	t.Helper()
	if ds.HasErrors() || f == nil || len(f.Steps) != 2000 {
		t.Fatalf("generated flow: %v (%d diagnostics)", ds.Err(), len(ds))
	}
}

// BenchmarkLoad2000Steps parses, validates and analyses a 2,000-step flow.
func BenchmarkLoad2000Steps(b *testing.B) {
	src := []byte(genFlow(2000))
	cat := &Catalog{Queues: NameSet("general")}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		f, ds := parseFlowData("big.yaml", src, nil, ".", "", cat)
		if f == nil {
			b.Fatal(ds.Err())
		}
		Analyze(f, AnalyzeOptions{})
	}
}

// BenchmarkLoad2000StepsParts splits BenchmarkLoad2000Steps: the YAML parser alone on the
// whole file, the YAML parse the loader does (steps: in groups), that plus our reading of
// its AST (validation included), and the analysis.
func BenchmarkLoad2000StepsParts(b *testing.B) {
	src := []byte(genFlow(2000))
	cat := &Catalog{Queues: NameSet("general")}
	b.Run("yaml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parser.ParseBytes(src, 0, parser.AllowDuplicateMapKey()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("yaml-split", func(b *testing.B) { // what the loader does: steps: parsed in groups
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseFlowYAML(src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+validate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f, ds := parseFlowData("big.yaml", src, nil, ".", "", cat); f == nil {
				b.Fatal(ds.Err())
			}
		}
	})
	f, _ := parseFlowData("big.yaml", src, nil, ".", "", cat)
	b.Run("analyse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Analyze(f, AnalyzeOptions{})
		}
	})
}

// BenchmarkLoadScaling shows that loading grows linearly with the number of steps.
func BenchmarkLoadScaling(b *testing.B) {
	for _, n := range []int{250, 1000, 4000} {
		src := []byte(genFlow(n))
		cat := &Catalog{Queues: NameSet("general")}
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f, ds := parseFlowData("big.yaml", src, nil, ".", "", cat)
				if f == nil {
					b.Fatal(ds.Err())
				}
				Analyze(f, AnalyzeOptions{})
			}
		})
	}
}
