package ivr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// A scenario file (flows/hotline_test.yaml) holds flow tests for flow designers: each
// scenario is one simulated call — who calls, when, what the web services answer, how busy
// the agents are, which keys the caller presses — and what must come of it: the prompts
// heard, the steps visited, the variables, the texts sent, the callbacks registered and the
// outcome. `ivrd flows test` runs them in-process with a virtual clock (no network, no
// waiting, the same result every time).
//
//	flow: hotline.yaml            # the flow under test, next to this file
//	defaults:                     # anything a scenario may say, for all of them
//	  caller: "+15551230001"
//	  time: 2026-11-24 10:00      # in the flow's time zone (or RFC 3339)
//	scenarios:
//	  - name: balance in English
//	    lookups:
//	      - url: https://bank.example/balance*   # * matches anything
//	        json: {balance: 1234.56}
//	    actions:
//	      - press: 1                # at the next moment the IVR listens for keys
//	      - wait: 6s                # say nothing for 6 s at menus and inputs
//	      - {press: 2, at: long_wait}  # only once the call is in step long_wait
//	      - hangup
//	    expect:
//	      prompts: [welcome, ..., balance_is]  # in order; ... stands for any prompts
//	      outcome: self-served

// IsScenarioFile reports whether name is a flow test (scenario) file: foo_test.yaml or
// foo_test.yml next to the flows. Flow loaders skip them; `ivrd flows test` runs them.
func IsScenarioFile(name string) bool {
	return strings.HasSuffix(name, "_test.yaml") || strings.HasSuffix(name, "_test.yml")
}

// ScenarioFile is a parsed scenario file.
type ScenarioFile struct {
	// Path is the file's path; FlowPath the flow under test (resolved next to Path).
	Path      string
	FlowPath  string
	Scenarios []*Scenario
}

// Scenario is one simulated call and its expectations.
type Scenario struct {
	Name string
	Line int

	Caller   string
	Called   string
	Time     string // "2006-01-02 15:04" in the flow's zone, or RFC 3339
	Language string
	Vars     map[string]any
	Lookups  []LookupStub
	// Queues say how each queue's agents answer: answer, no-answer, busy, rejected,
	// unavailable, in the order they are rung; "none" for a queue without agents. A queue not
	// listed has one agent who answers.
	Queues map[string][]string
	// SMSFails and CallbacksFail make the text service or the callback service refuse.
	SMSFails      bool
	CallbacksFail bool
	// TalkTime is how long an answered agent talks (default 1m).
	TalkTime time.Duration
	// QueueEngine (queue_engine: true) runs queue steps on the queue engine, as ivrd serve
	// does: hold music, announcements and promotions on their schedule, kept places for
	// hold keys. Otherwise agents are rung in rounds with the hold's messages in between.
	QueueEngine bool
	Actions     []CallerAction
	Expect      Expectation
}

// LookupStub answers the HTTP lookups whose URL matches URL ('*' matches anything).
type LookupStub struct {
	URL    string
	Method string // "" : any
	Status int    // default 200
	JSON   any    // the answer's JSON body
	Body   string // or a raw body
	// Fail simulates a failure instead of an answer: "timeout" (no answer within the
	// step's timeout) or "refused" (connection refused).
	Fail string
	// Delay is how long the service takes to answer (virtual time).
	Delay time.Duration
	Line  int
}

// Expectation is what a scenario checks; a field left out is not checked.
type Expectation struct {
	// Prompts heard, in order: prompt keys for named prompts, "say: text" for inline text,
	// file names or stream URLs. "..." matches any run of prompts.
	Prompts []string
	// Steps entered, in order ("..." as in Prompts).
	Steps []string
	// Vars that must have these values at the end (null for unset).
	Vars map[string]any
	// Texts sent, in order; each checks the fields it gives.
	Texts *[]TextExpect
	// Callbacks registered, in order.
	Callbacks *[]CallbackExpect
	Outcome   string
	Tags      []string
	Language  string
	Hangup    string // hangup cause

	// Lines of each expectation in the file, by key ("prompts", "vars", ...).
	Lines map[string]int
}

// TextExpect checks one text sent.
type TextExpect struct {
	To       string `yaml:"to"`
	Template string `yaml:"template"`
	// Text must be contained in the text's body (inline texts only).
	Text string `yaml:"text"`
}

