package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
)

func init() {
	cli.Register(&cli.Command{
		Name:    "check-config",
		Usage:   "check-config FILE",
		Summary: "validate a config file without touching the network",
		Run:     runCheckConfig,
	})
}

func runCheckConfig(_ context.Context, stdio cli.IO, args []string) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdio.Stdout, "usage: dualpath check-config FILE")
			fs.SetOutput(stdio.Stdout)
			fs.PrintDefaults()
			return nil
		}
		return cli.Usagef("check-config: %v; usage: dualpath check-config FILE", err)
	}
	if fs.NArg() != 1 {
		return cli.Usagef("usage: dualpath check-config FILE (e.g. /etc/dualpath/dualpath.yaml)")
	}
	path := fs.Arg(0)
	cfg, err := config.Load(path)
	if err == nil {
		err = daemon.CheckConfig(cfg)
	}
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return cli.Silent(cli.ExitUsage)
	}
	fmt.Fprintf(stdio.Stdout, "%s: ok\n%s\n", path, cfg.Summary())
	return nil
}
