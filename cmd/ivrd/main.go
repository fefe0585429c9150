// Command ivrd is the only binary of the project: the daemon (serve, demo), the tools for flow
// designers (flows lint, graph, schema, test), the terminal caller (call), the FreeSWITCH
// emulator, QA tools and database migrations.
//
// Each subcommand lives in its own cmd_*.go file and registers itself in init with register.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand such as "flows lint".
type command struct {
	name    string // words after "ivrd", e.g. "flows lint"
	args    string // argument synopsis for help, e.g. "FILE|DIR..."
	summary string // one line for `ivrd help`
	run     func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what a command may touch of the outside world, so tests can run commands in-process.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// exitError asks main to exit with code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("ivrd: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cmdEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(runMain(ctx, env, os.Args[1:]))
}

// runMain finds the command named by the leading words of args, runs it and returns the exit code.
func runMain(ctx context.Context, env *cmdEnv, args []string) int {
	c, rest, ok := lookup(args)
	if !ok {
		if len(args) > 0 && args[0] != "help" && args[0] != "-h" && args[0] != "--help" {
			fmt.Fprintf(env.stderr, "ivrd: unknown command %q\n\n", strings.Join(args, " "))
			usage(env.stderr)
			return 2
		}
		usage(env.stdout)
		return 0
	}
	err := c.run(ctx, env, rest)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(env.stderr, "ivrd %s: %v\n", c.name, err)
		return 1
	}
}

// lookup matches the longest registered command name at the start of args.
func lookup(args []string) (command, []string, bool) {
	for n := len(args); n > 0; n-- {
		if c, ok := commands[strings.Join(args[:n], " ")]; ok {
			return c, args[n:], true
		}
	}
	return command{}, nil, false
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: ivrd COMMAND [flags] [args]")
	fmt.Fprintln(w)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-34s %s\n", strings.TrimSpace(n+" "+c.args), c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ivrd COMMAND -h' for a command's flags.")
}
