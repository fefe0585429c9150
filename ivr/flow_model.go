package ivr

import (
	"fmt"
	"regexp"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
)

// This file is the flow model: what the parser (LoadFlow, LoadFlows) produces and what the
// runtime walks. Everything in it is resolved and ready to execute:
//   - step references are *Step pointers (nil means "no such branch", see each field),
//   - expressions and templates are compiled (*expr.Expr, *expr.Template),
//   - durations are time.Duration with the defaults already applied,
//   - prompt references point at their *Prompt, calendars at their *Calendar.
//
// A Flow is immutable once loaded; many calls may walk it at the same time.

// Defaults applied by the parser when a flow does not say otherwise.
const (
	DefaultMenuTimeout   = 5 * time.Second // wait for the first digit
	DefaultDigitTimeout  = 2 * time.Second // wait between digits
	DefaultTries         = 3               // menu and input attempts
	DefaultLookupTimeout = 3 * time.Second // HTTP lookup deadline
	DefaultTransferWait  = 30 * time.Second
	DefaultHangupCause   = "NORMAL_CLEARING"
	DefaultLanguage      = "en"
	DefaultConfirmYes    = "1"
	DefaultConfirmNo     = "2"
)

// BuiltinNames are the names the runtime provides to expressions and templates besides the
// flow's own vars.<name>; the loader rejects any other name. now (no second word) is the
// current time in Flow.Location, with fields now.hour, now.weekday ("mon"), now.time
// ("08:30"), now.date ("2026-12-24"), ...
//
//	caller.number   the caller's number (E.164 when known)
//	caller.name     the caller ID name ("" when unknown)
//	call.called     the number the caller dialled (the callback number on callbacks)
//	call.id         the call's unique id
//	call.language   the caller's current language ("en")
//	call.direction  "inbound", or "outbound" for callbacks
var BuiltinNames = map[string][]string{
	"caller": {"number", "name"},
	"call":   {"called", "id", "language", "direction"},
	"now":    nil,
}

// Pos is a place in a flow file, 1-based, as printed in errors ("flows/x.yaml:12:5").
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Flow is one flow file: a named set of steps a call walks from Start.
type Flow struct {
	// Name is `flow:` or, when absent, the file name without .yaml. Routes and `call:` use it.
	Name        string
	Version     string
	Description string
	// File is the path the flow was loaded from (as given to the loader).
	File string
	Pos  Pos

	// Languages the caller may use, in the order declared; Languages[0] when the flow says
	// nothing is DefaultLanguage. DefaultLanguage is the language before the caller picks one.
	Languages       []string
	DefaultLanguage string
	// Location is `timezone:` (default UTC): the zone of `now` in this flow's expressions.
	Location *time.Location

	// Prompts by key: the audio for each language.
	Prompts map[string]*Prompt
	// Vars are the declared variables with their default values, set when the call starts
	// (before any value the caller's context passes in, e.g. a callback's reason).
	Vars map[string]expr.Value
	// Holds are the hold treatments declared under `holds:` by name.
	Holds map[string]*Hold

	// Start is the first step (`start:` or the step named "start", else the first step).
	Start *Step
	// Steps in file order; Steps[i].Index == i.
	Steps []*Step
	// ByName finds a step by its name.
	ByName map[string]*Step

	// definedVars are the variables the flow gives a value (vars:, set:, input, lookup).
	definedVars map[string]bool
	// pendingVars are variables read but not defined here, in a flow that shares its
	// variables with others (call:/return:); they are checked when flows are linked.
	pendingVars []pendingVar
}

type pendingVar struct {
	name string
	pos  Pos
}

// Kind says which one action a step performs.
type Kind string

// The step kinds, named as the YAML key that selects them.
const (
	KindPlay     Kind = "play"
	KindMenu     Kind = "menu"
	KindInput    Kind = "input"
	KindSet      Kind = "set"
	KindIf       Kind = "if"
	KindSwitch   Kind = "switch"
	KindHours    Kind = "hours"
	KindLookup   Kind = "lookup"
	KindQueue    Kind = "queue"
	KindTransfer Kind = "transfer"
	KindCallback Kind = "callback"
	KindSMS      Kind = "sms"
	KindRecord   Kind = "record"
	KindCall     Kind = "call"
	KindReturn   Kind = "return"
	KindGoto     Kind = "goto"
	KindHangup   Kind = "hangup"
	KindLanguage Kind = "language"
)

// Kinds lists every step kind in the order the format reference documents them.
var Kinds = []Kind{
	KindPlay, KindMenu, KindInput, KindLanguage, KindSet, KindIf, KindSwitch, KindHours,
	KindLookup, KindQueue, KindTransfer, KindCallback, KindSMS, KindRecord, KindCall,
	KindReturn, KindGoto, KindHangup,
}

