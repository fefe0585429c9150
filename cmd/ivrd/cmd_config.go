package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/ivr"
)

func init() {
	register(command{name: "config check", args: "[--config FILE]", summary: "check ivrd.yaml: strict decode, environment overrides, addresses, secrets, and that the flows load", run: runConfigCheck})
	register(command{name: "config env", args: "[--config FILE]", summary: "list the IVRD_* environment variables that override ivrd.yaml", run: runConfigEnv})
	register(command{name: "config schema", summary: "print the JSON Schema of ivrd.yaml (for editors)", run: runConfigSchema})
}

func runConfigSchema(_ context.Context, env *cmdEnv, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd config schema > ivrd.schema.json", args)
	}
	b, err := config.SchemaJSON()
	if err != nil {
		return err
	}
	_, err = env.stdout.Write(b)
	return err
}

// configFlags parses the --config flag shared by the config commands; its default is $IVRD_CONFIG.
func configFlags(env *cmdEnv, name string, args []string) (string, error) {
	fs := flag.NewFlagSet("ivrd "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	path := fs.String("config", env.getenv("IVRD_CONFIG"), "the config file (default $IVRD_CONFIG, else the embedded default)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", exitError{0}
		}
		return "", exitError{2}
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected arguments %q; usage: ivrd %s [--config FILE]", fs.Args(), name)
	}
	return *path, nil
}

// loadForCheck reads and strictly decodes the config, then applies the environment.
func loadForCheck(env *cmdEnv, path string) (*config.Config, string, []byte, error) {
	name, src := "default.yaml (embedded)", config.DefaultYAML()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", nil, fmt.Errorf("read config: %w (give the path of your ivrd.yaml with --config)", err)
		}
		name, src = path, b
	}
	c, err := config.Parse(name, src)
	if err != nil {
		return nil, name, src, err
	}
	c.Path = path
	if err := config.ApplyEnv(c, env.getenv); err != nil {
		return nil, name, src, fmt.Errorf("%s: %w", name, err)
	}
	return c, name, src, nil
}

func runConfigCheck(_ context.Context, env *cmdEnv, args []string) error {
	path, err := configFlags(env, "config check", args)
	if err != nil {
		return err
	}
	c, name, src, err := loadForCheck(env, path)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitError{1}
	}
	ps := config.Check(c, config.CheckOptions{Getenv: env.getenv, Name: name, Source: src})
	errs, warnings := 0, 0
	for _, p := range ps {
		fmt.Fprintln(env.stderr, p)
		if p.Severity == config.SeverityWarning {
			warnings++
		} else {
			errs++
		}
	}
	// The flows must load with this config's calendars, queues and templates, as the daemon
	// loads them (what `ivrd flows lint --config` reports, notes left out).
	if st, err := os.Stat(c.Flows.Dir); err == nil && st.IsDir() {
		cat, _ := flowCatalog(c, "", []string{c.Flows.Dir})
		_, ds := ivr.LoadFiles(cat, c.Flows.Dir)
		ds.Sort()
		for _, d := range ds {
			if d.Severity != ivr.SevNote {
				fmt.Fprintln(env.stderr, d)
			}
		}
		errs += ds.Count(ivr.SevError)
		warnings += ds.Count(ivr.SevWarning)
	}
	if errs > 0 {
		fmt.Fprintf(env.stderr, "%s: %d error(s), %d warning(s): fix the errors above and run ivrd config check again\n", name, errs, warnings)
		return exitError{1}
	}
	fmt.Fprintf(env.stdout, "%s: ok (%d warning(s))\n", name, warnings)
	return nil
}

func runConfigEnv(_ context.Context, env *cmdEnv, args []string) error {
	path, err := configFlags(env, "config env", args)
	if err != nil {
		return err
	}
	c, _, _, err := loadForCheck(env, path)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitError{1}
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tYAML PATH\tTYPE\tSET")
	for _, v := range config.EnvVars(c) {
		set := ""
		if env.getenv(v.Name) != "" {
			set = "yes" // never the value: it may be a secret
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Path, v.Type, set)
	}
	return tw.Flush()
}
