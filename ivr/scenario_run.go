package ivr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
	"github.com/ivrd/ivrd/sms"
)

// ScenarioEnv is what scenarios run with besides the scenario file: the catalog the flows are
// loaded with (calendars, queues, templates from ivrd.yaml).
type ScenarioEnv struct {
	Catalog *Catalog
}

// ScenarioResult is one scenario's run.
type ScenarioResult struct {
	File     string
	Scenario *Scenario
	// Failures are the expectations not met (empty: the scenario passed).
	Failures []ScenarioFailure
	// Transcript is what happened on the simulated call.
	Transcript []FakeEvent
	Record     *CallRecord
	Heard      []string
	Texts      []sms.Text
	Callbacks  []CallbackRequest
}

// Passed reports whether every expectation was met.
func (r *ScenarioResult) Passed() bool { return len(r.Failures) == 0 }

// ScenarioFailure is one expectation not met, at a line of the scenario file.
type ScenarioFailure struct {
	Line     int
	What     string // "prompts", "outcome", ...
	Expected string
	Got      string
	// Note explains the difference ("first difference at item 4").
	Note string
}

// defaultScenarioStart is the clock of scenarios that give no time: a Monday morning.
var defaultScenarioStart = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// RunScenarioFile loads the flow under test (with the other flows of its folder, for
// subflows) and runs every scenario. The error is for a flow that does not load; failed
// expectations are in the results.
func RunScenarioFile(ctx context.Context, sf *ScenarioFile, env ScenarioEnv) ([]*ScenarioResult, error) {
	cat := env.Catalog
	if cat == nil {
		cat = &Catalog{}
	}
	set, ds := LoadFiles(cat, filepath.Dir(sf.FlowPath))
	if ds.HasErrors() {
		return nil, fmt.Errorf("%s: the flow does not load (run ivrd flows lint): %w", sf.Path, ds.Err())
	}
	var flow *Flow
	var all []VersionedFlow
	for _, f := range set.Flows {
		all = append(all, VersionedFlow{Flow: f, Version: "test"})
		if filepath.Clean(f.File) == filepath.Clean(sf.FlowPath) {
			flow = f
		}
	}
	if flow == nil {
		return nil, fmt.Errorf("%s: flow file %s not found (flow: is relative to the scenario file)", sf.Path, sf.FlowPath)
	}
	flows := NewFlowSet(all...)
	var out []*ScenarioResult
	for i, s := range sf.Scenarios {
		r, err := runScenario(ctx, sf, flows, flow, cat, s, i)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// runScenario runs one scenario on a FakeChannel and checks it.
func runScenario(ctx context.Context, sf *ScenarioFile, flows *FlowSet, flow *Flow, cat *Catalog, s *Scenario, i int) (*ScenarioResult, error) {
	res := &ScenarioResult{File: sf.Path, Scenario: s}
	loc := flow.Location
	if loc == nil {
		loc = time.UTC
	}
	start := defaultScenarioStart.In(loc)
	if s.Time != "" {
		t, err := parseScenarioTime(s.Time, loc)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: time %q: %w", sf.Path, s.Line, s.Time, err)
		}
		start = t
	}
	caller, called := orDefault(s.Caller, "+15550001111"), orDefault(s.Called, "5000")
	ch := NewFakeChannel(fmt.Sprintf("scenario-%d", i+1), caller, called, start, s.Actions)
	talk := orDefault(s.TalkTime, time.Minute)

	// Queues: the agents of each queue behave as the scenario says.
	queues := &AgentRollover{Queues: map[string]*QueueConfig{}, MaxRounds: 3}
	agentCause := map[string]string{}
	for _, f := range flows.all() {
		for _, st := range f.Steps {
			if st.Kind == KindQueue {
				queues.Queues[st.Queue.Name] = &QueueConfig{Agents: []string{"agent/" + st.Queue.Name + "/1"}}
			}
		}
	}
	for name, outs := range s.Queues {
		qc := &QueueConfig{}
		for n, o := range outs {
			if o == "none" {
				continue
			}
			ep := fmt.Sprintf("agent/%s/%d", name, n+1)
			qc.Agents = append(qc.Agents, ep)
			agentCause[ep] = agentOutcomes[o]
		}
		queues.Queues[name] = qc
	}
	ch.Agents = func(req BridgeRequest) BridgeResult {
		if cause := agentCause[req.Endpoint]; cause != "" {
			return BridgeResult{Cause: cause}
		}
		return BridgeResult{Answered: true, Cause: "NORMAL_CLEARING", Talk: talk}
	}

	stubs := &stubTransport{stubs: s.Lookups, ch: ch}
	texts := &recordingTexter{fail: s.SMSFails}
	callbacks := &recordingRegistrar{fail: s.CallbacksFail}
	var joiner QueueJoiner = queues
	var registrar CallbackRegistrar = callbacks
	if s.QueueEngine {
		eng, stop, err := scenarioQueueEngine(ctx, queues.Queues)
		if err != nil {
			return nil, err
		}
		defer stop()
		joiner, registrar = eng, eng.KeepPlace(callbacks)
	}
	rt, err := NewRuntime(Config{
		Flows: flows, Calendars: cat.Calendars, Queues: joiner, Callbacks: registrar, Texter: texts,
		HTTP: &http.Client{Transport: stubs}, Clock: ch, RecordingsDir: "/recordings",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	vars := map[string]expr.Value{}
	for k, v := range s.Vars {
		vars[k] = expr.FromAny(v)
	}
	rec := rt.Run(ctx, ch, CallOptions{Flow: flow.Name, Language: s.Language, Vars: vars, Clock: ch,
		OnStep: func(_ *Flow, st *Step) { ch.SetStep(st.Name) }})
	res.Record, res.Transcript, res.Heard = rec, ch.Events(), ch.Heard()
	res.Texts, res.Callbacks = texts.sent, callbacks.got

	res.check(s, ch, stubs)
	return res, nil
}

// parseScenarioTime reads "2006-01-02 15:04" (in loc) or RFC 3339.
func parseScenarioTime(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	return time.Time{}, errors.New(`write "2026-11-24 10:00" (the flow's time zone) or RFC 3339 such as 2026-11-24T10:00:00-05:00`)
}

// check compares the call with the scenario's expectations.
func (r *ScenarioResult) check(s *Scenario, ch *FakeChannel, stubs *stubTransport) {
	x := s.Expect
	line := func(key string) int {
		if l := x.Lines[key]; l != 0 {
			return l
		}
		return s.Line
	}
	fail := func(key, exp, got, note string) {
		r.Failures = append(r.Failures, ScenarioFailure{Line: line(key), What: key, Expected: exp, Got: got, Note: note})
	}
	for _, u := range stubs.unmatched {
		r.Failures = append(r.Failures, ScenarioFailure{Line: s.Line, What: "lookups",
			Note: fmt.Sprintf("the flow asked %s and no lookup answer matches it: add one under lookups: (url: with * for any part)", u)})
	}
	if x.Prompts != nil {
		if ok, note := matchList(x.Prompts, r.Heard, promptMatches); !ok {
			fail("prompts", listText(x.Prompts), listText(r.Heard), note)
		}
	}
	if x.Steps != nil {
		steps := r.Record.Steps()
		if ok, note := matchList(x.Steps, steps, func(e, g string) bool { return e == g }); !ok {
			fail("steps", listText(x.Steps), listText(steps), note)
		}
	}
	for _, name := range sortedKeys(x.Vars) {
		want := scalarText(x.Vars[name])
		got, set := r.Record.Vars[name]
		if want != got {
			g := fmt.Sprintf("%q", got)
			if !set {
				g = "(not set)"
			}
			fail("vars", fmt.Sprintf("%s = %q", name, want), fmt.Sprintf("%s = %s", name, g), "")
		}
	}
	if x.Texts != nil {
		if ok, note := matchTexts(*x.Texts, r.Texts); !ok {
			fail("texts", textsExpText(*x.Texts), textsText(r.Texts), note)
		}
	}
	if x.Callbacks != nil {
		if ok, note := matchCallbacks(*x.Callbacks, r.Callbacks); !ok {
			fail("callbacks", callbacksExpText(*x.Callbacks), callbacksText(r.Callbacks), note)
		}
	}
	if x.Outcome != "" && Outcome(x.Outcome) != r.Record.Outcome {
		note := ""
		if r.Record.Error != "" {
			note = "error: " + r.Record.Error
		}
		fail("outcome", x.Outcome, string(r.Record.Outcome), note)
	}
	if x.Tags != nil && listText(x.Tags) != listText(r.Record.Tags) {
		fail("tags", listText(x.Tags), listText(r.Record.Tags), "")
	}
	if x.Language != "" && x.Language != r.Record.Language {
		fail("language", x.Language, r.Record.Language, "")
	}
	if x.Hangup != "" && x.Hangup != r.Record.HangupCause {
		fail("hangup", x.Hangup, r.Record.HangupCause, "")
	}
	var left []CallerAction
	for _, a := range ch.Unused() {
		if a.Wait == 0 { // a caller still silent when the call ends is no surprise
			left = append(left, a)
		}
	}
	if len(left) > 0 {
		var parts []string
		for _, a := range left {
			parts = append(parts, fmt.Sprintf("%s (line %d)", actionText(a), a.Line))
		}
		r.Failures = append(r.Failures, ScenarioFailure{Line: left[0].Line, What: "actions",
			Note: "the call ended before the caller did: " + strings.Join(parts, ", ")})
	}
}

func actionText(a CallerAction) string {
	switch {
	case a.Hangup:
		return "hangup"
	case a.Press != "":
		return "press " + a.Press
	}
	return "wait " + a.Wait.String()
}

// promptMatches compares an expected prompt with one heard: the same text, the text of a
// say: prompt, or a file named by its base name.
func promptMatches(exp, got string) bool {
	if exp == got || "say: "+exp == got {
		return true
	}
	return strings.HasSuffix(got, "/"+exp)
}

// matchList matches got against exp, where "..." in exp stands for any run of items.
func matchList(exp, got []string, eq func(e, g string) bool) (bool, string) {
	if listMatch(exp, got, eq) {
		return true, ""
	}
	// Explain: the first place where the lists part.
	i := 0
	for i < len(exp) && i < len(got) && exp[i] != "..." && eq(exp[i], got[i]) {
		i++
	}
	switch {
	case i < len(exp) && exp[i] == "...":
		return false, fmt.Sprintf("the items after ... (item %d) are not found in that order", i+1)
	case i == len(exp):
		return false, fmt.Sprintf("%d more than expected, from item %d: %q", len(got)-len(exp), i+1, got[i])
	case i == len(got):
		return false, fmt.Sprintf("the call heard/went through only %d; missing from item %d: %q", len(got), i+1, exp[i])
	}
	return false, fmt.Sprintf("first difference at item %d: expected %q, got %q", i+1, exp[i], got[i])
}

func listMatch(exp, got []string, eq func(e, g string) bool) bool {
	if len(exp) == 0 {
		return len(got) == 0
	}
	if exp[0] == "..." {
		for k := 0; k <= len(got); k++ {
			if listMatch(exp[1:], got[k:], eq) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && eq(exp[0], got[0]) && listMatch(exp[1:], got[1:], eq)
}

func listText(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}

func matchTexts(exp []TextExpect, got []sms.Text) (bool, string) {
	if len(exp) != len(got) {
		return false, fmt.Sprintf("expected %d text(s), %d sent", len(exp), len(got))
	}
	for i, e := range exp {
		g := got[i]
		switch {
		case e.To != "" && e.To != g.To:
			return false, fmt.Sprintf("text %d went to %s", i+1, g.To)
		case e.Template != "" && e.Template != g.Template:
			return false, fmt.Sprintf("text %d used template %q", i+1, g.Template)
		case e.Text != "" && !strings.Contains(g.Body, e.Text):
			return false, fmt.Sprintf("text %d says %q", i+1, g.Body)
		}
	}
	return true, ""
}

func textsExpText(l []TextExpect) string {
	var parts []string
	for _, t := range l {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %s %s", orDefault(t.To, ""), t.Template, quoteIf(t.Text))))
	}
	return listText(parts)
}

func textsText(l []sms.Text) string {
	var parts []string
	for _, t := range l {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %s %s", t.To, t.Template, quoteIf(t.Body))))
	}
	return listText(parts)
}

func matchCallbacks(exp []CallbackExpect, got []CallbackRequest) (bool, string) {
	if len(exp) != len(got) {
		return false, fmt.Sprintf("expected %d callback(s), %d registered", len(exp), len(got))
	}
	for i, e := range exp {
		g := got[i]
		switch {
		case e.Number != "" && e.Number != g.Number:
			return false, fmt.Sprintf("callback %d is for %s", i+1, g.Number)
		case e.Reason != "" && e.Reason != g.Reason:
			return false, fmt.Sprintf("callback %d has reason %q", i+1, g.Reason)
		case e.Queue != "" && e.Queue != g.Queue:
			return false, fmt.Sprintf("callback %d is for queue %q", i+1, g.Queue)
		}
	}
	return true, ""
}

func callbacksExpText(l []CallbackExpect) string {
	var parts []string
	for _, c := range l {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %s %s", c.Number, quoteIf(c.Reason), c.Queue)))
	}
	return listText(parts)
}

func callbacksText(l []CallbackRequest) string {
	var parts []string
	for _, c := range l {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %s %s", c.Number, quoteIf(c.Reason), c.Queue)))
	}
	return listText(parts)
}

func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

// all lists the flows of the set.
func (s *FlowSet) all() []*Flow {
	m := s.cur.Load()
	if m == nil {
		return nil
	}
	out := make([]*Flow, 0, len(*m))
	for _, name := range sortedKeys(*m) {
		out = append(out, (*m)[name].Flow)
	}
	return out
}

// stubTransport answers lookups from a scenario's lookup answers.
type stubTransport struct {
	stubs     []LookupStub
	ch        *FakeChannel
	mu        sync.Mutex
	unmatched []string
}

// RoundTrip implements http.RoundTripper.
func (t *stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	url := req.URL.String()
	for _, st := range t.stubs {
		if st.Method != "" && st.Method != req.Method {
			continue
		}
		if !globMatch(st.URL, url) {
			continue
		}
		t.ch.Advance(st.Delay)
		switch st.Fail {
		case "timeout":
			if dl, ok := req.Context().Deadline(); ok {
				t.ch.Advance(time.Until(dl).Round(100 * time.Millisecond))
			}
			return nil, fmt.Errorf("simulated timeout: %w", context.DeadlineExceeded)
		case "refused":
			return nil, errors.New("simulated: connection refused")
		}
		body := []byte(st.Body)
		if st.JSON != nil {
			b, err := json.Marshal(jsonable(st.JSON))
			if err != nil {
				return nil, fmt.Errorf("lookup answer at line %d: %w", st.Line, err)
			}
			body = b
		}
		return &http.Response{
			StatusCode: st.Status, Status: fmt.Sprintf("%d %s", st.Status, http.StatusText(st.Status)),
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}, nil
	}
	t.mu.Lock()
	t.unmatched = append(t.unmatched, req.Method+" "+url)
	t.mu.Unlock()
	return nil, errors.New("no lookup answer in the scenario matches this address")
}

// jsonable turns YAML-decoded maps (map[string]any with any keys) into JSON-encodable values.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = jsonable(e)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = jsonable(e)
		}
		return l
	}
	return v
}

var globCache sync.Map

// globMatch matches s against pattern where '*' matches any run of characters.
func globMatch(pattern, s string) bool {
	v, ok := globCache.Load(pattern)
	if !ok {
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		v, _ = globCache.LoadOrStore(pattern, regexp.MustCompile("^"+strings.Join(parts, ".*")+"$"))
	}
	return v.(*regexp.Regexp).MatchString(s)
}

// recordingTexter keeps the texts a scenario sends.
type recordingTexter struct {
	fail bool
	sent []sms.Text
}

func (r *recordingTexter) Send(_ context.Context, t sms.Text) (sms.Queued, error) {
	if r.fail {
		return sms.Queued{}, errors.New("simulated: the text service refused")
	}
	r.sent = append(r.sent, t)
	return sms.Queued{ID: int64(len(r.sent)), To: t.To, Body: t.Body, Lang: t.Lang}, nil
}

// recordingRegistrar keeps the callbacks a scenario registers.
type recordingRegistrar struct {
	fail bool
	got  []CallbackRequest
}

func (r *recordingRegistrar) RegisterCallback(_ context.Context, req CallbackRequest) (CallbackReceipt, error) {
	if r.fail {
		return CallbackReceipt{}, errors.New("simulated: the callback service refused")
	}
	r.got = append(r.got, req)
	return CallbackReceipt{ID: fmt.Sprintf("cb-%d", len(r.got))}, nil
}
