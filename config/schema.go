package config

import (
	"encoding"
	"encoding/json"
	"reflect"
	"time"
)

// SchemaID is the $id of the generated schema.
const SchemaID = "https://github.com/ivrd/ivrd/config/ivrd.schema.json"

// durationPattern matches what time.ParseDuration reads: 30s, 1h30m, 250ms, 0.
const durationPattern = `^-?(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

// Schema returns the JSON Schema (draft 2020-12) of ivrd.yaml, derived from the config types
// by their yaml tags, so it cannot drift from what the decoder accepts: unknown keys are
// refused (additionalProperties: false), durations must parse, numbers must be numbers.
// Sections that read their own syntax (calendars) are left open. Editors use it through a
// first line such as `# yaml-language-server: $schema=ivrd.schema.json`.
func Schema() map[string]any {
	s := schemaOf(reflect.TypeOf(Config{}), map[reflect.Type]bool{})
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaID
	s["title"] = "ivrd.yaml"
	s["description"] = "ivrd's operator config: FreeSWITCH nodes, database, listeners, flows, calendars, queues, SMS, callbacks, recordings and QA."
	return s
}

// SchemaJSON is Schema as indented JSON.
func SchemaJSON() ([]byte, error) {
	b, err := json.MarshalIndent(Schema(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func schemaOf(t reflect.Type, visiting map[reflect.Type]bool) map[string]any {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return map[string]any{"type": "string", "pattern": durationPattern, "description": "a duration like 30s, 5m or 1h30m"}
	case customYAML(t):
		return map[string]any{"description": "free-form: this section has its own syntax, checked when the config loads"}
	case reflect.PointerTo(t).Implements(reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), visiting)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), visiting)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), visiting)}
	case reflect.Struct:
		if visiting[t] {
			return map[string]any{}
		}
		visiting[t] = true
		defer delete(visiting, t)
		props := map[string]any{}
		structProps(t, props, visiting)
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	return map[string]any{}
}

// structProps adds t's fields to props by their YAML keys, inlining embedded structs.
func structProps(t reflect.Type, props map[string]any, visiting map[reflect.Type]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
			continue
		}
		key, inline, skip := yamlKey(f)
		if skip {
			continue
		}
		if inline {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			structProps(ft, props, visiting)
			continue
		}
		props[key] = schemaOf(f.Type, visiting)
	}
}
