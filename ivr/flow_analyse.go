package ivr

import (
	"fmt"
	"strings"
	"time"
)

// AnalyzeOptions tune Analyze.
type AnalyzeOptions struct {
	// MaxTimeToPerson: a path on which a caller may need longer than this to reach a person
	// (queue or transfer) is a warning. 0 means DefaultMaxTimeToPerson.
	MaxTimeToPerson time.Duration
}

// DefaultMaxTimeToPerson is the default limit of the worst-case time to reach a person.
const DefaultMaxTimeToPerson = 3 * time.Minute

// PersonPath is the worst-case way from a flow's start to a step where the caller reaches a
// person (a queue or a transfer).
type PersonPath struct {
	Step  *Step
	Worst time.Duration
	Path  []*Step // from Start to Step
}

// Analyze looks for things that work but are probably wrong: unreachable steps, dead ends,
// loops nobody can leave, and slow ways to a person. It returns warnings and notes (the
// worst-case time until a caller reaches each queue or transfer).
func Analyze(f *Flow, opts AnalyzeOptions) Diagnostics {
	if opts.MaxTimeToPerson <= 0 {
		opts.MaxTimeToPerson = DefaultMaxTimeToPerson
	}
	var ds Diagnostics
	warn := func(p Pos, format string, args ...any) {
		ds = append(ds, Diagnostic{Pos: p, Severity: SevWarning, Msg: fmt.Sprintf(format, args...)})
	}
	note := func(p Pos, format string, args ...any) {
		ds = append(ds, Diagnostic{Pos: p, Severity: SevNote, Msg: fmt.Sprintf(format, args...)})
	}
	if f.Start == nil {
		return ds
	}
	edges := newEdgeTable(f, nil)
	reach := reachable(f, edges)
	for _, s := range f.Steps {
		if !reach[s.Index] {
			warn(s.Pos, "step %q is never reached: no step leads to it; remove it or add a way to it", s.Name)
		}
	}
	for _, s := range f.Steps {
		if reach[s.Index] {
			deadEnds(s, warn)
		}
	}
	stuckSteps := make([]bool, len(f.Steps))
	for _, scc := range stuckLoops(f, reach, edges) {
		for _, x := range scc {
			stuckSteps[x.Index] = true
		}
		names := make([]string, len(scc))
		for i, s := range scc {
			names[i] = s.Name
		}
		warn(scc[0].Pos, "steps %s form a loop nothing leads out of: callers go round for ever; add a way out (a menu option or on_fail: to an agent or a goodbye, or count tries with set: and if:)", strings.Join(names, " → "))
	}
	for _, cyc := range silentLoops(f, reach) {
		if stuckSteps[cyc[0].Index] {
			continue // already reported as a loop nothing leads out of
		}
		warn(cyc[0].Pos, "a caller who presses nothing goes round %s for ever; let the last failed try lead out (on_fail: to an agent or a goodbye)", pathNames(append(cyc, cyc[0])))
	}
	if hasPerson(f) {
		seen := make([]int32, len(f.Steps)) // menu index + 1 where a search last passed
		for _, s := range f.Steps {
			if reach[s.Index] && s.Kind == KindMenu && !menuReachesPerson(s, edges, seen) {
				warn(s.Pos, "menu %q offers no way to a person: add an option (0 by convention) that leads to a queue, a transfer or a callback", s.Name)
			}
		}
	}
	paths := personPaths(f, edges)
	for _, pp := range paths {
		what := "a transfer"
		if pp.Step.Kind == KindQueue {
			what = fmt.Sprintf("queue %q", pp.Step.Queue.Name)
		}
		route := pathNames(pp.Path)
		if pp.Worst > opts.MaxTimeToPerson {
			warn(pp.Step.Pos, "callers may need up to %s to reach %s at step %q (more than %s): %s; shorten prompts, lower tries or offer 0 for an agent earlier", fmtDur(pp.Worst), what, pp.Step.Name, fmtDur(opts.MaxTimeToPerson), route)
		} else {
			note(pp.Step.Pos, "callers reach %s at step %q after at most %s: %s", what, pp.Step.Name, fmtDur(pp.Worst), route)
		}
	}
	if len(paths) == 0 && !hasReturn(f) {
		note(f.Pos, "no path of flow %q reaches a person (no queue or transfer step)", f.Name)
	}
	ds.Sort()
	return ds
}

