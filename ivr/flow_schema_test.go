package ivr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

// schemaCheck is a small JSON Schema validator for the keywords flow.schema.json uses, so
// the tests can show that the schema editors load accepts the real flows and rejects
// mistakes.
type schemaCheck struct {
	root map[string]any
}

func (c *schemaCheck) validate(s map[string]any, v any, path string) []string {
	if ref, ok := s["$ref"].(string); ok {
		def := c.root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		return c.validate(def, v, path)
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if alts, ok := s["anyOf"].([]any); ok {
		okCount := 0
		for _, a := range alts {
			if len(c.validate(a.(map[string]any), v, path)) == 0 {
				okCount++
			}
		}
		if okCount == 0 {
			bad("matches none of anyOf")
		}
	}
	if alts, ok := s["oneOf"].([]any); ok {
		okCount := 0
		for _, a := range alts {
			if len(c.validate(a.(map[string]any), v, path)) == 0 {
				okCount++
			}
		}
		if okCount != 1 {
			bad("matches %d of oneOf", okCount)
		}
	}
	if t, ok := s["type"]; ok {
		types := []any{t}
		if l, ok := t.([]any); ok {
			types = l
		}
		match := false
		for _, ty := range types {
			match = match || jsonType(v, ty.(string))
		}
		if !match {
			bad("want type %v, got %T", t, v)
			return errs
		}
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || x == v
		}
		if !found {
			bad("%v not in %v", v, e)
		}
	}
	if cv, ok := s["const"]; ok && cv != v {
		bad("want %v", cv)
	}
	if str, ok := v.(string); ok {
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			bad("%q does not match %s", str, p)
		}
		if n, ok := s["minLength"].(float64); ok && float64(len(str)) < n {
			bad("too short")
		}
	}
	if arr, ok := v.([]any); ok {
		if n, ok := s["minItems"].(float64); ok && float64(len(arr)) < n {
			bad("too few items")
		}
		if it, ok := s["items"].(map[string]any); ok {
			for i, x := range arr {
				errs = append(errs, c.validate(it, x, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		pats, _ := s["patternProperties"].(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			x := obj[k]
			if pn, ok := s["propertyNames"].(map[string]any); ok {
				errs = append(errs, c.validate(pn, k, path+"/"+k+"(name)")...)
			}
			if ps, ok := props[k]; ok {
				errs = append(errs, c.validate(ps.(map[string]any), x, path+"/"+k)...)
				continue
			}
			matched := false
			for p, ps := range pats {
				if regexp.MustCompile(p).MatchString(k) {
					matched = true
					errs = append(errs, c.validate(ps.(map[string]any), x, path+"/"+k)...)
				}
			}
			if matched {
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					bad("unknown key %q", k)
				}
			case map[string]any:
				errs = append(errs, c.validate(ap, x, path+"/"+k)...)
			}
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					bad("missing %s", r)
				}
			}
		}
		if n, ok := s["minProperties"].(float64); ok && float64(len(obj)) < n {
			bad("too few keys")
		}
		if n, ok := s["maxProperties"].(float64); ok && float64(len(obj)) > n {
			bad("too many keys")
		}
	}
	return errs
}

func jsonType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}

// asJSON decodes YAML the way an editor sees it: as JSON values (keys are text).
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.NewDecoder(bytes.NewReader(src)).Decode(&v))
	var norm func(any) any
	norm = func(x any) any {
		switch y := x.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range y {
				out[k] = norm(e)
			}
			return out
		case map[any]any:
			out := map[string]any{}
			for k, e := range y {
				out[fmt.Sprint(k)] = norm(e)
			}
			return out
		case []any:
			for i := range y {
				y[i] = norm(y[i])
			}
			return y
		case uint64:
			return float64(y)
		case int64:
			return float64(y)
		case int:
			return float64(y)
		}
		return x
	}
	return norm(v)
}

func TestSchemaAcceptsTheShippedFlowsAndTheReferenceExamples(t *testing.T) {
	t.Parallel()
	var root map[string]any
	require.NoError(t, json.Unmarshal(Schema(), &root))
	c := &schemaCheck{root: root}
	files, err := filepath.Glob(filepath.Join("..", "flows", "*.yaml"))
	require.NoError(t, err)
	var srcs []string
	var names []string
	for _, f := range files {
		if IsScenarioFile(f) {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		srcs, names = append(srcs, string(b)), append(names, f)
	}
	md, err := os.ReadFile(filepath.Join("..", "flows", "README.md"))
	require.NoError(t, err)
	blocks, lines := yamlBlocks(t, string(md))
	for i, b := range blocks {
		if !strings.HasPrefix(b, "# ivrd.yaml") {
			srcs, names = append(srcs, b), append(names, fmt.Sprintf("README.md:%d", lines[i]))
		}
	}
	src0 := allKinds
	srcs, names = append(srcs, src0), append(names, "allKinds")
	for i, src := range srcs {
		errs := c.validate(root, asJSON(t, []byte(src)), "")
		require.Empty(t, errs, "%s does not match the schema", names[i])
	}

	for name, src := range map[string]string{
		"unknown key in a step": "steps:\n  start:\n    hangup:\n    nxt: x\n",
		"two kinds":             "steps:\n  start:\n    hangup:\n    goto: x\n",
		"unknown menu key":      "steps:\n  start:\n    menu: {prompt: p, options: {1: a}, timout: 5s}\n",
		"bad duration":          "steps:\n  start:\n    menu: {prompt: p, options: {1: a}, timeout: soon}\n",
		"bad record mode":       "steps:\n  start:\n    record: {mode: partial}\n",
		"no steps":              "flow: x\n",
		"tries as text":         "steps:\n  start:\n    menu: {prompt: p, options: {1: a}, tries: many}\n",
	} {
		require.NotEmpty(t, c.validate(root, asJSON(t, []byte(src)), ""), name)
	}
}
