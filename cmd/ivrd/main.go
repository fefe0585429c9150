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
		if len(args) > 0 && groupUsage(env, args) {
			if len(args) > 1 && isHelpFlag(args[1]) {
				return 0
			}
			return 2
		}
		if len(args) > 0 && args[0] != "help" && !isHelpFlag(args[0]) {
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

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

// groupUsage handles "ivrd calls" or "ivrd calls --help" where calls is only the first word
// of commands such as "calls list": it lists them (on stdout when help was asked for) and
// reports whether args[0] named such a group.
func groupUsage(env *cmdEnv, args []string) bool {
	var names []string
	for n := range commands {
		if strings.HasPrefix(n, args[0]+" ") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return false
	}
	sort.Strings(names)
	w := env.stderr
	if len(args) > 1 && isHelpFlag(args[1]) {
		w = env.stdout
	} else if len(args) == 1 {
		fmt.Fprintf(w, "ivrd: %q needs one of its commands:\n\n", args[0])
	} else {
		fmt.Fprintf(w, "ivrd: no command %q; %q has these:\n\n", strings.Join(args[:2], " "), args[0])
	}
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  ivrd %-30s %s\n", strings.TrimSpace(n+" "+c.args), c.summary)
	}
	fmt.Fprintf(w, "\nRun 'ivrd %s -h' for its flags.\n", names[0])
	return true
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