// Step is one named step of a flow. Exactly one of the kind fields (Play ... Language) is
// set, the one named by Kind. Next is where the call goes when the action completes
// normally; nil means the step ends the call (hangup, transfer, queue and return also end
// it on their own; a nil Next elsewhere is a "dead end" the linter warns about, and the
// runtime hangs up).
type Step struct {
	Name  string
	Index int // position in Flow.Steps
	Kind  Kind
	Pos   Pos
	// Tag, when set, is recorded on the call when the step runs (follow-up rules match it).
	Tag  string
	Next *Step

	Play     *PlayStep
	Menu     *MenuStep
	Input    *InputStep
	Language *LanguageStep
	Set      *SetStep
	If       *IfStep
	Switch   *SwitchStep
	Hours    *HoursStep
	Lookup   *LookupStep
	Queue    *QueueStep
	Transfer *TransferStep
	Callback *CallbackStep
	SMS      *SMSStep
	Record   *RecordStep
	Call     *CallStep
	Return   *ReturnStep
	Goto     *GotoStep
	Hangup   *HangupStep
}

// AudioKind says what an audio item is.
type AudioKind int

// The kinds of audio item.
const (
	// AudioFile is a sound file: Path is absolute or relative to the flow's directory (as
	// resolved by the loader: SoundsDir or the flow's directory), ready for playback.
	AudioFile AudioKind = iota + 1
	// AudioURL is a FreeSWITCH stream URL played as is: tone_stream://, silence_stream://,
	// local_stream://, http(s)://, say:, ... (URL holds it).
	AudioURL
	// AudioSilence is Silence of quiet (silence_stream://<ms>).
	AudioSilence
	// AudioSay is text-to-speech: render Text with the call's variables and speak it in the
	// caller's language.
	AudioSay
	// AudioPrompt is a reference to Prompt: play Prompt.For(caller language).
	AudioPrompt
)

// Audio is one item of something to play. A step plays a []Audio in order.
type Audio struct {
	Kind    AudioKind
	Pos     Pos
	Path    string         // AudioFile: resolved path
	URL     string         // AudioURL
	Silence time.Duration  // AudioSilence
	Text    *expr.Template // AudioSay
	Prompt  *Prompt        // AudioPrompt
	// Lang, when set, overrides the caller's language for this item: the voice of AudioSay,
	// the version of AudioPrompt (e.g. "中文服务请按2" spoken in zh in a language menu).
	Lang string
	// Duration is the analyser's estimate of how long the item plays (WAV header, words of
	// text, tone length); 0 when unknown. Not needed by the runtime.
	Duration time.Duration
}

// Prompt is a named prompt with audio per language.
type Prompt struct {
	Key    string
	Pos    Pos
	ByLang map[string][]Audio
	// Fallback is played for languages the prompt has no entry for (the flow's default
	// language entry, or the first one present).
	Fallback []Audio
}

// For returns the audio of the prompt in lang, or the fallback.
func (p *Prompt) For(lang string) []Audio {
	if a, ok := p.ByLang[lang]; ok {
		return a
	}
	return p.Fallback
}

// PlayStep plays audio, then goes to Next.
type PlayStep struct {
	Audio []Audio
	// BargeIn lets a digit stop the playback (default false for play; the digit is kept for
	// a following menu or input, as FreeSWITCH's playback terminators do).
	BargeIn bool
}

// DigitChoice is one key of a menu (or language choice) and where it leads.
type DigitChoice struct {
	Digits string // "1", "0", "*", "#", or several digits such as "11"
	Pos    Pos
	Step   *Step  // MenuStep: the step to go to
	Lang   string // LanguageStep: the language chosen
}

// Collect are the digit-collection settings shared by menu, input and language steps.
type Collect struct {
	Prompt       []Audio
	Timeout      time.Duration // first digit; default DefaultMenuTimeout
	DigitTimeout time.Duration // between digits; default DefaultDigitTimeout
	Tries        int           // default DefaultTries
	// InvalidPrompt is played after a wrong entry, TimeoutPrompt after no entry (both may be
	// empty: then the prompt simply repeats).
	InvalidPrompt []Audio
	TimeoutPrompt []Audio
	// BargeIn lets the first digit stop the prompt (default true).
	BargeIn bool
}

// MenuStep plays a prompt and waits for one of Options. After Tries failed attempts the call
// goes to OnFail (nil: hang up).
type MenuStep struct {
	Collect
	Options []DigitChoice
	// MaxDigits is the length of the longest option (1 for ordinary menus).
	MaxDigits int
	OnFail    *Step
}