func hasReturn(f *Flow) bool {
	for _, s := range f.Steps {
		if s.Kind == KindReturn {
			return true
		}
	}
	return false
}

func pathNames(path []*Step) string {
	names := make([]string, len(path))
	for i, s := range path {
		names[i] = s.Name
	}
	return strings.Join(names, " → ")
}

func fmtDur(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	m := int(d / time.Minute)
	s := int((d % time.Minute) / time.Second)
	if s == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}

// edgeTable holds the edges of every step of a flow in one slice, so that analysis passes
// do not build them again for each visit.
type edgeTable struct {
	start []int32 // the edges of step i are all[start[i]:start[i+1]]
	all   []Edge
}

// newEdgeTable lists the edges of f's steps; keep, when not nil, chooses which to list.
func newEdgeTable(f *Flow, keep func(*Step, Edge) bool) *edgeTable {
	n := 0
	for _, s := range f.Steps {
		n += s.edgeCap()
	}
	t := &edgeTable{start: make([]int32, len(f.Steps)+1), all: make([]Edge, 0, n)}
	for i, s := range f.Steps {
		from := len(t.all)
		t.all = s.appendEdges(t.all)
		if keep != nil {
			kept := t.all[:from]
			for _, e := range t.all[from:] {
				if keep(s, e) {
					kept = append(kept, e)
				}
			}
			t.all = kept
		}
		t.start[i+1] = int32(len(t.all))
	}
	return t
}

// of returns the edges of s.
func (t *edgeTable) of(s *Step) []Edge {
	return t.all[t.start[s.Index]:t.start[s.Index+1]:t.start[s.Index+1]]
}

// reachable marks the steps reachable from Start.
func reachable(f *Flow, edges *edgeTable) []bool {
	seen := make([]bool, len(f.Steps))
	stack := []*Step{f.Start}
	seen[f.Start.Index] = true
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range edges.of(s) {
			if !seen[e.To.Index] {
				seen[e.To.Index] = true
				stack = append(stack, e.To)
			}
		}
	}
	return seen
}

// deadEnds warns about ways a step can end the call without a hangup, transfer, queue or
// goto: the runtime then hangs up on the caller without a word.
func deadEnds(s *Step, warn func(Pos, string, ...any)) {
	switch s.Kind {
	case KindHangup, KindTransfer, KindQueue, KindGoto, KindReturn:
		return
	case KindMenu:
		if s.Menu.OnFail == nil {
			warn(s.Pos, "dead end: after the last failed try in menu %q the call just hangs up; add on_fail: (e.g. to an agent or a goodbye)", s.Name)
		}
		return
	case KindInput:
		if s.Input.OnFail == nil {
			warn(s.Pos, "dead end: after the last failed try in input %q the call just hangs up; add on_fail:", s.Name)
		}
	case KindIf:
		if s.If.Else == nil {
			warn(s.Pos, "dead end: when the condition of step %q is false the call just hangs up; add else: or next:", s.Name)
		}
		return
	case KindSwitch:
		if s.Switch.Else == nil {
			warn(s.Pos, "dead end: when no case of step %q is true the call just hangs up; add else: or next:", s.Name)
		}
		return
	case KindHours:
		return
	}
	if s.Next == nil {
		warn(s.Pos, "dead end: after step %q the call just hangs up; add next: (or end the path with hangup:, transfer:, queue: or goto:)", s.Name)
	}
}

