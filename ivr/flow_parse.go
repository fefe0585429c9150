package ivr

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/ivrd/ivrd/ivr/expr"
)

// flowParser turns one flow file into a *Flow, collecting every problem it finds.
type flowParser struct {
	nodeReader
	cat *Catalog
	// fsys and dir locate sound files next to the flow file.
	fsys fs.FS
	dir  string
	// osDir is dir on disk ("" for flows not on disk), used to build playable paths.
	osDir string

	f      *Flow
	fixups []stepFix
	uses   []exprUse
	// vars are the variables the flow defines (vars:, set:, input into:, lookup save:).
	vars map[string]Pos
	// inlineText are places where a step speaks text not taken from prompts:.
	inlineText []Pos
	// sounds caches file checks.
	sounds map[string]soundInfo
}

type stepFix struct {
	name string
	pos  Pos
	dst  **Step
	what string // "on_fail"
	// option, when not "", is the key of a menu or hold option: what is then "<what> option <option>".
	option string
	in     string // `step "main"` ("" for top-level keys)
}

type exprUse struct {
	refs []expr.Ref
	node ast.Node
	src  string
}

type callUse struct {
	step *Step
	pos  Pos
}

var stepNameRE = namePattern{re: regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`), dash: true}
var varNameRE = namePattern{re: regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)}

// namePattern is a rule for names: a letter or _, then letters, digits, _ (and - when dash).
// The regexp is what the JSON schema publishes; MatchString checks the same by hand, as a
// big flow has thousands of names.
type namePattern struct {
	re   *regexp.Regexp
	dash bool
}

func (n namePattern) String() string { return n.re.String() }

// MatchString reports whether s follows the rule (as n.re.MatchString(s) would).
func (n namePattern) MatchString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case i > 0 && ('0' <= c && c <= '9' || n.dash && c == '-'):
		default:
			return false
		}
	}
	return true
}

// parseFlowData parses one flow file. file is the name used in diagnostics; fsys/dir locate
// sound files; osDir is the same folder on disk ("" when not on disk).
func parseFlowData(file string, data []byte, fsys fs.FS, dir, osDir string, cat *Catalog) (*Flow, Diagnostics) {
	if cat == nil {
		cat = &Catalog{}
	}
	p := &flowParser{cat: cat, fsys: fsys, dir: dir, osDir: osDir, vars: map[string]Pos{}, sounds: map[string]soundInfo{}}
	p.file = file
	name := strings.TrimSuffix(strings.TrimSuffix(path.Base(strings.ReplaceAll(file, "\\", "/")), ".yaml"), ".yml")
	p.f = &Flow{Name: name, File: file, Pos: Pos{File: file, Line: 1, Col: 1}, Location: time.UTC,
		Prompts: map[string]*Prompt{}, Vars: map[string]expr.Value{}, Holds: map[string]*Hold{}, ByName: map[string]*Step{}}

	af, err := parseFlowYAML(data)
	if err != nil {
		p.syntaxError(err)
		return nil, p.list
	}
	var body ast.Node
	for _, d := range af.Docs {
		if d.Body == nil {
			continue
		}
		if body != nil {
			p.errorf(p.pos(d.Body), "a flow file holds one flow: remove the second document (after ---) or move it to its own file")
			break
		}
		body = d.Body
	}
	if body == nil {
		p.errorf(Pos{File: file, Line: 1, Col: 1}, "the file is empty: a flow needs at least steps:")
		return nil, p.list
	}
	p.collectAnchors(body)
	p.parseTop(body)
	p.languageWarnings()
	p.list.Sort()
	if p.list.HasErrors() {
		return nil, p.list
	}
	return p.f, p.list
}

func unknownVarMsg(name string, known []string) string {
	return fmt.Sprintf("unknown variable vars.%s%s; give it a starting value under vars: or set it in a step before it is used", name, varHint(name, known))
}

func varHint(name string, vars []string) string {
	if c := closest(name, vars); c != "" {
		return fmt.Sprintf(" (did you mean vars.%s?)", c)
	}
	return ""
}

// syntaxError reports a YAML syntax error at its line.
func (p *flowParser) syntaxError(err error) {
	var se *yaml.SyntaxError
	msg := err.Error()
	pos := Pos{File: p.file, Line: 1, Col: 1}
	if ok := asSyntax(err, &se); ok {
		msg = se.Message
		if se.Token != nil && se.Token.Position != nil {
			pos = p.tokPos(se.Token)
		}
	}
	hint := ""
	switch {
	case strings.Contains(msg, "cannot start any token") && strings.Contains(msg, "\t"):
		hint = " (YAML indentation must use spaces, not tabs)"
	case strings.Contains(msg, "mapping value is not allowed"):
		hint = " (check the indentation, and put text that contains \": \" in quotes)"
	case strings.Contains(msg, "could not find end character"):
		hint = " (add the closing quote)"
	}
	p.errorf(pos, "YAML syntax error: %s%s", msg, hint)
}

func asSyntax(err error, target **yaml.SyntaxError) bool {
	se, ok := err.(*yaml.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

func (p *flowParser) parseTop(body ast.Node) {
	top, ok := p.object(body, "the flow file", flowFields)
	if !ok {
		return
	}
	if s, e := top.text("flow"); e != nil {
		if !stepNameRE.MatchString(s) {
			p.errorf(e.vpos(&p.nodeReader), "flow name %q: use letters, digits, _ and - only", s)
		} else {
			p.f.Name = s
		}
	}
	p.f.Version, _ = top.text("version")
	p.f.Description, _ = top.text("description")
	p.parseLanguages(top)
	if s, e := top.text("timezone"); e != nil {
		loc, err := time.LoadLocation(s)
		if err != nil || s == "" || s == "Local" {
			p.errorf(e.vpos(&p.nodeReader), "unknown time zone %q: use an IANA name such as Europe/London or Asia/Shanghai", s)
		} else {
			p.f.Location = loc
		}
	}
	if e := top.get("vars"); e != nil {
		p.parseVars(e)
	}
	if e := top.get("prompts"); e != nil {
		p.parsePrompts(e)
	}
	stepsEntry := top.get("steps")
	// Steps are created before holds and step bodies so references resolve in any order.
	var stepEntries []*entry
	if stepsEntry != nil {
		stepEntries = p.declareSteps(stepsEntry)
	}
	if e := top.get("holds"); e != nil {
		p.parseHolds(e)
	}
	for _, e := range stepEntries {
		p.parseStep(p.f.ByName[e.key], e)
	}
	if s, e := top.text("start"); e != nil {
		p.fixups = append(p.fixups, stepFix{name: s, pos: e.vpos(&p.nodeReader), dst: &p.f.Start, what: "start:"})
	} else if st := p.f.ByName["start"]; st != nil {
		p.f.Start = st
	} else if len(p.f.Steps) > 0 {
		p.f.Start = p.f.Steps[0]
	}
	p.resolveFixups()
	p.applyBranchDefaults()
	p.checkUses()
	for _, o := range []*obj{top} {
		p.bug(o)
	}
}

// bug reports keys a mapping accepted but the parser never read (a parser bug).
func (p *flowParser) bug(o *obj) {
	if o == nil {
		return
	}
	for _, k := range o.unused() {
		p.errorf(o.lookup(k).kpos, "ivrd bug: key %q of %s was accepted but not used; please report it", k, o.what)
	}
}

func (p *flowParser) parseLanguages(top *obj) {
	p.f.Languages = []string{DefaultLanguage}
	if e := top.get("languages"); e != nil {
		seq, ok := e.val.(*ast.SequenceNode)
		if !ok {
			if s, ok := p.scalar(e.val); ok && s != "" {
				seq = nil
				p.f.Languages = []string{s}
			} else {
				p.errorf(e.vpos(&p.nodeReader), "languages must be a list such as [en, zh], not %s", p.describe(e.val))
			}
		} else {
			p.f.Languages = nil
			seen := map[string]bool{}
			for _, it := range seq.Values {
				s, ok := p.scalar(it)
				if !ok || !langRE.MatchString(s) {
					p.errorf(p.pos(it), "a language must be a code such as en, zh or pt-BR")
					continue
				}
				if seen[s] {
					p.errorf(p.pos(it), "language %q is listed twice", s)
					continue
				}
				seen[s] = true
				p.f.Languages = append(p.f.Languages, s)
			}
			if len(p.f.Languages) == 0 {
				p.f.Languages = []string{DefaultLanguage}
			}
		}
	}
	p.f.DefaultLanguage = p.f.Languages[0]
	if s, e := top.text("default_language"); e != nil {
		if !p.hasLang(s) {
			p.errorf(e.vpos(&p.nodeReader), "default_language %q is not in languages (%s)%s", s, strings.Join(p.f.Languages, ", "), didYouMean(s, p.f.Languages))
		} else {
			p.f.DefaultLanguage = s
		}
	}
}

var langRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$`)

