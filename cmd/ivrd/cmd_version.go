package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() {
	register(command{name: "version", summary: "print the version of ivrd", run: runVersion})
}

func runVersion(_ context.Context, env *cmdEnv, _ []string) error {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	fmt.Fprintln(env.stdout, "ivrd", v)
	return nil
}
