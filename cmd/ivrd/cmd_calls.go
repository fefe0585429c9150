package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

func init() {
	register(command{name: "calls show", args: "CALL-ID [--database URL]",
		summary: "print a call's record as a timeline: steps, digits, variables, outcome, durations", run: runCallsShow})
	register(command{name: "calls list", args: "[--limit N] [--database URL]",
		summary: "list the most recent calls", run: runCallsList})
}

func callsFlags(name string, env *cmdEnv) (*flag.FlagSet, *databaseFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs, addDatabaseFlags(fs, env)
}

func runCallsShow(ctx context.Context, env *cmdEnv, args []string) error {
	fs, db := callsFlags("ivrd calls show", env)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) != 1 {
		return errors.New("give one call id: ivrd calls show CALL-ID (ivrd calls list shows recent ones)")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rec, err := ivr.LoadCallRecord(ctx, pool, pos[0])
	if err != nil {
		return err
	}
	return rec.WriteTimeline(env.stdout)
}

func runCallsList(ctx context.Context, env *cmdEnv, args []string) error {
	fs, db := callsFlags("ivrd calls list", env)
	limit := fs.Int("limit", 20, "how many calls")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd calls list [--limit N] [--database URL]", fs.Args())
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	calls, err := ivr.RecentCalls(ctx, pool, *limit)
	if err != nil {
		return err
	}
	if len(calls) == 0 {
		fmt.Fprintln(env.stdout, "no calls yet")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tCALL\tFROM\tTO\tFLOW\tDURATION\tOUTCOME")
	for _, c := range calls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.StartedAt.Local().Format("2006-01-02 15:04:05"), c.ID, c.Caller, c.Called, c.Flow,
			c.Duration.Round(100*time.Millisecond), c.Outcome)
	}
	return tw.Flush()
}
