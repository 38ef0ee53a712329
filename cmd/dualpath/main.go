// Command dualpath makes a home server reachable over IPv4 (its own PPPoE
// session) and IPv6 (IPoE) on Japanese MAP-E fibre lines. This file only
// dispatches to subcommands; each lives in its own file and calls into the
// packages that do the work.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/msg"
)

func main() {
	stdio := cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := dispatch(ctx, stdio, os.Args[1:])
	stop()
	if err != nil && err.Error() != "" {
		msg.FitText(os.Stderr, "dualpath: "+cli.Message(err, msg.FromEnv(os.Getenv)))
	}
	os.Exit(cli.Code(err))
}

func dispatch(ctx context.Context, stdio cli.IO, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdio)
		if len(args) == 0 {
			return cli.Silent(cli.ExitUsage)
		}
		return nil
	}
	c := cli.Lookup(args[0])
	if c == nil {
		return cli.Usagef("unknown command %q: run 'dualpath help' for the list", args[0])
	}
	return c.Run(ctx, stdio, args[1:])
}

func usage(stdio cli.IO) {
	fmt.Fprintln(stdio.Stderr, "usage: dualpath COMMAND [flags]\n\ncommands:")
	for _, c := range cli.Commands() {
		fmt.Fprintf(stdio.Stderr, "  %-14s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(stdio.Stderr, "\nrun 'dualpath COMMAND -h' for a command's flags")
}
