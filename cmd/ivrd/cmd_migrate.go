package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
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
	url := fs.String("database", env.getenv("IVRD_DATABASE_URL"), "PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DB (default $IVRD_DATABASE_URL)")
	urlFile := fs.String("database-file", env.getenv("IVRD_DATABASE_URL_FILE"), "file holding the PostgreSQL URL, keeping the password off the command line (default $IVRD_DATABASE_URL_FILE)")
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
	if *url == "" && *urlFile != "" {
		b, err := os.ReadFile(*urlFile)
		if err != nil {
			return fmt.Errorf("read the database URL: %w", err)
		}
		if *url = strings.TrimSpace(string(b)); *url == "" {
			return fmt.Errorf("database URL file %s is empty; put postgres://USER:PASSWORD@HOST:PORT/DB in it", *urlFile)
		}
	}
	if *url == "" {
		return errors.New("no database: give --database postgres://USER:PASSWORD@HOST:PORT/DB (or --database-file FILE), " +
			"or set IVRD_DATABASE_URL (or IVRD_DATABASE_URL_FILE)")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	pool, err := store.Open(ctx, *url)
	if err != nil {
		return err
	}
	defer pool.Close()
	log := slog.New(slog.NewTextHandler(env.stderr, nil))
	return store.MigrateWithLogger(ctx, pool, log, migrationSets...)
}