func (p *flowParser) hasLang(s string) bool {
	for _, l := range p.f.Languages {
		if l == s {
			return true
		}
	}
	return false
}

func (p *flowParser) parseVars(e *entry) {
	if isNull(e.val) {
		return
	}
	pairs, ok := p.pairs(e.val, "variable")
	if !ok {
		p.errorf(e.vpos(&p.nodeReader), "vars must be a mapping of name: starting value, not %s", p.describe(e.val))
		return
	}
	for _, v := range pairs {
		if !varNameRE.MatchString(v.key) {
			p.errorf(v.kpos, "variable name %q: use letters, digits and _ (and write it without vars.)", v.key)
			continue
		}
		val, ok := p.literal(v.val)
		if !ok {
			p.errorf(v.vpos(&p.nodeReader), "the starting value of %q must be text, a number, true/false or a list of those", v.key)
			continue
		}
		p.f.Vars[v.key] = val
		p.vars[v.key] = v.kpos
	}
}

// literal converts a YAML scalar (or list of scalars) to a Value.
func (p *flowParser) literal(n ast.Node) (expr.Value, bool) {
	switch x := p.resolve(n).(type) {
	case nil, *ast.NullNode:
		return expr.NullValue, true
	case *ast.BoolNode:
		return expr.BoolValue(x.Value), true
	case *ast.IntegerNode, *ast.FloatNode:
		if v, ok := expr.StringValue(x.GetToken().Value).Num(); ok {
			return expr.NumberValue(v), true
		}
		return expr.StringValue(x.GetToken().Value), true
	case *ast.StringNode:
		return expr.StringValue(x.Value), true
	case *ast.LiteralNode:
		s, _ := p.scalar(x)
		return expr.StringValue(s), true
	case *ast.SequenceNode:
		l := make([]expr.Value, 0, len(x.Values))
		for _, it := range x.Values {
			v, ok := p.literal(it)
			if !ok || v.Kind() == expr.List {
				return expr.NullValue, false
			}
			l = append(l, v)
		}
		return expr.ListValue(l), true
	}
	return expr.NullValue, false
}