// CallbackExpect checks one callback registered.
type CallbackExpect struct {
	Number string `yaml:"number"`
	Reason string `yaml:"reason"`
	Queue  string `yaml:"queue"`
}

// scenarioYAML is the file's syntax; it is decoded strictly.
type scenarioYAML struct {
	Flow      string          `yaml:"flow"`
	Defaults  *scenarioEntry  `yaml:"defaults"`
	Scenarios []scenarioEntry `yaml:"scenarios"`
}

type scenarioEntry struct {
	Name      string         `yaml:"name"`
	Caller    any            `yaml:"caller"`
	Called    any            `yaml:"called"`
	Time      string         `yaml:"time"`
	Language  string         `yaml:"language"`
	Vars      map[string]any `yaml:"vars"`
	Lookups   []lookupYAML   `yaml:"lookups"`
	Queues    map[string]any `yaml:"queues"`
	SMS       string         `yaml:"sms"`
	Callbacks string         `yaml:"callbacks"`
	TalkTime  string         `yaml:"talk_time"`
	// QueueEngine: see Scenario.QueueEngine.
	QueueEngine *bool       `yaml:"queue_engine"`
	Actions     []any       `yaml:"actions"`
	Expect      *expectYAML `yaml:"expect"`
}

type lookupYAML struct {
	URL    string `yaml:"url"`
	Method string `yaml:"method"`
	Status int    `yaml:"status"`
	JSON   any    `yaml:"json"`
	Body   string `yaml:"body"`
	Fail   string `yaml:"fail"`
	Delay  string `yaml:"delay"`
}

type expectYAML struct {
	Prompts   []any             `yaml:"prompts"`
	Steps     []string          `yaml:"steps"`
	Vars      map[string]any    `yaml:"vars"`
	Texts     *[]TextExpect     `yaml:"texts"`
	Callbacks *[]CallbackExpect `yaml:"callbacks"`
	Outcome   string            `yaml:"outcome"`
	Tags      []string          `yaml:"tags"`
	Language  string            `yaml:"language"`
	Hangup    string            `yaml:"hangup"`
}

// LoadScenarioFile reads and checks a scenario file. Errors name file:line:col and what to
// write instead.
func LoadScenarioFile(path string) (*ScenarioFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenarios: %w", err)
	}
	return ParseScenarioFile(path, data)
}

// ParseScenarioFile parses a scenario file held in memory; path names it in errors and
// locates the flow.
func ParseScenarioFile(path string, data []byte) (*ScenarioFile, error) {
	var raw scenarioYAML
	if err := yaml.UnmarshalWithOptions(data, &raw, yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, true))
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, true))
	}
	lines := findScenarioLines(file)
	sf := &ScenarioFile{Path: path}
	if raw.Flow == "" {
		return nil, fmt.Errorf("%s:1: say which flow the scenarios test: flow: hotline.yaml (a path next to this file)", path)
	}
	sf.FlowPath = filepath.Join(filepath.Dir(path), raw.Flow)
	if len(raw.Scenarios) == 0 {
		return nil, fmt.Errorf("%s:1: no scenarios: add scenarios: with at least one - name: ... actions: ... expect: ...", path)
	}
	var def *Scenario
	if raw.Defaults != nil {
		if def, err = convertScenario(path, *raw.Defaults, lines.defaults, nil); err != nil {
			return nil, err
		}
	}
	names := map[string]int{}
	for i, e := range raw.Scenarios {
		var ln scenarioLine
		if i < len(lines.items) {
			ln = lines.items[i]
		}
		s, err := convertScenario(path, e, ln, def)
		if err != nil {
			return nil, err
		}
		if s.Name == "" {
			return nil, fmt.Errorf("%s:%d: scenario %d has no name: give it name: (what the caller does, e.g. \"balance in English\")", path, s.Line, i+1)
		}
		if prev, dup := names[s.Name]; dup {
			return nil, fmt.Errorf("%s:%d: scenario name %q is also used at line %d; give each scenario its own name", path, s.Line, s.Name, prev)
		}
		names[s.Name] = s.Line
		sf.Scenarios = append(sf.Scenarios, s)
	}
	return sf, nil
}

// scenarioLine holds the lines of one scenario entry.
type scenarioLine struct {
	line    int
	actions []int
	lookups []int
	expect  map[string]int
}

type scenarioLines struct {
	defaults scenarioLine
	items    []scenarioLine
}