// stuckLoops returns the strongly connected groups of reachable steps that contain a cycle
// and have no edge leading out of them and no step that ends the call.
func stuckLoops(f *Flow, reach []bool, edges *edgeTable) [][]*Step {
	n := len(f.Steps)
	index := make([]int, n)
	low := make([]int, n)
	on := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []*Step
	var out [][]*Step
	inComp := make([]int32, n) // number of the component a step was last put in, from 1
	comps := int32(0)
	var compBuf []*Step // reused: most components are single steps that are not stuck
	next := 0
	// Iterative Tarjan, so 2,000-step flows cannot overflow the goroutine stack.
	type frame struct {
		s     *Step
		edges []Edge
		i     int
	}
	for _, root := range f.Steps {
		if !reach[root.Index] || index[root.Index] >= 0 {
			continue
		}
		work := []frame{{s: root, edges: edges.of(root)}}
		index[root.Index], low[root.Index] = next, next
		next++
		stack = append(stack, root)
		on[root.Index] = true
		for len(work) > 0 {
			fr := &work[len(work)-1]
			if fr.i < len(fr.edges) {
				to := fr.edges[fr.i].To
				fr.i++
				if index[to.Index] < 0 {
					index[to.Index], low[to.Index] = next, next
					next++
					stack = append(stack, to)
					on[to.Index] = true
					work = append(work, frame{s: to, edges: edges.of(to)})
				} else if on[to.Index] {
					low[fr.s.Index] = min(low[fr.s.Index], index[to.Index])
				}
				continue
			}
			s := fr.s
			work = work[:len(work)-1]
			if len(work) > 0 {
				parent := work[len(work)-1].s
				low[parent.Index] = min(low[parent.Index], low[s.Index])
			}
			if low[s.Index] != index[s.Index] {
				continue
			}
			comp := compBuf[:0]
			for {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[x.Index] = false
				comp = append(comp, x)
				if x == s {
					break
				}
			}
			compBuf = comp
			comps++
			if stuck(comp, edges, inComp, comps) {
				comp = append([]*Step(nil), comp...)
				// report in file order
				for i, j := 0, len(comp)-1; i < j; i, j = i+1, j-1 {
					comp[i], comp[j] = comp[j], comp[i]
				}
				out = append(out, comp)
			}
		}
	}
	return out
}

// stuck reports whether comp is a loop nothing leads out of; inComp marks with id the steps
// of comp.
func stuck(comp []*Step, edges *edgeTable, inComp []int32, id int32) bool {
	for _, s := range comp {
		inComp[s.Index] = id
	}
	cycle := len(comp) > 1
	for _, s := range comp {
		switch s.Kind {
		case KindHangup, KindTransfer, KindQueue, KindReturn:
			return false
		}
		for _, e := range edges.of(s) {
			if inComp[e.To.Index] != id {
				return false
			}
			if e.To == s {
				cycle = true
			}
		}
		if s.Kind != KindGoto && s.Kind != KindIf && s.Kind != KindSwitch && s.Kind != KindHours && s.Kind != KindMenu && s.Next == nil {
			return false // the call can end here (a dead end, reported separately)
		}
		if s.Kind == KindMenu && s.Menu.OnFail == nil || s.Kind == KindInput && s.Input.OnFail == nil {
			return false
		}
	}
	return cycle
}

// StepCost is the worst-case time a caller spends in a step before it moves on along edge
// label (prompts, waiting for keys on every try, lookups, ringing, a subflow up to its
// return).
func StepCost(s *Step, label string) time.Duration { return stepCost(s, label, 0) }

func stepCost(s *Step, label string, depth int) time.Duration {
	switch s.Kind {
	case KindCall:
		return subflowCost(s.Call.Flow, depth)
	case KindPlay:
		return audioTime(s.Play.Audio)
	case KindMenu:
		return collectCost(&s.Menu.Collect, s.Menu.MaxDigits)
	case KindInput:
		in := s.Input
		c := collectCost(&in.Collect, in.Max)
		if in.Confirm != nil {
			c += time.Duration(in.Tries) * (audioTime(in.Confirm.Prompt) + in.Timeout)
		}
		return c
	case KindLanguage:
		if s.Language.Set != "" {
			return 0
		}
		return collectCost(&s.Language.Collect, 1)
	case KindLookup:
		return s.Lookup.Timeout
	case KindTransfer:
		if label == "on_fail" {
			return s.Transfer.Timeout
		}
	case KindQueue:
		if label == "on_timeout" {
			return s.Queue.MaxWait
		}
	}
	return 0
}

