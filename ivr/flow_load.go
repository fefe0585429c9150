package ivr

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// LoadedFlows is a set of flows loaded together, by name. call: steps between them are resolved.
type LoadedFlows struct {
	// Flows in the order their files were loaded.
	Flows  []*Flow
	ByName map[string]*Flow
}

// ParseFlow parses one flow file from memory: file names it in diagnostics and locates
// sound files (relative to its folder on disk). The flow is nil when there are errors;
// call: targets are not checked (LoadFiles does that across files).
func ParseFlow(file string, data []byte, cat *Catalog) (*Flow, Diagnostics) {
	dir := filepath.Dir(file)
	f, ds := parseFlowData(file, data, os.DirFS(dir), ".", dir, cat)
	if f != nil && len(f.pendingVars) > 0 {
		// Alone, there are no other flows to define them.
		ds = append(ds, pendingErrors(f, sortedVars(f.definedVars))...)
		ds.Sort()
		return nil, ds
	}
	return f, ds
}

func pendingErrors(f *Flow, known []string) Diagnostics {
	var ds Diagnostics
	for _, pv := range f.pendingVars {
		ds = append(ds, Diagnostic{Pos: pv.pos, Severity: SevError, Msg: unknownVarMsg(pv.name, known)})
	}
	return ds
}

func sortedVars(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// LoadFiles loads flow files, and every *.yaml / *.yml of the folders named, checking each
// against cat and the call: steps between them. It returns every finding (errors first
// per file, in file order); set is nil when there is any error.
func LoadFiles(cat *Catalog, paths ...string) (*LoadedFlows, Diagnostics) {
	var all Diagnostics
	var loaded []*Flow
	var calls [][]callUse
	for _, p := range paths {
		files, err := flowFiles(p)
		if err != nil {
			all = append(all, Diagnostic{Pos: Pos{File: p}, Severity: SevError, Msg: err.Error()})
			continue
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				all = append(all, Diagnostic{Pos: Pos{File: file}, Severity: SevError, Msg: fmt.Sprintf("cannot read the flow: %v", err)})
				continue
			}
			dir := filepath.Dir(file)
			f, ds, cs := parseFlowFull(file, data, os.DirFS(dir), ".", dir, cat)
			all = append(all, ds...)
			if f != nil {
				loaded = append(loaded, f)
				calls = append(calls, cs)
			}
		}
	}
	return link(loaded, calls, cat, all)
}

// LoadFS loads every *.yaml of folder dir in fsys (e.g. the flows embedded in the binary).
// Sound files are looked up in fsys next to the flow, then in cat.SoundsDir.
func LoadFS(fsys fs.FS, dir string, cat *Catalog) (*LoadedFlows, Diagnostics) {
	var all Diagnostics
	var loaded []*Flow
	var calls [][]callUse
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, Diagnostics{{Pos: Pos{File: dir}, Severity: SevError, Msg: fmt.Sprintf("cannot list flows: %v", err)}}
	}
	for _, e := range ents {
		if e.IsDir() || !isFlowFile(e.Name()) {
			continue
		}
		name := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			all = append(all, Diagnostic{Pos: Pos{File: name}, Severity: SevError, Msg: fmt.Sprintf("cannot read the flow: %v", err)})
			continue
		}
		f, ds, cs := parseFlowFull(name, data, fsys, dir, "", cat)
		all = append(all, ds...)
		if f != nil {
			loaded = append(loaded, f)
			calls = append(calls, cs)
		}
	}
	return link(loaded, calls, cat, all)
}

func parseFlowFull(file string, data []byte, fsys fs.FS, dir, osDir string, cat *Catalog) (*Flow, Diagnostics, []callUse) {
	if cat == nil {
		cat = &Catalog{}
	}
	f, ds := parseFlowData(file, data, fsys, dir, osDir, cat)
	var cs []callUse
	if f != nil {
		for _, s := range f.Steps {
			if s.Kind == KindCall {
				cs = append(cs, callUse{step: s, pos: s.Call.pos})
			}
		}
	}
	return f, ds, cs
}

