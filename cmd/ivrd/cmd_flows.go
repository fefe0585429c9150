package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/ivr"
)

func init() {
	register(command{name: "flows lint", args: "[--strict] [--config FILE] FILE|DIR...",
		summary: "check flow files: errors with file:line:col, warnings, worst-case time to a person", run: runFlowsLint})
	register(command{name: "flows graph", args: "[--format mermaid|dot] FILE",
		summary: "draw a flow as a Mermaid or Graphviz graph", run: runFlowsGraph})
	register(command{name: "flows schema", summary: "print the JSON Schema of the flow format (for editors)", run: runFlowsSchema})
}

// parseInterleaved parses flags that may come before, between or after the positional
// arguments ("lint flows/ --strict").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return exitError{0}
	}
	return exitError{2}
}

// flowConfig finds the config whose calendars, queues and templates the flows refer to:
// --config, else $IVRD_CONFIG, else ./ivrd.yaml when present, else the embedded default.
func flowConfig(env *cmdEnv, path string) (*config.Config, error) {
	if path == "" {
		path = env.getenv("IVRD_CONFIG")
	}
	if path == "" {
		if _, err := os.Stat("ivrd.yaml"); err == nil {
			path = "ivrd.yaml"
		}
	}
	return config.Load(path)
}

// flowCatalog builds the names flows may use from the config. Flow names for call: are the
// flow files next to the files being checked and in the config's flows folder. A config
// that defines no queues (or no SMS templates) leaves those names unchecked; notes say so.
func flowCatalog(c *config.Config, sounds string, paths []string) (*ivr.Catalog, ivr.Diagnostics) {
	cat := &ivr.Catalog{
		Calendars: map[string]*ivr.Calendar{},
		Queues:    map[string]bool{},
		Templates: map[string]bool{},
		Flows:     map[string]bool{},
		SoundsDir: sounds,
	}
	for name, cal := range c.Calendars {
		cat.Calendars[name] = cal
	}
	for name := range c.Queues {
		cat.Queues[name] = true
	}
	for name := range c.SMS.Templates {
		cat.Templates[name] = true
	}
	cfgName := c.Path
	if cfgName == "" {
		cfgName = "default.yaml (embedded)"
	}
	var notes ivr.Diagnostics
	if len(cat.Queues) == 0 {
		cat.Queues = nil
		notes = append(notes, ivr.Diagnostic{Pos: ivr.Pos{File: cfgName}, Severity: ivr.SevNote, Msg: "the config defines no queues: queue names in flows are not checked"})
	}
	if len(cat.Templates) == 0 {
		cat.Templates = nil
		notes = append(notes, ivr.Diagnostic{Pos: ivr.Pos{File: cfgName}, Severity: ivr.SevNote, Msg: "the config defines no SMS templates: template names in flows are not checked"})
	}
	dirs := map[string]bool{}
	if c.Flows.Dir != "" {
		dirs[c.Flows.Dir] = true
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			dirs[p] = true
		} else {
			dirs[filepath.Dir(p)] = true
		}
	}
	for d := range dirs {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			n := e.Name()
			if !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) && !ivr.IsScenarioFile(n) {
				cat.Flows[strings.TrimSuffix(strings.TrimSuffix(n, ".yaml"), ".yml")] = true
			}
		}
	}
	return cat, notes
}

func runFlowsLint(_ context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd flows lint", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	strict := fs.Bool("strict", false, "fail (exit 1) on warnings too")
	cfgPath := fs.String("config", "", "ivrd.yaml with the calendars, queues and SMS templates flows refer to (default $IVRD_CONFIG, ./ivrd.yaml, else the embedded default)")
	sounds := fs.String("sounds", "", "folder where sound files are looked up when not next to the flow")
	quiet := fs.Bool("q", false, "do not print notes (worst-case time to a person)")
	maxWait := fs.Duration("max-time-to-person", ivr.DefaultMaxTimeToPerson, "warn when a caller may need longer than this to reach a person")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.stderr, "usage: ivrd flows lint [--strict] [--config FILE] FILE|DIR...")
		return exitError{2}
	}
	cfg, err := flowConfig(env, *cfgPath)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitError{1}
	}
	cat, notes := flowCatalog(cfg, *sounds, paths)
	set, ds := ivr.LoadFiles(cat, paths...)
	ds = append(ds, notes...)
	if set != nil {
		for _, f := range set.Flows {
			ds = append(ds, ivr.Analyze(f, ivr.AnalyzeOptions{MaxTimeToPerson: *maxWait})...)
		}
	}
	ds.Sort()
	for _, d := range ds {
		if d.Severity == ivr.SevNote && *quiet {
			continue
		}
		fmt.Fprintln(env.stdout, d)
	}
	errs, warns := ds.Count(ivr.SevError), ds.Count(ivr.SevWarning)
	files := 0
	if set != nil {
		files = len(set.Flows)
	}
	switch {
	case errs > 0:
		fmt.Fprintf(env.stderr, "%d error(s), %d warning(s): fix the errors above and run ivrd flows lint again\n", errs, warns)
		return exitError{1}
	case warns > 0 && *strict:
		fmt.Fprintf(env.stderr, "%d warning(s), which --strict treats as errors\n", warns)
		return exitError{1}
	}
	fmt.Fprintf(env.stderr, "%d flow(s) ok, %d warning(s)\n", files, warns)
	return nil
}

func runFlowsGraph(_ context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd flows graph", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	format := fs.String("format", "mermaid", "mermaid (for Markdown pages) or dot (Graphviz)")
	cfgPath := fs.String("config", "", "ivrd.yaml (see flows lint)")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(paths) != 1 {
		fmt.Fprintln(env.stderr, "usage: ivrd flows graph [--format mermaid|dot] FILE")
		return exitError{2}
	}
	if *format != string(ivr.GraphMermaid) && *format != string(ivr.GraphDOT) {
		return fmt.Errorf("unknown --format %q: use mermaid or dot", *format)
	}
	if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder: give one flow file, e.g. ivrd flows graph %s", paths[0], filepath.Join(paths[0], "hotline.yaml"))
	}
	cfg, err := flowConfig(env, *cfgPath)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitError{1}
	}
	cat, _ := flowCatalog(cfg, "", paths)
	set, ds := ivr.LoadFiles(cat, paths...)
	if set == nil {
		for _, d := range ds {
			if d.Severity == ivr.SevError {
				fmt.Fprintln(env.stderr, d)
			}
		}
		fmt.Fprintln(env.stderr, "fix the errors above (ivrd flows lint shows them all) to draw the flow")
		return exitError{1}
	}
	return ivr.WriteGraph(env.stdout, set.Flows[0], ivr.GraphFormat(*format))
}

func runFlowsSchema(_ context.Context, env *cmdEnv, args []string) error {
	if len(args) > 0 {
		fmt.Fprintln(env.stderr, "usage: ivrd flows schema > flows/flow.schema.json")
		return exitError{2}
	}
	_, err := env.stdout.Write(ivr.Schema())
	return err
}