func (p *flowParser) parsePrompts(e *entry) {
	if isNull(e.val) {
		return
	}
	pairs, ok := p.pairs(e.val, "prompt")
	if !ok {
		p.errorf(e.vpos(&p.nodeReader), "prompts must be a mapping of key: {en: ..., zh: ...}, not %s", p.describe(e.val))
		return
	}
	for _, pe := range pairs {
		if !varNameRE.MatchString(pe.key) {
			p.errorf(pe.kpos, "prompt key %q: use letters, digits and _", pe.key)
			continue
		}
		pr := &Prompt{Key: pe.key, Pos: pe.kpos, ByLang: map[string][]Audio{}}
		p.f.Prompts[pe.key] = pr
		langs, ok := p.pairs(pe.val, "language")
		if !ok {
			if len(p.f.Languages) == 1 && !isNull(pe.val) {
				// One language: the audio may be given directly.
				a := p.audio(pe.val, fmt.Sprintf("prompt %q", pe.key), true)
				pr.ByLang[p.f.Languages[0]] = a
				pr.Fallback = a
				continue
			}
			p.errorf(pe.vpos(&p.nodeReader), "prompt %q must give audio per language, e.g. en: \"Welcome\" and zh: \"欢迎\"", pe.key)
			continue
		}
		for _, le := range langs {
			if !p.hasLang(le.key) {
				p.errorf(le.kpos, "prompt %q: language %q is not in languages (%s)%s; add it to languages: or fix the code", pe.key, le.key, strings.Join(p.f.Languages, ", "), didYouMean(le.key, p.f.Languages))
				continue
			}
			pr.ByLang[le.key] = p.audio(le.raw, fmt.Sprintf("prompt %q (%s)", pe.key, le.key), true)
		}
		if a, ok := pr.ByLang[p.f.DefaultLanguage]; ok {
			pr.Fallback = a
		} else {
			for _, l := range p.f.Languages {
				if a, ok := pr.ByLang[l]; ok {
					pr.Fallback = a
					break
				}
			}
		}
	}
}

