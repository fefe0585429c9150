package ivr

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ivrd/ivrd/ivr/expr"
)

var digitsRE = regexp.MustCompile(`^[0-9*#]{1,8}$`)
var causeRE = regexp.MustCompile(`^[A-Z][A-Z_]*$`)

// parseStep reads one step: exactly one kind key, plus next:, tag: and the kind's own
// step-level keys.
func (p *flowParser) parseStep(s *Step, se *entry) {
	pairs, ok := p.pairs(se.val, "step key")
	if !ok {
		p.errorf(se.vpos(&p.nodeReader), "step %q must be a mapping with one action such as play:, menu: or goto:, not %s", s.Name, p.describe(se.val))
		return
	}
	var kindEntry *entry
	var spec *kindSpec
	for _, e := range pairs {
		if ks := kindSpecByKind[Kind(e.key)]; ks != nil {
			if kindEntry != nil {
				p.errorf(e.kpos, "step %q has both %s: and %s: but a step does one thing; split it into two steps joined by next:", s.Name, kindEntry.key, e.key)
				continue
			}
			kindEntry, spec = e, ks
		}
	}
	if kindEntry == nil {
		all := append(kindNames(), keysOf(stepCommon)...)
		for _, e := range pairs {
			if hint := didYouMean(e.key, all); hint != "" {
				p.errorf(e.kpos, "unknown key %q in step %q%s", e.key, s.Name, hint)
			}
		}
		p.errorf(s.Pos, "step %q does nothing: give it one action: %s", s.Name, strings.Join(kindNames(), ", "))
		return
	}
	s.Kind = spec.kind
	allowed := stepKeys[spec.kind]
	step := &obj{r: &p.nodeReader, what: "step " + strconv.Quote(s.Name), pos: s.Pos, byKey: make([]keyed, 0, len(pairs))}
	for _, e := range pairs {
		if e == kindEntry || Kind(e.key) != "" && kindSpecByKind[Kind(e.key)] != nil {
			continue
		}
		if !contains(allowed, e.key) {
			switch {
			case e.key == "next" && spec.noNext:
				p.errorf(e.kpos, "%s", noNextMsg(spec.kind))
			case contains(keysOf(spec.fields), e.key):
				p.errorf(e.kpos, "%s: belongs inside %s: in step %q; indent it under %s:", e.key, spec.kind, s.Name, spec.kind)
			default:
				p.errorf(e.kpos, "unknown key %q in step %q%s; allowed here: %s", e.key, s.Name, didYouMean(e.key, allowed), strings.Join(allowed, ", "))
			}
			continue
		}
		step.byKey = append(step.byKey, keyed{e.key, e})
		step.entries = append(step.entries, e)
	}
	for _, f := range spec.stepFields {
		if f.req && step.lookup(f.key) == nil {
			p.errorf(s.Pos, "step %q with %s: needs %s: (%s)", s.Name, spec.kind, f.key, f.doc)
		}
	}
	if t, e := step.text("tag"); e != nil {
		if !varNameRE.MatchString(t) {
			p.errorf(e.vpos(&p.nodeReader), "tag %q: use letters, digits and _", t)
		}
		s.Tag = t
	}
	if !spec.noNext {
		p.stepRef(step, "next", &s.Next, "next", step.what)
	}
	k := p.kindObj(s, spec, kindEntry)
	if k != nil {
		p.parseKind(s, spec, k, step, kindEntry)
		p.bug(k)
	}
	p.bug(step)
}

// stepKeys are the keys a step of each kind may have.
var stepKeys = func() map[Kind][]string {
	m := map[Kind][]string{}
	for _, spec := range kindSpecs {
		allowed := append([]string{string(spec.kind)}, keysOf(spec.stepFields)...)
		if !spec.noNext {
			allowed = append(allowed, "next")
		}
		m[spec.kind] = append(allowed, "tag")
	}
	return m
}()

