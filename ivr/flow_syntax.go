package ivr

// This file describes the YAML syntax of flows as data: every key of every mapping, its type,
// default and one-line help. The parser accepts exactly these keys (anything else is an
// "unknown key" error with a "did you mean"), and the JSON Schema (flow_schema.go) is
// generated from the same tables, so the two cannot drift apart.

// valueType is the type of a key's value, as the designer writes it.
type valueType uint8

const (
	tText      valueType = iota + 1 // plain text
	tTemplate                       // text with {{...}}
	tExpr                           // an expression: vars.vip == true
	tStep                           // a step name
	tDuration                       // 5s, 1m30s, 500ms, or a number of seconds
	tInt                            // a whole number
	tBool                           // true / false
	tEnum                           // one of field.enum
	tAudio                          // an audio item or a list of them
	tDigitStep                      // mapping: key(s) -> step name
	tDigitLang                      // mapping: key(s) -> language code
	tVarValues                      // mapping: variable name -> value (literal or {{expr}})
	tSave                           // mapping: variable name -> JSON path
	tHeaders                        // mapping: header name -> text with {{...}}
	tJSON                           // any YAML value sent as JSON; texts are templates
	tHold                           // a hold treatment name, or an inline hold mapping
	tCases                          // list of {when, goto}
	tPromos                         // list of audio (each item one promo)
	tName                           // a name defined elsewhere (calendar, queue, template, flow)
	tLangList                       // list of language codes
	tPrompts                        // mapping: prompt key -> language -> audio
	tVars                           // mapping: variable name -> default value
	tHolds                          // mapping: name -> hold
	tSteps                          // mapping: step name -> step
	tConfirm                        // true, or the read-back audio
)

// field is one key of a mapping in the flow format.
type field struct {
	key  string
	typ  valueType
	enum []string
	def  string // default, as documented ("" = none)
	req  bool
	doc  string
}

// kindSpec is the syntax of one step kind: the value under its key, and the keys it adds
// to the step itself (then/else, open/closed).
type kindSpec struct {
	kind Kind
	doc  string
	// scalar is the type of the short form (`queue: general`); 0 when the kind has none.
	scalar valueType
	// scalarKey is the field the short form fills (e.g. "name" for queue).
	scalarKey string
	// nullOK: the kind may be written with no value (`hangup:`, `return:`).
	nullOK bool
	// fields of the long form (a mapping); nil when the kind has no long form.
	fields []field
	// stepFields are keys next to the kind key on the step.
	stepFields []field
	// noNext: the step does not continue with next:.
	noNext bool
}

var collectFields = []field{
	{key: "prompt", typ: tAudio, doc: "what to play while waiting for keys"},
	{key: "timeout", typ: tDuration, def: "5s", doc: "how long to wait for the first key"},
	{key: "digit_timeout", typ: tDuration, def: "2s", doc: "how long to wait between keys"},
	{key: "tries", typ: tInt, def: "3", doc: "how many times to ask before giving up"},
	{key: "invalid_prompt", typ: tAudio, doc: "played after a wrong key, before asking again"},
	{key: "timeout_prompt", typ: tAudio, doc: "played when no key was pressed, before asking again"},
	{key: "barge_in", typ: tBool, def: "true", doc: "a key press stops the prompt"},
}

// stepCommon are the keys every step may have besides its kind key.
var stepCommon = []field{
	{key: "next", typ: tStep, doc: "the step to go to when this one is done"},
	{key: "tag", typ: tText, doc: "a label recorded on the call when this step runs (for follow-up texts and reports)"},
}

var holdFields = []field{
	{key: "music", typ: tAudio, doc: "music on hold, looped (e.g. local_stream://moh)"},
	{key: "announce", typ: tAudio, doc: "played every announce_every"},
	{key: "announce_every", typ: tDuration, def: "60s", doc: "how often announce (and position / wait time) is played"},
	{key: "announce_position", typ: tBool, def: "false", doc: "tell the caller their place in the queue"},
	{key: "announce_wait", typ: tBool, def: "false", doc: "tell the caller the expected wait"},
	{key: "promos", typ: tPromos, doc: "messages played in turn, one every promo_every (e.g. the text service)"},
	{key: "promo_every", typ: tDuration, def: "45s", doc: "how often a promo is played"},
	{key: "keys", typ: tDigitStep, doc: "keys the caller may press while waiting, and the step each leads to"},
}

var caseFields = []field{
	{key: "when", typ: tExpr, req: true, doc: "the condition"},
	{key: "goto", typ: tStep, req: true, doc: "the step to go to when the condition is true"},
}