func (p *flowParser) parseHolds(e *entry) {
	if isNull(e.val) {
		return
	}
	pairs, ok := p.pairs(e.val, "hold")
	if !ok {
		p.errorf(e.vpos(&p.nodeReader), "holds must be a mapping of name: {music: ..., promos: ...}, not %s", p.describe(e.val))
		return
	}
	for _, he := range pairs {
		if !varNameRE.MatchString(he.key) {
			p.errorf(he.kpos, "hold name %q: use letters, digits and _", he.key)
			continue
		}
		if h := p.parseHold(he.raw, he.key); h != nil {
			p.f.Holds[he.key] = h
		}
	}
}

func (p *flowParser) parseHold(n ast.Node, name string) *Hold {
	what := "hold treatment"
	if name != "" {
		what = fmt.Sprintf("hold %q", name)
	}
	o, ok := p.object(n, what, holdFields)
	if !ok {
		return nil
	}
	h := &Hold{Name: name, Pos: o.pos}
	if e := o.get("music"); e != nil {
		h.Music = p.audio(e.raw, what+" music", false)
	}
	if e := o.get("announce"); e != nil {
		h.Announce = p.audio(e.raw, what+" announce", false)
	}
	h.AnnounceEvery = o.duration("announce_every", 60*time.Second)
	h.AnnouncePosition = o.boolean("announce_position", false)
	h.AnnounceWait = o.boolean("announce_wait", false)
	h.PromoEvery = o.duration("promo_every", 45*time.Second)
	if e := o.get("promos"); e != nil {
		seq, ok := e.val.(*ast.SequenceNode)
		if !ok {
			p.errorf(e.vpos(&p.nodeReader), "promos must be a list, one promo per line starting with -")
		} else {
			for _, it := range seq.Values {
				h.Promos = append(h.Promos, p.audio(it, what+" promo", false))
			}
		}
	}
	if e := o.get("keys"); e != nil {
		h.Keys = p.digitSteps(e, "hold", what)
	}
	if h.AnnounceEvery <= 0 || h.PromoEvery <= 0 {
		p.errorf(o.pos, "%s: announce_every and promo_every must be more than 0", what)
	}
	p.bug(o)
	return h
}