// scenarioLines finds where each scenario, action, lookup and expectation is written.
func findScenarioLines(f *ast.File) scenarioLines {
	var out scenarioLines
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return out
	}
	top := mappingOf(f.Docs[0].Body)
	if v := top["defaults"]; v != nil {
		out.defaults = entryLines(v)
	}
	if seq, ok := top["scenarios"].(*ast.SequenceNode); ok {
		for _, it := range seq.Values {
			out.items = append(out.items, entryLines(it))
		}
	}
	return out
}

func entryLines(n ast.Node) scenarioLine {
	ln := scenarioLine{line: n.GetToken().Position.Line, expect: map[string]int{}}
	m := mappingOf(n)
	if seq, ok := m["actions"].(*ast.SequenceNode); ok {
		for _, a := range seq.Values {
			ln.actions = append(ln.actions, a.GetToken().Position.Line)
		}
	}
	if seq, ok := m["lookups"].(*ast.SequenceNode); ok {
		for _, a := range seq.Values {
			ln.lookups = append(ln.lookups, a.GetToken().Position.Line)
		}
	}
	if e := m["expect"]; e != nil {
		for k, v := range mappingOf(e) {
			ln.expect[k] = v.GetToken().Position.Line
		}
	}
	return ln
}

// mappingOf returns the values of a YAML mapping by key (nil for anything else).
func mappingOf(n ast.Node) map[string]ast.Node {
	out := map[string]ast.Node{}
	switch m := n.(type) {
	case *ast.MappingNode:
		for _, v := range m.Values {
			out[v.Key.String()] = v.Value
		}
	case *ast.MappingValueNode:
		out[m.Key.String()] = m.Value
	case *ast.TagNode:
		return mappingOf(m.Value)
	}
	return out
}

// convertScenario checks one entry and applies the defaults.
func convertScenario(path string, e scenarioEntry, ln scenarioLine, def *Scenario) (*Scenario, error) {
	s := &Scenario{Name: e.Name, Line: ln.line}
	if def != nil {
		c := *def
		c.Name, c.Line, c.Actions, c.Expect = e.Name, ln.line, nil, Expectation{}
		s = &c
	}
	at := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}
	if e.Caller != nil {
		s.Caller = scalarText(e.Caller)
	}
	if e.Called != nil {
		s.Called = scalarText(e.Called)
	}
	if e.Time != "" {
		s.Time = e.Time
	}
	if e.Language != "" {
		s.Language = e.Language
	}
	if e.Vars != nil {
		s.Vars = e.Vars
	}
	if e.TalkTime != "" {
		d, err := time.ParseDuration(e.TalkTime)
		if err != nil {
			return nil, at(ln.line, "talk_time %q: write a duration such as 90s or 3m", e.TalkTime)
		}
		s.TalkTime = d
	}
	if e.QueueEngine != nil {
		s.QueueEngine = *e.QueueEngine
	}
	switch e.SMS {
	case "", "ok":
	case "fail":
		s.SMSFails = true
	default:
		return nil, at(ln.line, "sms: %q: write ok or fail", e.SMS)
	}
	switch e.Callbacks {
	case "", "ok":
	case "fail":
		s.CallbacksFail = true
	default:
		return nil, at(ln.line, "callbacks: %q: write ok or fail", e.Callbacks)
	}
	if e.Lookups != nil {
		s.Lookups = nil
		for i, l := range e.Lookups {
			line := ln.line
			if i < len(ln.lookups) {
				line = ln.lookups[i]
			}
			st := LookupStub{URL: l.URL, Method: strings.ToUpper(l.Method), Status: l.Status, JSON: l.JSON, Body: l.Body, Fail: l.Fail, Line: line}
			if st.URL == "" {
				return nil, at(line, "a lookup answer needs url: (the address it answers; * matches anything)")
			}
			switch st.Fail {
			case "", "timeout", "refused":
			default:
				return nil, at(line, "fail: %q: write timeout or refused", st.Fail)
			}
			if l.Delay != "" {
				d, err := time.ParseDuration(l.Delay)
				if err != nil {
					return nil, at(line, "delay %q: write a duration such as 500ms", l.Delay)
				}
				st.Delay = d
			}
			if st.Status == 0 {
				st.Status = 200
			}
			s.Lookups = append(s.Lookups, st)
		}
	}
	if e.Queues != nil {
		s.Queues = map[string][]string{}
		for name, v := range e.Queues {
			var outs []string
			switch x := v.(type) {
			case []any:
				for _, o := range x {
					outs = append(outs, scalarText(o))
				}
			default:
				outs = []string{scalarText(x)}
			}
			for _, o := range outs {
				if _, ok := agentOutcomes[o]; !ok {
					return nil, at(ln.line, "queue %s: agent outcome %q: write one of %s", name, o, strings.Join(sortedKeys(agentOutcomes), ", "))
				}
			}
			s.Queues[name] = outs
		}
	}
	for i, a := range e.Actions {
		line := ln.line
		if i < len(ln.actions) {
			line = ln.actions[i]
		}
		act, err := parseAction(a)
		if err != nil {
			return nil, at(line, "%v", err)
		}
		act.Line = line
		s.Actions = append(s.Actions, act)
	}
	if x := e.Expect; x != nil {
		s.Expect = Expectation{Steps: x.Steps, Vars: x.Vars, Texts: x.Texts, Callbacks: x.Callbacks,
			Outcome: x.Outcome, Tags: x.Tags, Language: x.Language, Hangup: x.Hangup, Lines: ln.expect}
		if x.Prompts != nil {
			s.Expect.Prompts = []string{}
			for _, p := range x.Prompts {
				s.Expect.Prompts = append(s.Expect.Prompts, scalarText(p))
			}
		}
		if s.Expect.Outcome != "" && !knownOutcome(Outcome(s.Expect.Outcome)) {
			return nil, at(ln.expect["outcome"], "outcome %q: write one of self-served, transferred, queued, callback registered, abandoned, error", s.Expect.Outcome)
		}
	}
	return s, nil
}