func noNextMsg(k Kind) string {
	switch k {
	case KindMenu:
		return "a menu goes on through its options: next: is not used; use on_fail: for where to go after the last failed try"
	case KindHours:
		return "hours goes on to open:, closed: or holiday:, so next: is not used"
	case KindGoto:
		return "goto already says where to go: remove next:"
	}
	return fmt.Sprintf("a %s step ends here, so next: is not used; remove it", k)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// kindObj reads the value of the kind key in long form (a mapping with spec.fields), short
// form (a scalar filling spec.scalarKey) or empty form.
func (p *flowParser) kindObj(s *Step, spec *kindSpec, ke *entry) *obj {
	what := string(spec.kind) + " in step " + strconv.Quote(s.Name)
	v := ke.val
	_, isMap := v.(*ast.MappingNode)
	if _, ok := v.(*ast.MappingValueNode); ok {
		isMap = true
	}
	// Kinds whose value is itself a mapping or list of their own.
	switch spec.kind {
	case KindSet, KindSwitch:
		return p.oneEntryObj(what, ke.kpos, "", ke)
	case KindPlay:
		if isMap && !p.hasKey(v, "audio", "barge_in") {
			isMap = false // {say: ...} is an audio item
		}
	}
	if isMap && spec.fields != nil {
		o, ok := p.objectAt(v, what, ke.kpos, spec.fields)
		if !ok {
			return nil
		}
		return o
	}
	if isNull(v) {
		if spec.nullOK {
			return &obj{r: &p.nodeReader, what: what, pos: ke.kpos}
		}
		p.errorf(ke.kpos, "%s: is empty in step %q: %s", spec.kind, s.Name, shortHelp(spec))
		return nil
	}
	if spec.scalar != 0 {
		_, isSeq := v.(*ast.SequenceNode)
		if isSeq && spec.scalar != tAudio && spec.scalar != tCases || isMap {
			p.errorf(ke.vpos(&p.nodeReader), "%s in step %q must be %s, not %s", spec.kind, s.Name, shortHelp(spec), p.describe(v))
			return nil
		}
		return p.oneEntryObj(what, ke.kpos, spec.scalarKey, &entry{key: spec.scalarKey, kpos: ke.kpos, kn: ke.kn, val: v, raw: ke.raw})
	}
	if spec.nullOK && spec.fields == nil {
		if b, ok := p.boolOf(v); ok && b {
			return &obj{r: &p.nodeReader, what: what, pos: ke.kpos}
		}
	}
	p.errorf(ke.vpos(&p.nodeReader), "%s in step %q must be %s, not %s", spec.kind, s.Name, shortHelp(spec), p.describe(v))
	return nil
}

// oneEntryObj is an obj holding only e, read as key; one allocation (with e's) per step.
func (p *flowParser) oneEntryObj(what string, pos Pos, key string, e *entry) *obj {
	o := &struct {
		obj
		keyed [1]keyed
		list  [1]*entry
	}{}
	o.keyed[0] = keyed{key, e}
	o.list[0] = e
	o.obj = obj{r: &p.nodeReader, what: what, pos: pos, byKey: o.keyed[:], entries: o.list[:]}
	return &o.obj
}

// hasKey reports whether the mapping n has one of keys (without reporting anything).
func (p *flowParser) hasKey(n ast.Node, keys ...string) bool {
	var values []*ast.MappingValueNode
	switch x := p.resolve(n).(type) {
	case *ast.MappingNode:
		values = x.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{x}
	}
	for _, mv := range values {
		if k, ok := p.scalar(mv.Key); ok && contains(keys, k) {
			return true
		}
	}
	return false
}

func shortHelp(spec *kindSpec) string {
	switch spec.kind {
	case KindPlay:
		return "what to play: a prompt key, a sound file, text, or a list of them"
	case KindMenu:
		return "a mapping with prompt: and options:"
	case KindInput:
		return "a mapping with prompt: and into:"
	case KindLanguage:
		return "a language code, or a mapping with prompt: and options:"
	case KindIf:
		return "a condition such as vars.vip == true"
	case KindHours:
		return "the name of a calendar, e.g. hours: bank"
	case KindLookup:
		return "a mapping with url: (and save:, on_error:)"
	case KindQueue:
		return "a queue name, or a mapping with name: and hold:"
	case KindTransfer:
		return "an endpoint or a number, or a mapping with to:"
	case KindSMS:
		return "a template name, or a mapping with template: or text:"
	case KindRecord:
		return "start, stop, or a mapping with action:, mode:, stereo:"
	case KindCall:
		return "the name of another flow"
	case KindGoto:
		return "the name of a step"
	case KindHangup:
		return "empty, or a hangup cause such as NORMAL_CLEARING"
	case KindReturn:
		return "empty"
	case KindCallback:
		return "empty, or a mapping with reason:, queue:, calendar:"
	}
	return "as the format reference shows"
}

func (p *flowParser) parseKind(s *Step, spec *kindSpec, k, step *obj, ke *entry) {
	in := "step " + strconv.Quote(s.Name)
	switch spec.kind {
	case KindPlay:
		s.Play = &PlayStep{}
		if e := k.get("audio"); e != nil {
			s.Play.Audio = p.audio(e.raw, in, false)
		}
		s.Play.BargeIn = k.boolean("barge_in", false)
	case KindMenu:
		m := &MenuStep{Collect: p.collect(k, in)}
		if e := k.get("options"); e != nil {
			m.Options = p.digitSteps(e, "menu", in)
		}
		for _, o := range m.Options {
			m.MaxDigits = max(m.MaxDigits, len(o.Digits))
		}
		p.stepRef(k, "on_fail", &m.OnFail, "on_fail", in)
		s.Menu = m
	case KindInput:
		s.Input = p.parseInput(s, k, in)
	case KindLanguage:
		l := &LanguageStep{}
		if set, e := k.text("set"); e != nil {
			if !p.hasLang(set) {
				p.errorf(e.vpos(&p.nodeReader), "language %q is not in languages (%s)%s", set, strings.Join(p.f.Languages, ", "), didYouMean(set, p.f.Languages))
			}
			l.Set = set
		} else {
			l.Collect = p.collect(k, in)
			if e := k.get("options"); e != nil {
				l.Options = p.digitLangs(e, "language", in)
			}
		}
		s.Language = l
	case KindSet:
		s.Set = &SetStep{Assign: p.assignments(k.get(""), in, true)}
	case KindIf:
		st := &IfStep{}
		if e := k.get("cond"); e != nil {
			st.Cond = p.parseExpr(e, "if of "+in)
		}
		p.stepRef(step, "then", &st.Then, "then", in)
		p.stepRef(step, "else", &st.Else, "else", in)
		s.If = st
	case KindSwitch:
		st := &SwitchStep{}
		st.Cases = p.cases(k.get(""), in)
		p.stepRef(step, "else", &st.Else, "else", in)
		s.Switch = st
	case KindHours:
		h := &HoursStep{}
		name, e := k.text("calendar")
		if e != nil {
			h.CalendarName = name
			h.Calendar = p.calendar(name, e.vpos(&p.nodeReader))
		}
		p.stepRef(step, "open", &h.Open, "open", in)
		p.stepRef(step, "closed", &h.Closed, "closed", in)
		p.stepRef(step, "holiday", &h.Holiday, "holiday", in)
		s.Hours = h
	case KindLookup:
		s.Lookup = p.parseLookup(k, in)
	case KindQueue:
		q := &QueueStep{}
		if name, e := k.text("name"); e != nil {
			q.Name = name
			p.checkName("queue", name, e.vpos(&p.nodeReader), p.cat.Queues, "queues: of ivrd.yaml")
		}
		if e := k.get("priority"); e != nil {
			q.Priority = p.parseExpr(e, "priority of "+in)
		}
		if e := k.get("hold"); e != nil {
			q.Hold, q.HoldName = p.holdRef(e, in)
		}
		q.MaxWait = k.duration("max_wait", 0)
		p.stepRef(k, "on_timeout", &q.OnTimeout, "on_timeout", in)
		if ot := k.lookup("on_timeout"); ot != nil && q.MaxWait == 0 {
			p.errorf(ot.kpos, "on_timeout needs max_wait: (how long to wait before giving up)")
		}
		s.Queue = q
	case KindTransfer:
		t := &TransferStep{}
		if e := k.get("to"); e != nil {
			t.To = p.parseTemplate(e.raw, "transfer to of "+in)
		}
		if e := k.get("caller_id"); e != nil {
			t.CallerID = p.parseTemplate(e.raw, "caller_id of "+in)
		}
		t.Timeout = k.duration("timeout", DefaultTransferWait)
		p.stepRef(k, "on_fail", &t.OnFail, "on_fail", in)
		s.Transfer = t
	case KindCallback:
		c := &CallbackStep{Number: expr.MustParseTemplate("{{caller.number}}")}
		if e := k.get("number"); e != nil {
			c.Number = p.parseTemplate(e.raw, "callback number of "+in)
		}
		if e := k.get("reason"); e != nil {
			c.Reason = p.parseTemplate(e.raw, "callback reason of "+in)
		}
		if name, e := k.text("queue"); e != nil {
			c.Queue = name
			p.checkName("queue", name, e.vpos(&p.nodeReader), p.cat.Queues, "queues: of ivrd.yaml")
		}
		if name, e := k.text("calendar"); e != nil {
			c.CalendarName = name
			c.Calendar = p.calendar(name, e.vpos(&p.nodeReader))
		}
		p.stepRef(k, "on_error", &c.OnError, "on_error", in)
		s.Callback = c
	case KindSMS:
		s.SMS = p.parseSMS(k, in)
	case KindRecord:
		r := &RecordStep{}
		r.Stop = k.enum("action", "start", []string{"start", "stop"}) == "stop"
		r.Mode = RecordMode(k.enum("mode", string(RecordWhole), []string{string(RecordWhole), string(RecordBridge)}))
		r.Stereo = k.boolean("stereo", true)
		s.Record = r
	case KindCall:
		name, e := k.text("flow")
		if e != nil {
			s.Call = &CallStep{FlowName: name, pos: e.vpos(&p.nodeReader)}
		}
	case KindReturn:
		s.Return = &ReturnStep{}
	case KindGoto:
		s.Goto = &GotoStep{}
		p.stepRef(k, "step", &s.Goto.Target, "goto", in)
	case KindHangup:
		h := &HangupStep{Cause: DefaultHangupCause}
		if c, e := k.text("cause"); e != nil {
			if !causeRE.MatchString(c) {
				p.errorf(e.vpos(&p.nodeReader), "hangup cause %q: write a FreeSWITCH cause in capitals, e.g. NORMAL_CLEARING or USER_BUSY", c)
			}
			h.Cause = c
		}
		s.Hangup = h
	}
}

// collect reads the digit-collection keys shared by menu, input and language.
func (p *flowParser) collect(k *obj, in string) Collect {
	c := Collect{}
	if e := k.get("prompt"); e != nil {
		c.Prompt = p.audio(e.raw, "prompt of "+in, false)
	}
	c.Timeout = k.duration("timeout", DefaultMenuTimeout)
	c.DigitTimeout = k.duration("digit_timeout", DefaultDigitTimeout)
	c.Tries = k.integer("tries", DefaultTries, 1, 10)
	if e := k.get("invalid_prompt"); e != nil {
		c.InvalidPrompt = p.audio(e.raw, "invalid_prompt of "+in, false)
	}
	if e := k.get("timeout_prompt"); e != nil {
		c.TimeoutPrompt = p.audio(e.raw, "timeout_prompt of "+in, false)
	}
	c.BargeIn = k.boolean("barge_in", true)
	if c.Timeout <= 0 {
		p.errorf(k.pos, "timeout of %s must be more than 0", in)
		c.Timeout = DefaultMenuTimeout
	}
	return c
}

// digitSteps reads a mapping of key(s) -> step name; what is "menu" or "hold".
func (p *flowParser) digitSteps(e *entry, what, in string) []DigitChoice {
	pairs, ok := p.pairs(e.val, what+" key")
	if !ok {
		p.errorf(e.vpos(&p.nodeReader), "%s options of %s must be a mapping of key: step, e.g. 1: balance", what, in)
		return nil
	}
	out := make([]DigitChoice, len(pairs))
	for i, d := range pairs {
		if !digitsRE.MatchString(d.key) {
			p.errorf(d.kpos, "%s key %q in %s: a key is one or more of 0-9, * and # (write \"*\" and \"#\" in quotes)", what, d.key, in)
		}
		out[i] = DigitChoice{Digits: d.key, Pos: d.kpos}
		name, ok := p.scalar(d.val)
		if !ok {
			p.errorf(d.vpos(&p.nodeReader), "%s option %s in %s must name a step, not %s", what, d.key, in, p.describe(d.val))
			continue
		}
		p.fixups = append(p.fixups, stepFix{name: name, pos: d.vpos(&p.nodeReader), dst: &out[i].Step, what: what, option: d.key, in: in})
	}
	p.checkPrefixes(out, what+" key", in)
	return out
}

// checkPrefixes rejects keys where one is the start of another ("1" and "12"): the menu
// could never tell them apart.
func (p *flowParser) checkPrefixes(cs []DigitChoice, what, in string) {
	for i, a := range cs {
		for j, b := range cs {
			if i != j && len(a.Digits) < len(b.Digits) && strings.HasPrefix(b.Digits, a.Digits) {
				p.errorf(b.Pos, "%s %q in %s starts with key %q, so it can never be chosen; use keys of the same length", what, b.Digits, in, a.Digits)
			}
		}
	}
}

func (p *flowParser) digitLangs(e *entry, what, in string) []DigitChoice {
	pairs, ok := p.pairs(e.val, what+" key")
	if !ok {
		p.errorf(e.vpos(&p.nodeReader), "options of %s must be a mapping of key: language, e.g. 1: en", in)
		return nil
	}
	var out []DigitChoice
	for _, d := range pairs {
		if !digitsRE.MatchString(d.key) {
			p.errorf(d.kpos, "%s key %q in %s: a key is one or more of 0-9, * and #", what, d.key, in)
		}
		lang, _ := p.scalar(d.val)
		if !p.hasLang(lang) {
			p.errorf(d.vpos(&p.nodeReader), "%s option %s of %s: language %q is not in languages (%s)%s", what, d.key, in, lang, strings.Join(p.f.Languages, ", "), didYouMean(lang, p.f.Languages))
		}
		out = append(out, DigitChoice{Digits: d.key, Pos: d.kpos, Lang: lang})
	}
	p.checkPrefixes(out, what+" key", in)
	return out
}

func (p *flowParser) parseInput(s *Step, k *obj, in string) *InputStep {
	st := &InputStep{Collect: p.collect(k, in)}
	if into, e := k.text("into"); e != nil {
		into = strings.TrimPrefix(into, "vars.")
		if !varNameRE.MatchString(into) {
			p.errorf(e.vpos(&p.nodeReader), "into %q: a variable name uses letters, digits and _", into)
		}
		st.Into = into
		if _, ok := p.vars[into]; !ok {
			p.vars[into] = e.vpos(&p.nodeReader)
		}
	}
	st.Min = k.integer("min", 1, 1, 64)
	st.Max = k.integer("max", 20, 1, 64)
	if st.Min > st.Max {
		p.errorf(k.pos, "min (%d) is more than max (%d) in %s", st.Min, st.Max, in)
	}
	st.Terminator = "#"
	if e := k.get("terminator"); e != nil {
		if isNull(e.val) {
			p.errorf(e.kpos, "terminator is empty: a bare # starts a YAML comment, so write terminator: \"#\" in quotes (or \"\" for none)")
		} else {
			t, _ := k.text("terminator")
			if t != "" && !digitsRE.MatchString(t) || len(t) > 1 {
				p.errorf(e.vpos(&p.nodeReader), "terminator must be one key (0-9, * or #), not %q", t)
			}
			st.Terminator = t
		}
	}
	if re, e := k.text("regex"); e != nil {
		src := re
		if !strings.HasPrefix(src, "^") {
			src = "^(?:" + src
		} else {
			src = "^(?:" + src[1:]
		}
		if strings.HasSuffix(src, "$") && !strings.HasSuffix(src, `\$`) {
			src = src[:len(src)-1]
		}
		src += ")$"
		if _, err := regexp.Compile(re); err != nil {
			p.errorf(e.vpos(&p.nodeReader), "bad regex %q in %s: %s", re, in, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		} else if rx, err := regexp.Compile(src); err == nil {
			st.Regex = rx
		} else {
			p.errorf(e.vpos(&p.nodeReader), "bad regex %q in %s: %s", re, in, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
	if e := k.get("confirm"); e != nil {
		yes := DefaultConfirmYes
		no := DefaultConfirmNo
		if y, ye := k.text("confirm_yes"); ye != nil {
			yes = y
		}
		if n, ne := k.text("confirm_no"); ne != nil {
			no = n
		}
		if b, ok := p.boolOf(e.val); ok {
			if b {
				st.Confirm = &Confirm{Prompt: p.defaultConfirm(st.Into, yes, no, e.vpos(&p.nodeReader)), Yes: yes, No: no}
			}
		} else {
			st.Confirm = &Confirm{Prompt: p.audio(e.raw, "confirm of "+in, false), Yes: yes, No: no}
		}
		if st.Confirm != nil && (yes == no || !digitsRE.MatchString(yes) || !digitsRE.MatchString(no)) {
			p.errorf(e.kpos, "confirm_yes and confirm_no must be two different keys")
		}
	} else {
		k.get("confirm_yes")
		k.get("confirm_no")
	}
	p.stepRef(k, "on_fail", &st.OnFail, "on_fail", in)
	return st
}

// confirmTexts are the built-in read-back texts per language; %s are the variable, yes key
// and no key.
var confirmTexts = map[string]string{
	"en": "You entered {{vars.%s | digits}}. If this is correct, press %s. To enter it again, press %s.",
	"zh": "您输入的是 {{vars.%s | digits}}。正确请按 %s，重新输入请按 %s。",
}

// defaultConfirm builds the built-in read-back prompt in every language of the flow.
func (p *flowParser) defaultConfirm(into, yes, no string, pos Pos) []Audio {
	pr := &Prompt{Key: "confirm_" + into, Pos: pos, ByLang: map[string][]Audio{}}
	for _, l := range p.f.Languages {
		text, ok := confirmTexts[l]
		if !ok {
			p.errorf(pos, "there is no built-in read-back text in %q: give confirm: a prompt key whose text reads the entry back, e.g. \"You entered {{vars.%s | digits}}, press 1 if correct\"", l, into)
			continue
		}
		t, err := expr.ParseTemplate(fmt.Sprintf(text, into, yes, no))
		if err != nil || !varNameRE.MatchString(into) {
			return nil // into: or the keys are wrong, which is reported where they are written
		}
		pr.ByLang[l] = []Audio{{Kind: AudioSay, Pos: pos, Text: t, Duration: speechDuration(t.String())}}
	}
	pr.Fallback = pr.ByLang[p.f.DefaultLanguage]
	return []Audio{{Kind: AudioPrompt, Pos: pos, Prompt: pr}}
}

// assignments reads name: value pairs (set:, sms vars:). define adds the names to the
// flow's variables.
func (p *flowParser) assignments(e *entry, in string, define bool) []Assignment {
	if e == nil {
		return nil
	}
	pairs, ok := p.pairs(e.val, "variable")
	if !ok || len(pairs) == 0 {
		p.errorf(e.vpos(&p.nodeReader), "set in %s must be a mapping of variable: value, e.g. tries: \"{{vars.tries + 1}}\"", in)
		return nil
	}
	var out []Assignment
	for _, a := range pairs {
		if !varNameRE.MatchString(a.key) {
			hint := ""
			if strings.HasPrefix(a.key, "vars.") {
				hint = fmt.Sprintf("; write %s without vars.", strings.TrimPrefix(a.key, "vars."))
			}
			p.errorf(a.kpos, "variable name %q: use letters, digits and _%s", a.key, hint)
			continue
		}
		var t *expr.Template
		switch v := a.val.(type) {
		case *ast.StringNode, *ast.LiteralNode:
			t = p.parseTemplate(a.raw, "value of "+a.key+" in "+in)
		case nil, *ast.NullNode:
			t = expr.MustParseTemplate("{{null}}")
		default:
			if s, ok := p.scalar(v); ok {
				// numbers and booleans keep their type
				x, err := expr.Parse(strings.ToLower(s))
				if err != nil {
					t = expr.Literal(s)
				} else {
					t = expr.MustParseTemplate("{{" + x.String() + "}}")
				}
			} else {
				p.errorf(a.vpos(&p.nodeReader), "the value of %s in %s must be text, a number or true/false, not %s", a.key, in, p.describe(a.val))
			}
		}
		if t == nil {
			continue
		}
		out = append(out, Assignment{Var: a.key, Pos: a.kpos, Value: t})
		if define {
			if _, ok := p.vars[a.key]; !ok {
				p.vars[a.key] = a.kpos
			}
		}
	}
	return out
}

func (p *flowParser) cases(e *entry, in string) []Case {
	seq, ok := e.val.(*ast.SequenceNode)
	if !ok || len(seq.Values) == 0 {
		p.errorf(e.vpos(&p.nodeReader), "switch in %s must be a list of cases, each \"- when: condition\" with \"goto: step\"", in)
		return nil
	}
	out := make([]Case, len(seq.Values))
	for i, it := range seq.Values {
		o, ok := p.object(it, fmt.Sprintf("case %d of %s", i+1, in), caseFields)
		if !ok {
			continue
		}
		out[i].Pos = o.pos
		if we := o.get("when"); we != nil {
			out[i].When = p.parseExpr(we, fmt.Sprintf("when of case %d of %s", i+1, in))
		}
		p.stepRef(o, "goto", &out[i].Step, fmt.Sprintf("goto of case %d", i+1), in)
		p.bug(o)
	}
	return out
}

func (p *flowParser) parseLookup(k *obj, in string) *LookupStep {
	l := &LookupStep{Method: k.enum("method", "GET", []string{"GET", "POST"}), Timeout: k.duration("timeout", DefaultLookupTimeout)}
	if e := k.get("url"); e != nil {
		l.URL = p.parseTemplate(e.raw, "url of "+in)
		if l.URL != nil && !strings.HasPrefix(l.URL.String(), "http://") && !strings.HasPrefix(l.URL.String(), "https://") && !strings.HasPrefix(l.URL.String(), "{{") {
			p.errorf(e.vpos(&p.nodeReader), "url of %s must start with http:// or https://", in)
		}
	}
	if e := k.get("headers"); e != nil {
		pairs, ok := p.pairs(e.val, "header")
		if !ok {
			p.errorf(e.vpos(&p.nodeReader), "headers of %s must be a mapping of Header-Name: value", in)
		}
		for _, h := range pairs {
			if l.Headers == nil {
				l.Headers = map[string]*expr.Template{}
			}
			if t := p.parseTemplate(h.raw, fmt.Sprintf("header %s of %s", h.key, in)); t != nil {
				l.Headers[h.key] = t
			}
		}
	}
	if e := k.get("body"); e != nil {
		l.Body = p.jsonTemplate(e.raw, in, 0)
		if l.Method == "GET" {
			p.errorf(e.kpos, "body is only sent with method: POST; add method: POST or remove body")
		}
	}
	if e := k.get("save"); e != nil {
		pairs, ok := p.pairs(e.val, "saved variable")
		if !ok {
			p.errorf(e.vpos(&p.nodeReader), "save of %s must be a mapping of variable: JSON path, e.g. vip: customer.vip", in)
		}
		for _, sv := range pairs {
			if !varNameRE.MatchString(sv.key) {
				p.errorf(sv.kpos, "variable name %q: use letters, digits and _", sv.key)
				continue
			}
			src, ok := p.scalar(sv.val)
			if !ok {
				p.errorf(sv.vpos(&p.nodeReader), "the JSON path for %s must be text such as customer.vip", sv.key)
				continue
			}
			jp, err := ParseJSONPath(src)
			if err != nil {
				p.errorf(sv.vpos(&p.nodeReader), "%v", err)
				continue
			}
			l.Save = append(l.Save, Saved{Var: sv.key, Path: jp, Pos: sv.kpos})
			if _, ok := p.vars[sv.key]; !ok {
				p.vars[sv.key] = sv.kpos
			}
		}
	}
	if l.Timeout <= 0 {
		p.errorf(k.pos, "timeout of %s must be more than 0", in)
		l.Timeout = DefaultLookupTimeout
	}
	p.stepRef(k, "on_error", &l.OnError, "on_error", in)
	return l
}

// jsonTemplate converts a YAML value into a JSON template.
func (p *flowParser) jsonTemplate(n ast.Node, in string, depth int) *JSONTemplate {
	if depth > 32 {
		p.errorf(p.pos(n), "body of %s is nested too deeply", in)
		return &JSONTemplate{kind: 'v'}
	}
	switch x := p.resolve(n).(type) {
	case nil, *ast.NullNode:
		return &JSONTemplate{kind: 'v'}
	case *ast.MappingNode, *ast.MappingValueNode:
		pairs, _ := p.pairs(x, "body key")
		j := &JSONTemplate{kind: 'o'}
		for _, e := range pairs {
			j.keys = append(j.keys, e.key)
			j.items = append(j.items, p.jsonTemplate(e.raw, in, depth+1))
		}
		return j
	case *ast.SequenceNode:
		j := &JSONTemplate{kind: 'a'}
		for _, it := range x.Values {
			j.items = append(j.items, p.jsonTemplate(it, in, depth+1))
		}
		return j
	case *ast.StringNode, *ast.LiteralNode:
		t := p.parseTemplate(n, "body of "+in)
		if t == nil {
			t = expr.Literal("")
		}
		return &JSONTemplate{kind: 't', tmpl: t}
	}
	v, _ := p.literal(n)
	return &JSONTemplate{kind: 'v', lit: v.Any()}
}

func (p *flowParser) parseSMS(k *obj, in string) *SMSStep {
	s := &SMSStep{To: expr.MustParseTemplate("{{caller.number}}")}
	name, te := k.text("template")
	textE := k.get("text")
	switch {
	case te != nil && textE != nil:
		p.errorf(textE.kpos, "sms in %s has both template: and text:; keep one", in)
	case te == nil && textE == nil:
		p.errorf(k.pos, "sms in %s needs template: (a template name) or text: (the message)", in)
	}
	if te != nil {
		s.Template = name
		p.checkName("SMS template", name, te.vpos(&p.nodeReader), p.cat.Templates, "sms templates of ivrd.yaml")
	}
	if textE != nil {
		s.Text = p.parseTemplate(textE.raw, "sms text of "+in)
	}
	if e := k.get("to"); e != nil {
		s.To = p.parseTemplate(e.raw, "sms to of "+in)
	}
	if e := k.get("vars"); e != nil {
		s.Vars = p.assignments(e, in, false)
	}
	p.stepRef(k, "on_error", &s.OnError, "on_error", in)
	return s
}

// holdRef reads queue hold: a name (flow holds: or catalog) or an inline treatment.
func (p *flowParser) holdRef(e *entry, in string) (*Hold, string) {
	if name, ok := p.scalar(e.val); ok {
		if h := p.f.Holds[name]; h != nil {
			return h, name
		}
		if h := p.cat.Holds[name]; h != nil {
			return h, name
		}
		var names []string
		for n := range p.f.Holds {
			names = append(names, n)
		}
		for n := range p.cat.Holds {
			names = append(names, n)
		}
		p.errorf(e.vpos(&p.nodeReader), "unknown hold treatment %q in %s%s", name, in, didYouMeanOr(name, names, "; define it under holds: or write it here as a mapping with music:, promos:, keys:"))
		return nil, name
	}
	return p.parseHold(e.raw, ""), ""
}

// checkName checks a name against a catalog set (nil set: not checked).
func (p *flowParser) checkName(sort, name string, pos Pos, set map[string]bool, where string) {
	if set == nil || set[name] {
		return
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	p.errorf(pos, "unknown %s %q%s; the known ones are in %s", sort, name, didYouMeanOr(name, names, ""), where)
}

func (p *flowParser) calendar(name string, pos Pos) *Calendar {
	if p.cat.Calendars == nil {
		return nil
	}
	if c := p.cat.Calendars[name]; c != nil {
		return c
	}
	names := make([]string, 0, len(p.cat.Calendars))
	for n := range p.cat.Calendars {
		names = append(names, n)
	}
	p.errorf(pos, "unknown calendar %q%s; calendars are defined under calendars: in ivrd.yaml", name, didYouMean(name, names))
	return nil
}
