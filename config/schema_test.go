package config

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

// validate checks doc against the subset of JSON Schema Schema generates (type, properties,
// additionalProperties, items, pattern, minimum) and returns the first violations.
func validate(s map[string]any, doc any, path string) []string {
	var errs []string
	if ty, ok := s["type"].(string); ok {
		okType := false
		switch ty {
		case "object":
			_, okType = doc.(map[string]any)
		case "array":
			_, okType = doc.([]any)
		case "string":
			_, okType = doc.(string)
		case "boolean":
			_, okType = doc.(bool)
		case "integer":
			switch n := doc.(type) {
			case float64:
				okType = n == float64(int64(n))
			}
		case "number":
			_, okType = doc.(float64)
		}
		if doc == nil {
			okType = true // YAML null: the zero value
		}
		if !okType {
			return []string{fmt.Sprintf("%s: want %s, got %T", path, ty, doc)}
		}
	}
	if p, ok := s["pattern"].(string); ok {
		if str, isStr := doc.(string); isStr && !regexp.MustCompile(p).MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s: %q does not match %s", path, str, p))
		}
	}
	if m, ok := s["minimum"]; ok {
		if n, isNum := doc.(float64); isNum && n < float64(m.(int)) {
			errs = append(errs, fmt.Sprintf("%s: %v below minimum", path, n))
		}
	}
	switch d := doc.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(ps, d[k], path+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: unknown key %q", path, k))
				}
			case map[string]any:
				errs = append(errs, validate(ap, d[k], path+"."+k)...)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range d {
				errs = append(errs, validate(items, it, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

// asJSON turns YAML into the JSON data model (what an editor's schema check sees).
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(j, &doc))
	return doc
}

func loadedSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := SchemaJSON()
	require.NoError(t, err)
	var s map[string]any
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

func TestSchemaAcceptsTheShippedConfigs(t *testing.T) {
	t.Parallel()
	s := loadedSchema(t)
	require.Empty(t, validate(s, asJSON(t, DefaultYAML()), "$"), "config/default.yaml")
	docker, err := os.ReadFile("../docker/ivrd.yaml")
	require.NoError(t, err)
	require.Empty(t, validate(s, asJSON(t, docker), "$"), "docker/ivrd.yaml")
}

func TestSchemaRefusesWhatTheDecoderRefuses(t *testing.T) {
	t.Parallel()
	s := loadedSchema(t)
	tests := []struct{ name, yaml, want string }{
		{"a misspelt key", "listen: {htp: x}", `$.listen: unknown key "htp"`},
		{"a duration without unit", "sms: {kannel: {timeout: 10}}", "$.sms.kannel.timeout: want string"},
		{"a duration in words", "sms: {kannel: {timeout: ten seconds}}", "does not match"},
		{"a list where a map goes", "queues: [a, b]", "$.queues: want object"},
		{"an unknown top-level section", "flow: {}", `$: unknown key "flow"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := validate(s, asJSON(t, []byte(tt.yaml)), "$")
			require.NotEmpty(t, errs)
			require.Contains(t, errs[0], tt.want)
			_, err := Parse("x.yaml", []byte(tt.yaml))
			require.Error(t, err, "the schema and the decoder must agree")
		})
	}
}

func TestSchemaNamesEveryTopLevelSection(t *testing.T) {
	t.Parallel()
	props := Schema()["properties"].(map[string]any)
	for _, k := range []string{"listen", "freeswitch", "database", "flows", "calendars", "queues", "sms", "callbacks", "recordings"} {
		require.Contains(t, props, k)
	}
	require.NotContains(t, props, "Path", "yaml:\"-\" fields are not in the file")
	cal := props["calendars"].(map[string]any)["additionalProperties"].(map[string]any)
	require.NotContains(t, cal, "type", "calendars have their own syntax: the schema leaves them open")
}