// agentOutcomes are what a scenario's queue agents may do, as hangup causes.
var agentOutcomes = map[string]string{
	"answer": "", "no-answer": "NO_ANSWER", "busy": "USER_BUSY", "rejected": "CALL_REJECTED",
	"unavailable": "NO_USER_RESPONSE", "none": "",
}

func knownOutcome(o Outcome) bool {
	switch o {
	case OutcomeSelfServed, OutcomeTransferred, OutcomeQueued, OutcomeCallback, OutcomeAbandoned, OutcomeError:
		return true
	}
	return false
}

// parseAction reads one caller action: press: KEYS, wait: DURATION, hangup.
func parseAction(a any) (CallerAction, error) {
	switch x := a.(type) {
	case string:
		if x == "hangup" {
			return CallerAction{Hangup: true}, nil
		}
		return CallerAction{}, fmt.Errorf("action %q: write - press: 1, - wait: 6s or - hangup", x)
	case map[string]any:
		var act CallerAction
		kinds := 0
		for _, k := range sortedKeys(x) {
			v := x[k]
			switch k {
			case "press":
				d := scalarText(v)
				if d == "" || !validDigits(d) {
					return CallerAction{}, fmt.Errorf("press: %q: write keys 0-9, * and # (in quotes when they start with * or #, or with 0)", d)
				}
				act.Press = d
				kinds++
			case "wait":
				d, err := time.ParseDuration(scalarText(v))
				if err != nil || d <= 0 {
					return CallerAction{}, fmt.Errorf("wait: %q: write a duration such as 6s", scalarText(v))
				}
				act.Wait = d
				kinds++
			case "hangup":
				act.Hangup = true
				kinds++
			case "at":
				act.At = scalarText(v)
			default:
				return CallerAction{}, fmt.Errorf("unknown action key %q: write press:, wait: or hangup (and at: STEP to act only in that step)", k)
			}
		}
		if kinds != 1 {
			return CallerAction{}, errors.New("an action does one thing: - press: 1, - wait: 6s or - hangup (one per line; at: STEP may go with it)")
		}
		return act, nil
	}
	return CallerAction{}, fmt.Errorf("action %v: write - press: 1, - wait: 6s or - hangup", a)
}

// scalarText renders a YAML scalar as the designer wrote it (numbers without decoration).
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", x), "0"), ".")
	}
	return fmt.Sprint(v)
}

// ScenarioFiles expands files and folders into the scenario files to run (*_test.yaml).
func ScenarioFiles(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot open %s: %w", p, err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("cannot list %s: %w", p, err)
		}
		var found []string
		for _, e := range ents {
			if !e.IsDir() && IsScenarioFile(e.Name()) {
				found = append(found, filepath.Join(p, e.Name()))
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no scenario files (*_test.yaml) in %s", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
