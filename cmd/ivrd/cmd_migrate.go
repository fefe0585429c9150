package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/ivrd/ivrd/store"
)

// migrationSets are the domain packages' schemas, in the order Migrate applies them (after
// store's core set and River's). Each package appends its set from its own file in this
// folder:
//
//	func init() { migrationSets = append(migrationSets, sms.Migrations) }
var migrationSets []store.MigrationSet

func init() {
	register(command{name: "migrate", args: "--database URL|--database-file FILE", summary: "create or update the database schema (safe to run while ivrd runs)", run: runMigrate})
}

func runMigrate(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd migrate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	db := addDatabaseFlags(fs, env)
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd migrate --database URL | --database-file FILE", fs.Args())
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	pool, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	log := slog.New(slog.NewTextHandler(env.stderr, nil))
	return store.MigrateWithLogger(ctx, pool, log, migrationSets...)
}