var audioFields = []field{
	{key: "say", typ: tTemplate, doc: "text spoken by text-to-speech ({{...}} allowed)"},
	{key: "silence", typ: tDuration, doc: "quiet for this long"},
	{key: "prompt", typ: tText, doc: "a prompt key from prompts:, played in the caller's language"},
	{key: "file", typ: tText, doc: "a sound file, relative to the flow file or the sounds folder"},
	{key: "lang", typ: tText, doc: "with say: or prompt:, the language to use instead of the caller's"},
}

var flowFields = []field{
	{key: "flow", typ: tText, doc: "the flow's name (default: the file name without .yaml)"},
	{key: "version", typ: tText, doc: "free text, e.g. a date"},
	{key: "description", typ: tText, doc: "what the flow is for"},
	{key: "languages", typ: tLangList, def: "[en]", doc: "languages callers may use, e.g. [en, zh]"},
	{key: "default_language", typ: tText, doc: "the language before the caller picks one (default: the first of languages)"},
	{key: "timezone", typ: tText, def: "UTC", doc: "time zone of now in conditions, e.g. Europe/London"},
	{key: "prompts", typ: tPrompts, doc: "prompts by key, with audio per language"},
	{key: "vars", typ: tVars, doc: "variables with their starting values"},
	{key: "holds", typ: tHolds, doc: "named hold treatments for queue steps"},
	{key: "start", typ: tStep, doc: "the first step (default: the step named start, else the first step)"},
	{key: "steps", typ: tSteps, req: true, doc: "the steps, by name"},
}

