// Command dualpath makes a home server reachable over IPv4 (its own PPPoE
// session) and IPv6 (IPoE) on Japanese MAP-E fibre lines. This file only
// dispatches to subcommands; each lives in its own file and calls into the
// packages that do the work.
package main

import (
	"context"
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
	switch {
	case len(args) == 0:
		cli.PrintTop(stdio.Stderr, msg.FromEnv(stdio.Getenv))
		return cli.Silent(cli.ExitUsage)
	case args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help":
		if len(args) > 1 && cli.Lookup(args[1]) != nil {
			return cli.Lookup(args[1]).Run(ctx, stdio, append(args[2:], "--help"))
		}
		cli.PrintTop(stdio.Stdout, msg.FromEnv(stdio.Getenv))
		return nil
	case args[0] == "--version" || args[0] == "-version" || args[0] == "-V":
		return cli.Lookup("version").Run(ctx, stdio, nil)
	}
	c := cli.Lookup(args[0])
	if c == nil {
		return cli.Usage(msg.T("unknown command %q%s: run 'dualpath -h' for the list",
			"%q というコマンドはありません%s。一覧は 'dualpath -h' で表示します", args[0], cli.DidYouMean(args[0], cli.Names())))
	}
	return c.Run(ctx, stdio, args[1:])
}
