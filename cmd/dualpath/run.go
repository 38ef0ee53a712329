package main

import (
	"context"
	"os"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	cli.Register(&cli.Command{
		Name:  "run",
		Usage: "run [--config FILE]",
		Summary: msg.T("run the daemon: PPPoE session, policy routing, firewall, DNS, status and metrics",
			"デーモンを動かす（PPPoE セッション、ポリシールーティング、ファイアウォール、DNS、状態、メトリクス）"),
		Run: runDaemon,
	})
}

func runDaemon(ctx context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("run")
	cfgPath := fs.String("config", config.DefaultConfigFile, cli.T("the config file",
		"設定ファイル"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usage(msg.T("run takes no arguments; usage: dualpath run [--config FILE]", "run に引数はありません。使い方: dualpath run [--config FILE]"))
	}
	cfg, err := config.Load(*cfgPath)
	if err == nil {
		err = daemon.CheckConfig(cfg)
	}
	if err != nil {
		printConfigErrors(stdio, err)
		return cli.Silent(cli.ExitUsage)
	}
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	log, err := daemon.NewLogger(stdio.Stderr, cfg.Log.Format, cfg.Log.Level, getenv("JOURNAL_STREAM") != "", msg.FromEnv(getenv))
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if err := daemon.Run(ctx, daemon.Options{Config: cfg, Version: version, Logger: log, Getenv: getenv}); err != nil {
		msg.LogError(log, msg.T("dualpath stopped", "dualpath が止まりました"), "err", err)
		return cli.Failf("%v", err)
	}
	return nil
}