var kindSpecs = []kindSpec{
	{kind: KindPlay, doc: "Play audio, then go to next.", scalar: tAudio, scalarKey: "audio",
		fields: []field{
			{key: "audio", typ: tAudio, req: true, doc: "what to play"},
			{key: "barge_in", typ: tBool, def: "false", doc: "a key press stops the playback"},
		}},
	{kind: KindMenu, doc: "Play a prompt and wait for a key; each option leads to a step.", noNext: true,
		fields: append(append([]field{}, collectFields...),
			field{key: "options", typ: tDigitStep, req: true, doc: "key -> step, e.g. 1: balance"},
			field{key: "on_fail", typ: tStep, doc: "where to go after the last failed try (default: hang up)"},
		)},
	{kind: KindInput, doc: "Collect several digits into a variable.",
		fields: append(append([]field{}, collectFields...),
			field{key: "into", typ: tText, req: true, doc: "the variable to store the digits in (without vars.)"},
			field{key: "min", typ: tInt, def: "1", doc: "fewest digits"},
			field{key: "max", typ: tInt, def: "20", doc: "most digits"},
			field{key: "terminator", typ: tText, def: "#", doc: "key that ends the entry early; write it in quotes: \"#\""},
			field{key: "regex", typ: tText, doc: "a regular expression the whole entry must match"},
			field{key: "confirm", typ: tConfirm, doc: "true to read the entry back and ask to confirm, or the read-back prompt"},
			field{key: "confirm_yes", typ: tText, def: "1", doc: "key that confirms"},
			field{key: "confirm_no", typ: tText, def: "2", doc: "key that asks again"},
			field{key: "on_fail", typ: tStep, doc: "where to go after the last failed try (default: hang up)"},
		)},
	{kind: KindLanguage, doc: "Let the caller pick their language (or set it).", scalar: tText, scalarKey: "set",
		fields: []field{
			collectFields[0], collectFields[1], collectFields[3], collectFields[4], collectFields[5], collectFields[6],
			{key: "options", typ: tDigitLang, req: true, doc: "key -> language, e.g. 1: en"},
		}},
	{kind: KindSet, doc: "Set variables: literal values or {{expressions}}.", scalar: 0,
		fields: nil},
	{kind: KindIf, doc: "Go to then: when the condition is true, else to else: (or next:).", scalar: tExpr, scalarKey: "cond",
		stepFields: []field{
			{key: "then", typ: tStep, req: true, doc: "where to go when the condition is true"},
			{key: "else", typ: tStep, doc: "where to go when it is false (default: next)"},
		}},
	{kind: KindSwitch, doc: "Go to the step of the first case whose condition is true.", scalar: tCases,
		stepFields: []field{
			{key: "else", typ: tStep, doc: "where to go when no case is true (default: next)"},
		}},
	{kind: KindHours, doc: "Branch on a calendar's business hours.", scalar: tName, scalarKey: "calendar",
		stepFields: []field{
			{key: "open", typ: tStep, req: true, doc: "where to go during business hours"},
			{key: "closed", typ: tStep, req: true, doc: "where to go outside business hours"},
			{key: "holiday", typ: tStep, doc: "where to go on a holiday (default: closed)"},
		}, noNext: true},
	{kind: KindLookup, doc: "Ask an HTTP JSON service and save parts of the answer in variables.",
		fields: []field{
			{key: "url", typ: tTemplate, req: true, doc: "the address; use | urlquery for values in the query"},
			{key: "method", typ: tEnum, enum: []string{"GET", "POST"}, def: "GET", doc: "GET or POST"},
			{key: "headers", typ: tHeaders, doc: "extra HTTP headers"},
			{key: "body", typ: tJSON, doc: "JSON body for POST; texts may use {{...}}"},
			{key: "timeout", typ: tDuration, def: "3s", doc: "how long to wait for the answer"},
			{key: "save", typ: tSave, doc: "variable -> JSON path in the answer, e.g. vip: customer.vip"},
			{key: "on_error", typ: tStep, doc: "where to go when the service fails (default: next)"},
		}},
	{kind: KindQueue, doc: "Wait in a queue for an agent.", scalar: tName, scalarKey: "name",
		fields: []field{
			{key: "name", typ: tName, req: true, doc: "the queue (from the queues: of ivrd.yaml)"},
			{key: "priority", typ: tExpr, def: "0", doc: "a number; higher is served first"},
			{key: "hold", typ: tHold, doc: "a hold treatment name from holds:, or one written here"},
			{key: "max_wait", typ: tDuration, doc: "give up waiting after this long"},
			{key: "on_timeout", typ: tStep, doc: "where to go after max_wait"},
		}},
	{kind: KindTransfer, doc: "Connect the caller to an endpoint or a phone number.", scalar: tTemplate, scalarKey: "to",
		fields: []field{
			{key: "to", typ: tTemplate, req: true, doc: "user/1001, sofia/gateway/carrier/+15551234, or a number"},
			{key: "caller_id", typ: tTemplate, doc: "the number shown to the other side (default: the caller's)"},
			{key: "timeout", typ: tDuration, def: "30s", doc: "how long to ring"},
			{key: "on_fail", typ: tStep, doc: "where to go on no answer or busy (default: hang up)"},
		}},
	{kind: KindCallback, doc: "Register a callback for the caller.", nullOK: true,
		fields: []field{
			{key: "number", typ: tTemplate, def: "{{caller.number}}", doc: "the number to call back"},
			{key: "reason", typ: tTemplate, doc: "why, shown to the agent"},
			{key: "queue", typ: tName, doc: "the queue the callback joins"},
			{key: "calendar", typ: tName, doc: "call back only when this calendar is open"},
			{key: "on_error", typ: tStep, doc: "where to go when the callback cannot be registered (default: next)"},
		}},
	{kind: KindSMS, doc: "Send the caller a text message.", scalar: tName, scalarKey: "template",
		fields: []field{
			{key: "template", typ: tName, doc: "a template name from the sms: templates of ivrd.yaml"},
			{key: "text", typ: tTemplate, doc: "the text itself, instead of a template"},
			{key: "to", typ: tTemplate, def: "{{caller.number}}", doc: "the number to text"},
			{key: "vars", typ: tVarValues, doc: "values for the template"},
			{key: "on_error", typ: tStep, doc: "where to go when the text cannot be sent (default: next)"},
		}},
	{kind: KindRecord, doc: "Start or stop recording the call.", scalar: tEnum, scalarKey: "action",
		fields: []field{
			{key: "action", typ: tEnum, enum: []string{"start", "stop"}, def: "start", doc: "start or stop"},
			{key: "mode", typ: tEnum, enum: []string{"whole", "bridge"}, def: "whole", doc: "whole call, or only while talking to an agent"},
			{key: "stereo", typ: tBool, def: "true", doc: "caller on the left, agent on the right"},
		}},
	{kind: KindCall, doc: "Run another flow, then come back to next.", scalar: tName, scalarKey: "flow"},
	{kind: KindReturn, doc: "End this subflow and go back to the flow that called it.", nullOK: true, noNext: true},
	{kind: KindGoto, doc: "Jump to another step.", scalar: tStep, scalarKey: "step", noNext: true},
	{kind: KindHangup, doc: "End the call.", scalar: tText, scalarKey: "cause", nullOK: true, noNext: true},
}

var kindSpecByKind = func() map[Kind]*kindSpec {
	m := make(map[Kind]*kindSpec, len(kindSpecs))
	for i := range kindSpecs {
		m[kindSpecs[i].kind] = &kindSpecs[i]
	}
	return m
}()

func keysOf(fs ...[]field) []string {
	var out []string
	for _, f := range fs {
		for _, x := range f {
			out = append(out, x.key)
		}
	}
	return out
}

func kindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = string(k)
	}
	return out
}