func collectCost(c *Collect, digits int) time.Duration {
	if digits < 1 {
		digits = 1
	}
	per := audioTime(c.Prompt) + c.Timeout + time.Duration(digits-1)*c.DigitTimeout
	extra := max(audioTime(c.InvalidPrompt), audioTime(c.TimeoutPrompt))
	return time.Duration(c.Tries)*per + time.Duration(c.Tries-1)*extra
}

// audioTime sums the estimated playing time; prompts count their longest language.
func audioTime(as []Audio) time.Duration {
	var t time.Duration
	for _, a := range as {
		if a.Kind == AudioPrompt && a.Prompt != nil {
			var longest time.Duration
			for _, v := range a.Prompt.ByLang {
				longest = max(longest, audioTime(v))
			}
			t += longest
			continue
		}
		t += a.Duration
	}
	return t
}

// PersonPaths returns, for every queue and transfer step reachable from Start, the longest
// way there without going round a loop (the worst case for a caller who needs every try),
// in step order.
func PersonPaths(f *Flow) []PersonPath {
	if f.Start == nil {
		return nil
	}
	return personPaths(f, newEdgeTable(f, nil))
}

// personPaths is PersonPaths with the flow's edges already listed.
func personPaths(f *Flow, edges *edgeTable) []PersonPath {
	n := len(f.Steps)
	dist, prev, seen := longestPaths(f, personEdges(f, edges), 0)
	var out []PersonPath
	for _, s := range f.Steps {
		if !seen[s.Index] || s.Kind != KindQueue && s.Kind != KindTransfer {
			continue
		}
		var path []*Step
		for x := s; x != nil; x = prev[x.Index] {
			path = append(path, x)
			if len(path) > n {
				break
			}
		}
		for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
			path[i], path[j] = path[j], path[i]
		}
		out = append(out, PersonPath{Step: s, Worst: dist[s.Index], Path: path})
	}
	return out
}

// maxSubflowCost bounds how deep subflow costs are followed (flows calling each other).
const maxSubflowCost = 4

// longestPaths computes, for every step reachable from Start along edges, the longest time
// to get there without going round a loop. Depth-first order from Start; edges to a step
// still on the DFS stack are back edges (loops) and are left out, which leaves a DAG whose
// longest paths are computed in reverse post-order.
func longestPaths(f *Flow, edges *edgeTable, depth int) (dist []time.Duration, prev []*Step, seen []bool) {
	n := len(f.Steps)
	state := make([]uint8, n) // 0 new, 1 on stack, 2 done
	post := make([]*Step, 0, n)
	back := make([]bool, len(edges.all)) // by position in edges.all
	type frame struct {
		s    *Step
		i, j int32 // next edge, end of the step's edges in edges.all
	}
	push := func(work []frame, s *Step) []frame {
		return append(work, frame{s: s, i: edges.start[s.Index], j: edges.start[s.Index+1]})
	}
	work := push(make([]frame, 0, 64), f.Start)
	state[f.Start.Index] = 1
	for len(work) > 0 {
		fr := &work[len(work)-1]
		if fr.i < fr.j {
			k := fr.i
			to := edges.all[k].To
			fr.i++
			switch state[to.Index] {
			case 0:
				state[to.Index] = 1
				work = push(work, to)
			case 1:
				back[k] = true
			}
			continue
		}
		state[fr.s.Index] = 2
		post = append(post, fr.s)
		work = work[:len(work)-1]
	}
	dist = make([]time.Duration, n)
	prev = make([]*Step, n)
	seen = make([]bool, n)
	seen[f.Start.Index] = true
	for i := len(post) - 1; i >= 0; i-- {
		s := post[i]
		if !seen[s.Index] {
			continue
		}
		for k := edges.start[s.Index]; k < edges.start[s.Index+1]; k++ {
			if back[k] {
				continue
			}
			e := edges.all[k]
			d := dist[s.Index] + stepCost(s, e.Label, depth)
			if !seen[e.To.Index] || d > dist[e.To.Index] {
				dist[e.To.Index], prev[e.To.Index], seen[e.To.Index] = d, s, true
			}
		}
	}
	return dist, prev, seen
}

