package ivr

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// SchemaURL is where the shipped flows' modeline points (relative to the flows folder).
const SchemaURL = "flow.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the flow format, generated from the same
// key tables the parser uses (flow_syntax.go). Editors with yaml-language-server use it for
// completion and to underline mistakes; `ivrd flows schema` prints it, and
// flows/flow.schema.json is a copy checked by a test.
func Schema() []byte {
	defs := map[string]any{
		"duration": map[string]any{
			"description": "a duration such as 5s, 1m30s or 500ms, or a number of seconds",
			"anyOf": []any{
				map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`},
				map[string]any{"type": "number", "minimum": 0},
			},
		},
		"stepName": map[string]any{"type": "string", "pattern": stepNameRE.String(), "description": "the name of a step of this flow"},
		"audioItem": map[string]any{
			"description": "a prompt key, a sound file (.wav ...), a stream URL (tone_stream://...), text to speak, or one of say:/silence:/prompt:/file:",
			"anyOf": []any{
				map[string]any{"type": "string", "minLength": 1},
				withCount(objectSchema(audioFields), 1, 2), // one of say/silence/prompt/file, and lang
			},
		},
		"audio": map[string]any{
			"anyOf": []any{
				ref("audioItem"),
				map[string]any{"type": "array", "minItems": 1, "items": ref("audioItem")},
			},
		},
		"digitSteps": map[string]any{
			"type":                 "object",
			"description":          "key(s) -> step name, e.g. \"1\": balance",
			"propertyNames":        map[string]any{"pattern": digitsRE.String()},
			"additionalProperties": ref("stepName"),
		},
		"hold": objectSchema(holdFields),
		"case": objectSchema(caseFields),
	}
	var steps []any
	for i := range kindSpecs {
		ks := &kindSpecs[i]
		defs["kind_"+string(ks.kind)] = kindValueSchema(ks)
		props := map[string]any{string(ks.kind): ref("kind_" + string(ks.kind))}
		for _, f := range stepCommon {
			if f.key == "next" && ks.noNext {
				continue
			}
			props[f.key] = fieldSchema(f)
		}
		for _, f := range ks.stepFields {
			props[f.key] = fieldSchema(f)
		}
		req := []string{string(ks.kind)}
		for _, f := range ks.stepFields {
			if f.req {
				req = append(req, f.key)
			}
		}
		steps = append(steps, map[string]any{
			"title":                string(ks.kind),
			"description":          ks.doc,
			"type":                 "object",
			"required":             req,
			"properties":           props,
			"additionalProperties": false,
		})
	}
	defs["step"] = map[string]any{"description": "a step: exactly one action key plus next:", "oneOf": steps}

	root := objectSchema(flowFields)
	root["patternProperties"] = map[string]any{"^x-": map[string]any{"description": "free space for YAML anchors, ignored"}}
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "ivrd flow"
	root["description"] = "An ivrd IVR flow. Format reference: flows/README.md"
	root["$defs"] = defs
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		panic("ivr: encode flow schema: " + err.Error()) // plain maps and strings: cannot fail
	}
	return b.Bytes()
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/$defs/" + name} }

func withCount(m map[string]any, lo, hi int) map[string]any {
	m["minProperties"] = lo
	m["maxProperties"] = hi
	return m
}

// objectSchema is a closed object with the given fields.
func objectSchema(fields []field) map[string]any {
	props := map[string]any{}
	var req []string
	for _, f := range fields {
		props[f.key] = fieldSchema(f)
		if f.req {
			req = append(req, f.key)
		}
	}
	m := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(req) > 0 {
		m["required"] = req
	}
	return m
}

func fieldSchema(f field) map[string]any {
	m := typeSchema(f.typ, f.enum)
	if f.doc != "" {
		d := f.doc
		if f.def != "" {
			d += " (default " + f.def + ")"
		}
		m["description"] = d
	}
	if f.def != "" {
		switch f.typ {
		case tInt:
			if n, err := strconv.Atoi(f.def); err == nil {
				m["default"] = n
			}
		case tBool:
			m["default"] = f.def == "true"
		case tLangList:
		default:
			m["default"] = f.def
		}
	}
	return m
}

var scalarTypes = []any{"string", "number", "boolean", "null"}

func typeSchema(t valueType, enum []string) map[string]any {
	switch t {
	case tText, tTemplate, tName:
		return map[string]any{"type": "string"}
	case tExpr:
		return map[string]any{"type": []any{"string", "number", "boolean"}}
	case tStep:
		return ref("stepName")
	case tDuration:
		return ref("duration")
	case tInt:
		return map[string]any{"type": "integer"}
	case tBool:
		return map[string]any{"type": "boolean"}
	case tEnum:
		return map[string]any{"type": "string", "enum": enum}
	case tAudio:
		return ref("audio")
	case tConfirm:
		return map[string]any{"anyOf": []any{map[string]any{"type": "boolean"}, ref("audio")}}
	case tDigitStep:
		return ref("digitSteps")
	case tDigitLang:
		return map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": digitsRE.String()}, "additionalProperties": map[string]any{"type": "string"}}
	case tVarValues:
		return map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": varNameRE.String()}, "additionalProperties": map[string]any{"type": scalarTypes}}
	case tSave, tHeaders:
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	case tJSON:
		return map[string]any{}
	case tHold:
		return map[string]any{"anyOf": []any{map[string]any{"type": "string"}, ref("hold")}}
	case tCases:
		return map[string]any{"type": "array", "minItems": 1, "items": ref("case")}
	case tPromos:
		return map[string]any{"type": "array", "items": ref("audio")}
	case tLangList:
		return map[string]any{"type": "array", "items": map[string]any{"type": "string", "pattern": langRE.String()}}
	case tPrompts:
		return map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": varNameRE.String()},
			"additionalProperties": map[string]any{"anyOf": []any{
				ref("audio"),
				map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": langRE.String()}, "additionalProperties": ref("audio")},
			}}}
	case tVars:
		return map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": varNameRE.String()},
			"additionalProperties": map[string]any{"type": append(append([]any{}, scalarTypes...), "array")}}
	case tHolds:
		return map[string]any{"type": "object", "additionalProperties": ref("hold")}
	case tSteps:
		return map[string]any{"type": "object", "minProperties": 1, "propertyNames": map[string]any{"pattern": stepNameRE.String()}, "additionalProperties": ref("step")}
	}
	return map[string]any{}
}

// kindValueSchema is the schema of the value under a kind key: long form, short form, empty.
func kindValueSchema(ks *kindSpec) map[string]any {
	var alts []any
	switch ks.kind {
	case KindSet:
		alts = append(alts, typeSchema(tVarValues, nil))
	case KindSwitch:
		alts = append(alts, typeSchema(tCases, nil))
	}
	if ks.scalar != 0 {
		var enum []string
		for _, f := range ks.fields {
			if f.key == ks.scalarKey {
				enum = f.enum
			}
		}
		if ks.kind != KindSwitch {
			alts = append(alts, typeSchema(ks.scalar, enum))
		}
	}
	if ks.fields != nil {
		alts = append(alts, objectSchema(ks.fields))
	}
	if ks.nullOK {
		alts = append(alts, map[string]any{"type": "null"})
		if ks.kind == KindReturn {
			alts = append(alts, map[string]any{"const": true})
		}
	}
	m := map[string]any{"description": ks.doc}
	if len(alts) == 1 {
		for k, v := range alts[0].(map[string]any) {
			m[k] = v
		}
		return m
	}
	m["anyOf"] = alts
	return m
}