// declareSteps creates a Step for every name so references can be resolved in any order.
func (p *flowParser) declareSteps(e *entry) []*entry {
	pairs, ok := p.pairs(e.val, "step")
	if !ok {
		p.errorf(e.vpos(&p.nodeReader), "steps must be a mapping of step name: step, not %s", p.describe(e.val))
		return nil
	}
	if len(pairs) == 0 {
		p.errorf(e.kpos, "steps: is empty: add at least one step, e.g. start: {play: welcome, next: bye}")
	}
	out := pairs[:0:0]
	for _, se := range pairs {
		if !stepNameRE.MatchString(se.key) {
			p.errorf(se.kpos, "step name %q: use letters, digits, _ and -, starting with a letter", se.key)
			continue
		}
		s := &Step{Name: se.key, Index: len(p.f.Steps), Pos: se.kpos}
		p.f.Steps = append(p.f.Steps, s)
		p.f.ByName[se.key] = s
		out = append(out, se)
	}
	return out
}

// stepRef records that key of o names a step, to be resolved into *dst; errors say
// "<what> of <in>".
func (p *flowParser) stepRef(o *obj, key string, dst **Step, what, in string) {
	s, e := o.text(key)
	if e == nil {
		return
	}
	p.fixups = append(p.fixups, stepFix{name: s, pos: e.vpos(&p.nodeReader), dst: dst, what: what, in: in})
}

func (p *flowParser) stepNames() []string {
	out := make([]string, len(p.f.Steps))
	for i, s := range p.f.Steps {
		out[i] = s.Name
	}
	return out
}

func (p *flowParser) resolveFixups() {
	names := p.stepNames()
	for _, fx := range p.fixups {
		s := p.f.ByName[fx.name]
		if s == nil {
			what := fx.what
			if fx.option != "" {
				what += " option " + fx.option
			}
			if fx.in != "" {
				what += " of " + fx.in
			}
			p.errorf(fx.pos, "unknown step %q in %s%s", fx.name, what, didYouMeanOr(fx.name, names, "; add a step with that name under steps:"))
			continue
		}
		*fx.dst = s
	}
}

func didYouMeanOr(word string, candidates []string, otherwise string) string {
	if s := didYouMean(word, candidates); s != "" {
		return s
	}
	return otherwise
}

// parseExpr parses the expression in e and records its names for checking.
func (p *flowParser) parseExpr(e *entry, what string) *expr.Expr {
	src, ok := p.scalar(e.val)
	if !ok {
		p.errorf(e.vpos(&p.nodeReader), "%s must be a condition such as vars.vip == true, not %s", what, p.describe(e.val))
		return nil
	}
	x, err := expr.Parse(src)
	if err != nil {
		p.exprError(e.raw, src, what, err)
		return nil
	}
	p.uses = append(p.uses, exprUse{refs: x.Refs(), node: e.raw, src: src})
	return x
}

// parseTemplate parses the text with {{...}} of node n.
func (p *flowParser) parseTemplate(n ast.Node, what string) *expr.Template {
	src, ok := p.scalar(n)
	if !ok {
		p.errorf(p.pos(n), "%s must be text, not %s", what, p.describe(n))
		return nil
	}
	return p.templateFrom(n, src, what)
}

func (p *flowParser) templateFrom(n ast.Node, src, what string) *expr.Template {
	t, err := expr.ParseTemplate(src)
	if err != nil {
		p.exprError(n, src, what, err)
		return nil
	}
	if len(t.Refs()) > 0 {
		p.uses = append(p.uses, exprUse{refs: t.Refs(), node: n, src: src})
	}
	return t
}

func (p *flowParser) exprError(n ast.Node, src, what string, err error) {
	off := -1
	if xe, ok := err.(*expr.Error); ok {
		off = xe.Offset
	}
	p.errorf(p.at(n, src, off), "bad expression in %s: %v", what, err)
}

