package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ivrd/ivrd/callback"
)

func init() {
	migrationSets = append(migrationSets, callback.Migrations)
	register(command{name: "callbacks", args: "[--state STATE] [--number N] [--limit N] --database URL",
		summary: "list callback requests: state, reason, every attempt with its node and hangup cause", run: runCallbacks})
}

func runCallbacks(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd callbacks", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	db := addDatabaseFlags(fs, env)
	state := fs.String("state", "", "only requests in this state: refused, waiting, dialing, done or failed")
	number := fs.String("number", "", "only requests for this E.164 number")
	limit := fs.Int("limit", 50, "show at most this many requests, newest first")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd callbacks [--state STATE] [--number N] --database URL", fs.Args())
	}
	switch *state {
	case "", "refused", "waiting", "dialing", "done", "failed":
	default:
		return fmt.Errorf("--state %q: want refused, waiting, dialing, done or failed", *state)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, `SELECT r.id, r.created_at, r.number, r.source, r.state, r.reason, r.eta,
			coalesce(string_agg(a.node || ':' || CASE WHEN a.cause <> '' THEN a.cause ELSE a.state END, ' ' ORDER BY a.attempt), '')
		FROM callback_request r LEFT JOIN callback_attempt a ON a.request_id = r.id
		WHERE ($1 = '' OR r.state = $1) AND ($2 = '' OR r.number = $2)
		GROUP BY r.id ORDER BY r.id DESC LIMIT $3`, *state, *number, *limit)
	if err != nil {
		return fmt.Errorf("list callbacks (is the database migrated? ivrd migrate): %w", err)
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(env.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tASKED\tNUMBER\tSOURCE\tSTATE\tREASON\tETA\tATTEMPTS")
	n := 0
	for rows.Next() {
		var id int64
		var created time.Time
		var eta *time.Time
		var num, src, st, reason, attempts string
		if err := rows.Scan(&id, &created, &num, &src, &st, &reason, &eta, &attempts); err != nil {
			return fmt.Errorf("list callbacks (is the database migrated by this ivrd version? ivrd migrate): %w", err)
		}
		etaText := "-"
		if eta != nil {
			etaText = eta.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, created.UTC().Format("2006-01-02 15:04"), num, src, st,
			callbackOrDash(reason), etaText, callbackOrDash(attempts))
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list callbacks: %w (is the database reachable? try again)", err)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(env.stderr, "no callback requests match")
	}
	return nil
}

func callbackOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
