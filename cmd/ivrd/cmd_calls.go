package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

func init() {
	register(command{name: "calls show", args: "CALL-ID [--database URL]",
		summary: "print a call's record as a timeline: steps, digits, variables, outcome, durations", run: runCallsShow})
	register(command{name: "calls list", args: "[--limit N] [--database URL]",
		summary: "list the most recent calls", run: runCallsList})
}

// callsDatabase resolves where call records are: --database, --database-file,
// $IVRD_DATABASE_URL(_FILE), else the running demo's database (.demo/database_url).
func callsDatabase(env *cmdEnv, url, urlFile string) (string, error) {
	if url != "" {
		return url, nil
	}
	if urlFile == "" {
		if f := filepath.Join(".demo", demoURLFile); fileExists(f) {
			urlFile = f
		}
	}
	if urlFile != "" {
		b, err := os.ReadFile(urlFile)
		if err != nil {
			return "", fmt.Errorf("read the database URL: %w", err)
		}
		if u := strings.TrimSpace(string(b)); u != "" {
			return u, nil
		}
		return "", fmt.Errorf("database URL file %s is empty", urlFile)
	}
	return "", errors.New("no database: give --database postgres://USER:PASSWORD@HOST:PORT/DB (or --database-file FILE, " +
		"or $IVRD_DATABASE_URL), or run this in the folder where ivrd demo runs")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func callsFlags(name string, env *cmdEnv) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	url := fs.String("database", env.getenv("IVRD_DATABASE_URL"), "PostgreSQL URL (default $IVRD_DATABASE_URL, else the running demo's)")
	urlFile := fs.String("database-file", env.getenv("IVRD_DATABASE_URL_FILE"), "file holding the PostgreSQL URL (default $IVRD_DATABASE_URL_FILE)")
	return fs, url, urlFile
}

func runCallsShow(ctx context.Context, env *cmdEnv, args []string) error {
	fs, url, urlFile := callsFlags("ivrd calls show", env)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) != 1 {
		return errors.New("give one call id: ivrd calls show CALL-ID (ivrd calls list shows recent ones)")
	}
	db, err := callsDatabase(env, *url, *urlFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, db)
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
	fs, url, urlFile := callsFlags("ivrd calls list", env)
	limit := fs.Int("limit", 20, "how many calls")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd calls list [--limit N] [--database URL]", fs.Args())
	}
	db, err := callsDatabase(env, *url, *urlFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, db)
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
