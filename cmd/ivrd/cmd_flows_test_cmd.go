package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/ivrd/ivrd/ivr"
)

func init() {
	register(command{name: "flows test", args: "[-v] [--run NAME] [--config FILE] FILE|DIR...",
		summary: "run flow scenario tests (*_test.yaml): simulated calls with a virtual clock, readable diffs", run: runFlowsTest})
}

// runFlowsTest runs scenario files in-process: a fake caller, a virtual clock, stubbed web
// services, queues and text/callback services. Exit 1 when a scenario fails.
func runFlowsTest(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd flows test", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	verbose := fs.Bool("v", false, "print what happened on every call, not only on failures")
	only := fs.String("run", "", "run only the scenarios whose name contains this text")
	cfgPath := fs.String("config", "", "ivrd.yaml with the calendars, queues and SMS templates flows refer to (default $IVRD_CONFIG, ./ivrd.yaml, else the embedded default)")
	sounds := fs.String("sounds", "", "folder where sound files are looked up when not next to the flow")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.stderr, "usage: ivrd flows test [-v] [--config FILE] FILE|DIR...   (scenario files are named *_test.yaml)")
		return exitError{2}
	}
	cfg, err := flowConfig(env, *cfgPath)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitError{1}
	}
	files, err := ivr.ScenarioFiles(paths...)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitError{1}
	}
	cat, _ := flowCatalog(cfg, *sounds, paths)
	cat.SkipFileCheck = true // missing sound files are lint's business, not a scenario's
	var total, failed, broken int
	for _, file := range files {
		sf, err := ivr.LoadScenarioFile(file)
		if err != nil {
			fmt.Fprintln(env.stderr, err)
			broken++
			continue
		}
		if *only != "" {
			sf.Scenarios = filterScenarios(sf.Scenarios, *only)
		}
		results, err := ivr.RunScenarioFile(ctx, sf, ivr.ScenarioEnv{Catalog: cat})
		if err != nil {
			fmt.Fprintln(env.stderr, err)
			broken++
			continue
		}
		n, err := ivr.WriteScenarioReport(env.stdout, results, *verbose)
		if err != nil {
			return err
		}
		total += len(results)
		failed += n
	}
	switch {
	case broken > 0 || failed > 0:
		fmt.Fprintf(env.stderr, "%d of %d scenario(s) failed, %d file(s) could not run\n", failed, total, broken)
		return exitError{1}
	case total == 0:
		fmt.Fprintln(env.stderr, "no scenario matched --run")
		return exitError{1}
	}
	fmt.Fprintf(env.stderr, "%d scenario(s) passed\n", total)
	return nil
}

func filterScenarios(ss []*ivr.Scenario, text string) []*ivr.Scenario {
	var out []*ivr.Scenario
	for _, s := range ss {
		if containsFold(s.Name, text) {
			out = append(out, s)
		}
	}
	return out
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