// link resolves call: steps across flows and rejects duplicate flow names.
func link(loaded []*Flow, calls [][]callUse, cat *Catalog, all Diagnostics) (*LoadedFlows, Diagnostics) {
	set := &LoadedFlows{ByName: map[string]*Flow{}}
	for _, f := range loaded {
		if prev, dup := set.ByName[f.Name]; dup {
			all = append(all, Diagnostic{Pos: f.Pos, Severity: SevError, Msg: fmt.Sprintf("flow name %q is also used by %s; give one of them another flow: name", f.Name, prev.File)})
			continue
		}
		set.ByName[f.Name] = f
		set.Flows = append(set.Flows, f)
	}
	names := make([]string, 0, len(set.ByName))
	for n := range set.ByName {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, cs := range calls {
		for _, c := range cs {
			target := set.ByName[c.step.Call.FlowName]
			if target == nil {
				if cat != nil && cat.Flows[c.step.Call.FlowName] {
					continue
				}
				all = append(all, Diagnostic{Pos: c.pos, Severity: SevError, Msg: fmt.Sprintf("step %q calls unknown flow %q%s", c.step.Name, c.step.Call.FlowName, didYouMeanOr(c.step.Call.FlowName, names, "; lint it together with the file that defines it"))})
				continue
			}
			if target == loaded[i] {
				all = append(all, Diagnostic{Pos: c.pos, Severity: SevError, Msg: fmt.Sprintf("step %q calls its own flow %q; use goto to repeat steps", c.step.Name, target.Name)})
				continue
			}
			c.step.Call.Flow = target
		}
	}
	all = append(all, checkSharedVars(set)...)
	if all.HasErrors() {
		return nil, all
	}
	return set, all
}

// checkSharedVars checks the variables flows read but do not define against the flows they
// share variables with: those they call and those that call them, transitively. Flows that
// call a flow which was not loaded cannot be checked (their variables are unknown).
func checkSharedVars(set *LoadedFlows) Diagnostics {
	var ds Diagnostics
	neighbours := map[*Flow][]*Flow{}
	open := map[*Flow]bool{} // calls a flow that was not loaded
	for _, f := range set.Flows {
		for _, s := range f.Steps {
			if s.Kind != KindCall {
				continue
			}
			if s.Call.Flow == nil {
				open[f] = true
				continue
			}
			neighbours[f] = append(neighbours[f], s.Call.Flow)
			neighbours[s.Call.Flow] = append(neighbours[s.Call.Flow], f)
		}
	}
	for _, f := range set.Flows {
		if len(f.pendingVars) == 0 {
			continue
		}
		known := map[string]bool{}
		unknowable := false
		seen := map[*Flow]bool{f: true}
		stack := []*Flow{f}
		for len(stack) > 0 {
			g := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			unknowable = unknowable || open[g]
			for v := range g.definedVars {
				known[v] = true
			}
			for _, n := range neighbours[g] {
				if !seen[n] {
					seen[n] = true
					stack = append(stack, n)
				}
			}
		}
		if unknowable {
			continue
		}
		names := sortedVars(known)
		for _, pv := range f.pendingVars {
			if !known[pv.name] {
				ds = append(ds, Diagnostic{Pos: pv.pos, Severity: SevError, Msg: unknownVarMsg(pv.name, names)})
			}
		}
	}
	ds.Sort()
	return ds
}

func isFlowFile(name string) bool {
	return (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) && !strings.HasPrefix(name, ".") &&
		!IsScenarioFile(name)
}

// flowFiles expands a path: a file as is, a folder to its *.yaml / *.yml files (not
// recursive: testdata and the like live in subfolders).
func flowFiles(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", p, err)
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("cannot list %s: %w", p, err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && isFlowFile(e.Name()) {
			out = append(out, filepath.Join(p, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no flow files (*.yaml) in %s", p)
	}
	return out, nil
}
