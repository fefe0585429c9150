package config

import "testing"

// BenchmarkApplyEnv applies the environment to the embedded default config (no variable set:
// the cost of walking every value and looking its variable up).
func BenchmarkApplyEnv(b *testing.B) {
	c, err := Parse("default.yaml", DefaultYAML())
	if err != nil {
		b.Fatal(err)
	}
	env := func(string) string { return "" }
	b.ReportAllocs()
	for b.Loop() {
		if err := ApplyEnv(c, env); err != nil {
			b.Fatal(err)
		}
	}
}
