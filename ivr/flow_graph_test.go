package ivr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const graphFlow = `
flow: tiny
steps:
  start:
    menu: {prompt: "Press 1 or 0", options: {1: check, 0: agent}, on_fail: agent}
  check:
    if: caller.number startswith "+1"
    then: agent
    else: bye
  agent:
    tag: to_agent
    queue: general
  bye:
    hangup:
`

func TestGraphMermaid(t *testing.T) {
	t.Parallel()
	f := newLintBundle(t).mustParse(t, graphFlow)
	var b strings.Builder
	require.NoError(t, WriteGraph(&b, f, GraphMermaid))
	require.Equal(t, `---
title: tiny
---
flowchart TD
  s0[/"start<br/><small>menu</small>"/]
  s1{"check<br/><small>if caller.number startswith #quot;+1#quot;</small>"}
  s2(["agent<br/><small>queue general (tag to_agent)</small>"])
  s3(("bye<br/><small>hangup</small>"))
  s0 -->|"1"| s1
  s0 -->|"0"| s2
  s0 -->|"on_fail"| s2
  s1 -->|"then"| s2
  s1 -->|"else"| s3
  style s0 stroke-width:3px
`, b.String())
}

func TestGraphDOT(t *testing.T) {
	t.Parallel()
	f := newLintBundle(t).mustParse(t, graphFlow)
	var b strings.Builder
	require.NoError(t, WriteGraph(&b, f, GraphDOT))
	out := b.String()
	require.True(t, strings.HasPrefix(out, "digraph \"tiny\" {\n"))
	require.Contains(t, out, `  s0 [label="start\nmenu", shape=parallelogram, penwidth=3];`)
	require.Contains(t, out, `  s1 [label="check\nif caller.number startswith \"+1\"", shape=diamond];`)
	require.Contains(t, out, `  s0 -> s2 [label="on_fail"];`)
	require.Contains(t, out, `  s1 -> s3 [label="else"];`)
	require.True(t, strings.HasSuffix(out, "}\n"))
	require.Error(t, WriteGraph(&b, f, "svg"))
}

// flows/flow.schema.json is what editors load; it must be what Schema generates.
func TestCommittedSchemaIsUpToDate(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "flows", "flow.schema.json")
	committed, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(Schema()), string(committed), "run: go run ./cmd/ivrd flows schema > flows/flow.schema.json")
}

func TestSchemaDescribesEveryKindAndKey(t *testing.T) {
	t.Parallel()
	var s map[string]any
	require.NoError(t, json.Unmarshal(Schema(), &s))
	require.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
	props := s["properties"].(map[string]any)
	for _, f := range flowFields {
		require.Contains(t, props, f.key)
	}
	defs := s["$defs"].(map[string]any)
	steps := defs["step"].(map[string]any)["oneOf"].([]any)
	require.Len(t, steps, len(Kinds))
	for _, k := range Kinds {
		require.Contains(t, defs, "kind_"+string(k))
	}
	menu := defs["kind_menu"].(map[string]any)["properties"].(map[string]any)
	require.Equal(t, float64(3), menu["tries"].(map[string]any)["default"])
	require.Contains(t, menu, "on_fail")
	// Every key the parser accepts in a kind is in the schema: both come from kindSpecs.
	for _, ks := range kindSpecs {
		kv := defs["kind_"+string(ks.kind)].(map[string]any)
		raw, _ := json.Marshal(kv)
		for _, f := range ks.fields {
			require.Contains(t, string(raw), `"`+f.key+`"`, "kind %s key %s", ks.kind, f.key)
		}
	}
}