// InputStep collects several digits into the variable Into (vars.<Into>), then goes to
// Next; after Tries failed attempts it goes to OnFail (nil: hang up).
type InputStep struct {
	Collect
	Into       string
	Min, Max   int    // length bounds; defaults 1 and 20
	Terminator string // key that ends the entry early, default "#"; "" for none
	// Regex, when set, must match the whole entry (compiled with ^...$ anchors added if
	// the designer left them out).
	Regex   *regexp.Regexp
	Confirm *Confirm // nil: no read-back
	OnFail  *Step
}

// Confirm reads the entry back and asks the caller to confirm it.
type Confirm struct {
	// Prompt is the read-back, rendered after the entry is stored in vars.<Into>. The default
	// is a built-in text per language ("You entered 1 2 3 4. If this is correct press 1,
	// to enter it again press 2.").
	Prompt []Audio
	Yes    string // default "1"
	No     string // default "2": ask again (counts as a try)
}

// LanguageStep lets the caller pick their language once (Options), or sets it (Set != "").
// After Tries failed attempts the language stays as it was and the call goes on to Next.
type LanguageStep struct {
	Collect
	Options []DigitChoice // Lang set on each
	Set     string        // language set directly, without asking
}

// Assignment is one variable a set step assigns.
type Assignment struct {
	Var string // name in vars
	Pos Pos
	// Value is evaluated at the time the step runs. A literal YAML value is a template with
	// no expressions; "{{expr}}" alone keeps the expression's type (number, bool, ...).
	Value *expr.Template
}

// SetStep assigns variables in order, then goes to Next.
type SetStep struct {
	Assign []Assignment
}

// IfStep goes to Then when Cond is true, else to Else (which the parser sets to the step's
// Next when `else:` is absent; nil: hang up).
type IfStep struct {
	Cond *expr.Expr
	Then *Step
	Else *Step
}

// Case is one branch of a switch.
type Case struct {
	When *expr.Expr
	Pos  Pos
	Step *Step
}

// SwitchStep goes to the Step of the first Case whose When is true, else to Else (set to
// Next when `else:` is absent; nil: hang up).
type SwitchStep struct {
	Cases []Case
	Else  *Step
}

// HoursStep checks a calendar at the moment it runs: Open when the calendar is open,
// Holiday on a holiday (set to Closed when `holiday:` is absent), Closed otherwise.
type HoursStep struct {
	CalendarName string
	Calendar     *Calendar // nil when the loader had no calendar catalog
	Open         *Step
	Closed       *Step
	Holiday      *Step
}

// Saved is one value a lookup copies from the JSON response into vars.<Var>.
type Saved struct {
	Var  string
	Path *JSONPath
	Pos  Pos
}

// LookupStep calls an HTTP JSON API and copies values of the response into variables. Any
// failure (timeout, connection error, non-2xx status, response that is not JSON) goes to
// OnError (nil: Next, with the variables left unchanged). A path missing from the response
// sets the variable to null, which is not an error.
type LookupStep struct {
	Method  string                    // GET (default) or POST
	URL     *expr.Template            // query values should be piped through urlquery
	Headers map[string]*expr.Template // header name -> value
	// Body is the JSON body (POST); nil for none.
	Body    *JSONTemplate
	Timeout time.Duration // default DefaultLookupTimeout
	Save    []Saved
	OnError *Step
}

// Hold is a hold treatment: what a caller hears while waiting in a queue, and the keys they
// may press.
type Hold struct {
	Name string
	Pos  Pos
	// Music loops under everything (e.g. local_stream://moh); empty: silence.
	Music []Audio
	// Announce is played every AnnounceEvery (e.g. "your call is important"). Position and
	// wait-time announcements are switched on with AnnouncePosition / AnnounceWait.
	Announce         []Audio
	AnnounceEvery    time.Duration // default 60s
	AnnouncePosition bool
	AnnounceWait     bool
	// Promos are played in rotation, one every PromoEvery (default 45s): e.g. the text
	// service ("text us at ... for your balance").
	Promos     [][]Audio
	PromoEvery time.Duration
	// Keys the caller may press while waiting; each leads to a step. Whether the caller
	// keeps their place (e.g. a callback request) is the queue runtime's matter.
	Keys []DigitChoice
}

// QueueStep puts the caller in a named queue until an agent answers. When the agent call
// ends the call goes to Next (nil: hang up). MaxWait > 0 bounds the wait: then OnTimeout.
type QueueStep struct {
	Name string
	// Priority is a number expression; higher is served first. nil: 0.
	Priority *expr.Expr
	// Hold is the treatment (a named one from `holds:` or inline); nil: the queue's default.
	Hold      *Hold
	HoldName  string // when Hold came from a name (flow `holds:` or the catalog)
	MaxWait   time.Duration
	OnTimeout *Step
}

// TransferStep bridges the caller to an endpoint (user/1001, sofia/gateway/x/123) or a
// phone number (To has no '/'), rendering To first. On no answer / busy / failure within
// Timeout it goes to OnFail (nil: hang up); after a successful bridge ends, to Next.
type TransferStep struct {
	To       *expr.Template
	CallerID *expr.Template // nil: keep the caller's number
	Timeout  time.Duration  // default DefaultTransferWait
	OnFail   *Step
}

