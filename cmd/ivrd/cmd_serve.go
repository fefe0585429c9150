package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/daemon"
)

func init() {
	register(command{
		name:    "serve",
		args:    "--config ivrd.yaml [--grace 30s]",
		summary: "run ivrd: FreeSWITCH's outbound socket, flows, database, HTTP (SIGHUP reloads flows, SIGTERM drains)",
		run:     runServe,
	})
}

func runServe(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfgPath := fs.String("config", env.getenv("IVRD_CONFIG"), "ivrd.yaml (default $IVRD_CONFIG, else ./ivrd.yaml)")
	grace := fs.Duration("grace", daemon.DefaultGrace, "on SIGTERM, how long calls in progress may go on before they are hung up")
	jsonLogs := fs.Bool("json", false, "log JSON lines instead of text")
	verbose := fs.Bool("v", false, "debug logs")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd serve --config ivrd.yaml", fs.Args())
	}
	if *cfgPath == "" {
		if !fileExists("ivrd.yaml") {
			return errors.New("no config: give --config ivrd.yaml (or set $IVRD_CONFIG); start from the built-in default: " +
				"ivrd config check prints problems, and `ivrd demo` runs everything on one machine")
		}
		*cfgPath = "ivrd.yaml"
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	var log *slog.Logger
	if *jsonLogs {
		log = slog.New(slog.NewJSONHandler(env.stderr, hopts))
	} else {
		log = slog.New(slog.NewTextHandler(env.stderr, hopts))
	}

	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if err := config.ApplyEnv(cfg, env.getenv); err != nil {
		return err
	}
	d, err := daemon.New(daemon.Options{Config: cfg, Logger: log, ConsoleOut: env.stdout, Grace: *grace})
	if err != nil {
		return err
	}
	if err := d.Start(ctx); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serveUntilDone(ctx, d, hup, *grace, log)
}

// serveUntilDone reloads flows on each value from hup and stops d when ctx ends (SIGTERM,
// Ctrl-C), letting calls finish for grace. A stop that completed is nil (exit status 0) even
// when calls still running at the grace deadline were hung up: that is what a drain does, and
// the daemon logs a warning with how many (daemon.Daemon.CallsCut). Only a real failure
// (records not flushed, the job queue not stopped, ...) is an error, so exits non-zero.
func serveUntilDone(ctx context.Context, d *daemon.Daemon, hup <-chan os.Signal, grace time.Duration, log *slog.Logger) error {
	for {
		select {
		case <-hup:
			log.Info("SIGHUP: reloading flows")
			if err := d.Reload(); err != nil {
				log.Error("flows not reloaded; the last good ones keep serving", "err", err)
			}
		case <-ctx.Done():
			log.Info("stopping: readiness turns to draining, no new calls, calls in progress may finish", "grace", grace)
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace+30*time.Second)
			defer cancel()
			return d.Stop(sctx)
		}
	}
}