// checkUses checks every name read by an expression or template: vars must be defined
// somewhere in the flow, other names must be ones the runtime provides.
func (p *flowParser) checkUses() {
	varNames := make([]string, 0, len(p.vars))
	for v := range p.vars {
		varNames = append(varNames, v)
	}
	sort.Strings(varNames)
	nss := make([]string, 0, len(BuiltinNames)+1)
	nss = append(nss, "vars")
	for ns := range BuiltinNames {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	// A flow that calls others or is called shares its variables with them: names it does
	// not define are checked when the flows are loaded together (link).
	shared := false
	for _, s := range p.f.Steps {
		shared = shared || s.Kind == KindCall || s.Kind == KindReturn
	}
	p.f.definedVars = make(map[string]bool, len(p.vars))
	for v := range p.vars {
		p.f.definedVars[v] = true
	}
	for _, u := range p.uses {
		for _, r := range u.refs {
			pos := p.at(u.node, u.src, r.Offset)
			switch {
			case r.NS == "vars":
				if r.Name == "" {
					p.errorf(pos, "write vars.<name>, e.g. vars.balance")
				} else if _, ok := p.vars[r.Name]; !ok {
					if shared {
						p.f.pendingVars = append(p.f.pendingVars, pendingVar{name: r.Name, pos: pos})
						continue
					}
					p.errorf(pos, "%s", unknownVarMsg(r.Name, varNames))
				}
			case r.NS == "now":
			default:
				names, ok := BuiltinNames[r.NS]
				if !ok {
					hint := didYouMean(r.NS, nss)
					if _, isVar := p.vars[r.NS]; isVar {
						hint = fmt.Sprintf(" (did you mean vars.%s?)", r.NS)
					}
					p.errorf(pos, "unknown name %q%s; names are vars.<name>, %s", r.NS, hint, builtinList())
					continue
				}
				found := false
				for _, n := range names {
					if n == r.Name {
						found = true
					}
				}
				if !found {
					p.errorf(pos, "unknown name %s.%s%s; %s has %s", r.NS, r.Name, didYouMean(r.Name, names), r.NS, strings.Join(names, ", "))
				}
			}
		}
	}
}

func builtinList() string {
	var out []string
	for _, ns := range []string{"caller", "call"} {
		for _, n := range BuiltinNames[ns] {
			out = append(out, ns+"."+n)
		}
	}
	return strings.Join(out, ", ") + " and now"
}

// applyBranchDefaults fills the branches that default to another: else to next, holiday to
// closed.
func (p *flowParser) applyBranchDefaults() {
	for _, s := range p.f.Steps {
		switch s.Kind {
		case KindIf:
			if s.If != nil && s.If.Else == nil {
				s.If.Else = s.Next
			}
		case KindSwitch:
			if s.Switch != nil && s.Switch.Else == nil {
				s.Switch.Else = s.Next
			}
		case KindHours:
			if s.Hours != nil && s.Hours.Holiday == nil {
				s.Hours.Holiday = s.Hours.Closed
			}
		}
	}
}

// languageWarnings warns about prompts missing a language, and about text spoken in steps of
// a flow with several languages (it is the same in every language).
func (p *flowParser) languageWarnings() {
	keys := make([]string, 0, len(p.f.Prompts))
	for k := range p.f.Prompts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pr := p.f.Prompts[k]
		for _, l := range p.f.Languages {
			if _, ok := pr.ByLang[l]; !ok && len(pr.ByLang) > 0 {
				have := make([]string, 0, len(pr.ByLang))
				for hl := range pr.ByLang {
					have = append(have, hl)
				}
				sort.Strings(have)
				p.warnf(pr.Pos, "prompt %q has no %s version: callers who chose %s hear the %s one; add %s: under it", k, l, l, strings.Join(have, "/"), l)
			}
		}
	}
	if len(p.f.Languages) > 1 {
		for _, pos := range p.inlineText {
			p.warnf(pos, "this text is spoken the same in every language (%s); move it to prompts: with a text per language and use the prompt key here", strings.Join(p.f.Languages, ", "))
		}
	}
}