// CallbackStep registers a callback for the caller: ivrd will phone Number back (at the
// next time Calendar is open, when set) and put the answered call in Queue. Then Next; when
// the request cannot be stored (invalid number, opted out) OnError (nil: Next).
type CallbackStep struct {
	Number       *expr.Template // default "{{caller.number}}"
	Reason       *expr.Template // free text, e.g. "small business loan"
	Queue        string         // "" : the callback default queue
	CalendarName string
	Calendar     *Calendar
	OnError      *Step
}

// SMSStep sends a text to the caller: a named Template (from the SMS config) with Vars, or
// inline Text. Then Next; when it cannot be sent or queued OnError (nil: Next).
type SMSStep struct {
	To       *expr.Template // default "{{caller.number}}"
	Template string         // name in the SMS templates; "" when Text is used
	Text     *expr.Template // inline text; nil when Template is used
	// Vars are extra variables for the template, evaluated in the call (names sorted).
	Vars    []Assignment
	OnError *Step
}

// RecordMode says what a recording captures.
type RecordMode string

// Recording modes.
const (
	RecordWhole  RecordMode = "whole"  // from now until stop or hangup (record_session)
	RecordBridge RecordMode = "bridge" // only while bridged to an agent
)

// RecordStep starts or stops recording the call, then goes to Next.
type RecordStep struct {
	Stop   bool // false: start
	Mode   RecordMode
	Stereo bool // caller left, other party right (default true)
}

// CallStep runs another flow (by name) as a subflow with the same call and variables; when
// the subflow reaches a return step the call continues at Next. Flow is resolved when flows
// are loaded together (LoadFlows); nil when the target flow was not loaded.
type CallStep struct {
	FlowName string
	Flow     *Flow
	pos      Pos // of the flow name, for errors
}

// ReturnStep ends a subflow and continues in the calling flow. In a flow that was not called,
// it hangs up.
type ReturnStep struct{}

// GotoStep jumps to Target (Next is unused).
type GotoStep struct {
	Target *Step
}

// HangupStep ends the call with a FreeSWITCH hangup cause (default NORMAL_CLEARING).
type HangupStep struct {
	Cause string
}

// Edge is one way out of a step, for analysis and graphs.
type Edge struct {
	Label string // "next", "1", "on_fail", "then", "open", ...
	To    *Step
}

// Edges lists every way out of the step, in a stable order, nil targets left out.
func (s *Step) Edges() []Edge {
	return s.appendEdges(make([]Edge, 0, s.edgeCap()))
}

// edgeCap is how many edges a step has at most.
func (s *Step) edgeCap() int {
	n := 2
	switch s.Kind {
	case KindMenu:
		n += len(s.Menu.Options)
	case KindSwitch:
		n += len(s.Switch.Cases)
	case KindQueue:
		if s.Queue.Hold != nil {
			n += len(s.Queue.Hold.Keys)
		}
	}
	return n
}

// appendEdges appends the step's edges (as Edges lists them) to out.
func (s *Step) appendEdges(out []Edge) []Edge {
	add := func(label string, to *Step) {
		if to != nil {
			out = append(out, Edge{Label: label, To: to})
		}
	}
	switch s.Kind {
	case KindMenu:
		for _, o := range s.Menu.Options {
			add(o.Digits, o.Step)
		}
		add("on_fail", s.Menu.OnFail)
	case KindInput:
		add("next", s.Next)
		add("on_fail", s.Input.OnFail)
		return out
	case KindIf:
		add("then", s.If.Then)
		add("else", s.If.Else)
		return out
	case KindSwitch:
		for _, c := range s.Switch.Cases {
			add(c.When.String(), c.Step)
		}
		add("else", s.Switch.Else)
		return out
	case KindHours:
		add("open", s.Hours.Open)
		add("closed", s.Hours.Closed)
		if s.Hours.Holiday != s.Hours.Closed {
			add("holiday", s.Hours.Holiday)
		}
		return out
	case KindLookup:
		add("on_error", s.Lookup.OnError)
	case KindQueue:
		if s.Queue.Hold != nil {
			for _, k := range s.Queue.Hold.Keys {
				add("hold "+k.Digits, k.Step)
			}
		}
		add("on_timeout", s.Queue.OnTimeout)
	case KindTransfer:
		add("on_fail", s.Transfer.OnFail)
	case KindCallback:
		add("on_error", s.Callback.OnError)
	case KindSMS:
		add("on_error", s.SMS.OnError)
	case KindGoto:
		add("goto", s.Goto.Target)
		return out
	}
	add("next", s.Next)
	return out
}
