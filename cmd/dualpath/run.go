package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
)

func init() {
	cli.Register(&cli.Command{
		Name:    "run",
		Usage:   "run [--config FILE]",
		Summary: "run the daemon: PPPoE session, policy routing, firewall, DNS, status and metrics",
		Run:     runDaemon,
	})
}

func runDaemon(ctx context.Context, stdio cli.IO, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := fs.String("config", config.DefaultConfigFile, "the config file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdio.Stdout, "usage: dualpath run [--config FILE]")
			fs.SetOutput(stdio.Stdout)
			fs.PrintDefaults()
			return nil
		}
		return cli.Usagef("run: %v; usage: dualpath run [--config FILE]", err)
	}
	if fs.NArg() > 0 {
		return cli.Usagef("run takes no arguments; usage: dualpath run [--config FILE]")
	}
	cfg, err := config.Load(*cfgPath)
	if err == nil {
		err = daemon.CheckConfig(cfg)
	}
	if err != nil {
		fmt.Fprintln(stdio.Stderr, err)
		return cli.Silent(cli.ExitUsage)
	}
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	log, err := daemon.NewLogger(stdio.Stderr, cfg.Log.Format, cfg.Log.Level, getenv("JOURNAL_STREAM") != "")
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if err := daemon.Run(ctx, daemon.Options{Config: cfg, Version: version, Logger: log, Getenv: getenv}); err != nil {
		log.Error("dualpath stopped", "err", err)
		return cli.Failf("%v", err)
	}
	return nil
}