// subflowCost is the longest time from a flow's start to one of its return steps.
func subflowCost(f *Flow, depth int) time.Duration {
	if f == nil || f.Start == nil || depth >= maxSubflowCost {
		return 0
	}
	dist, _, seen := longestPaths(f, newEdgeTable(f, nil), depth+1)
	var worst time.Duration
	for _, s := range f.Steps {
		if s.Kind == KindReturn && seen[s.Index] {
			worst = max(worst, dist[s.Index])
		}
	}
	return worst
}

// personEdges are the edges followed when looking for the way to a person: none out of a
// queue or transfer that was answered (the caller has reached a person there), except the
// failure branches.
func personEdges(f *Flow, edges *edgeTable) *edgeTable {
	person := false
	for _, s := range f.Steps {
		person = person || s.Kind == KindQueue || s.Kind == KindTransfer
	}
	if !person {
		return edges
	}
	return newEdgeTable(f, func(s *Step, e Edge) bool {
		return s.Kind != KindQueue && s.Kind != KindTransfer || e.Label == "on_fail" || e.Label == "on_timeout"
	})
}

// hasPerson reports whether the flow has any way to a person at all.
func hasPerson(f *Flow) bool {
	for _, s := range f.Steps {
		switch s.Kind {
		case KindQueue, KindTransfer, KindCallback:
			return true
		}
	}
	return false
}

// menuReachesPerson reports whether one of the menu's choices leads to a queue, transfer or
// callback without the caller having to go through another menu or input.
// seen is scratch space of one int32 per step, shared by the calls for one flow.
func menuReachesPerson(m *Step, edges *edgeTable, seen []int32) bool {
	mark := int32(m.Index) + 1
	seen[m.Index] = mark
	var buf [16]*Step
	stack := buf[:0]
	for _, e := range edges.of(m) {
		stack = append(stack, e.To)
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s.Index] == mark {
			continue
		}
		seen[s.Index] = mark
		switch s.Kind {
		case KindQueue, KindTransfer, KindCallback:
			return true
		case KindMenu, KindInput, KindLanguage:
			continue
		}
		for _, e := range edges.of(s) {
			stack = append(stack, e.To)
		}
	}
	return false
}

// silentNext is where a step certainly goes when the caller does nothing: a menu or input
// after its last try, a language choice, plays and other steps that do not branch. ok is
// false when the step ends the call or the way depends on something else (a condition, a
// web service, an agent).
func silentNext(s *Step) (*Step, bool) {
	switch s.Kind {
	case KindMenu:
		return s.Menu.OnFail, s.Menu.OnFail != nil
	case KindInput:
		return s.Input.OnFail, s.Input.OnFail != nil
	case KindGoto:
		return s.Goto.Target, true
	case KindLanguage, KindPlay, KindSet, KindRecord:
		return s.Next, s.Next != nil
	}
	return nil, false
}

// silentLoops finds the loops a silent caller goes round for ever: following silentNext
// from a reachable step comes back to a step already on the way. Each loop is reported
// once, starting at its first step in file order.
func silentLoops(f *Flow, reach []bool) [][]*Step {
	var out [][]*Step
	done := make([]bool, len(f.Steps))
	onPath := make([]int32, len(f.Steps)) // place on the current path + 1; 0 when not on it
	var path []*Step
	for _, s := range f.Steps {
		if !reach[s.Index] || done[s.Index] {
			continue
		}
		path = path[:0]
		for x, ok := s, true; ok; x, ok = silentNext(x) {
			if i := int(onPath[x.Index]) - 1; i >= 0 {
				cyc := append([]*Step(nil), path[i:]...)
				first := 0
				for j, c := range cyc {
					if c.Index < cyc[first].Index {
						first = j
					}
				}
				out = append(out, append(cyc[first:], cyc[:first]...))
				break
			}
			if done[x.Index] {
				break
			}
			path = append(path, x)
			onPath[x.Index] = int32(len(path))
		}
		for _, x := range path {
			done[x.Index] = true
			onPath[x.Index] = 0
		}
	}
	return out
}
