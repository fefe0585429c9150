// Package ivr holds the flow language that flow designers write in YAML (model, parser,
// validator, analyser, JSON Schema, graph) and the runtime that runs a flow on a call,
// including queue hold with promotion prompts.
package ivr
