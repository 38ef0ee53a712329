package main

import (
	"context"
	"errors"
	"strings"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	cli.Register(&cli.Command{
		Name:  "check-config",
		Usage: "check-config FILE",
		Summary: msg.T("validate a config file without touching the network",
			"設定ファイルを、ネットワークに触れずに確認する"),
		Run: runCheckConfig,
	})
}

func runCheckConfig(_ context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("check-config")
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return cli.Usage(msg.T("usage: dualpath check-config FILE (e.g. /etc/dualpath/dualpath.yaml)",
			"使い方: dualpath check-config ファイル（例 /etc/dualpath/dualpath.yaml）"))
	}
	path := fs.Arg(0)
	cfg, err := config.Load(path)
	if err == nil {
		err = daemon.CheckConfig(cfg)
	}
	if err != nil {
		printConfigErrors(stdio, err)
		return cli.Silent(cli.ExitUsage)
	}
	if ws := daemon.ConfigWarnings(cfg, daemon.LinkExists); len(ws) > 0 {
		printConfigErrors(stdio, ws)
	}
	pr := msg.Printer{W: stdio.Stdout, Lang: msg.FromEnv(stdio.Getenv)}
	pr.Println(msg.Same(path + ": ok"))
	for _, line := range strings.Split(cfg.Summary().In(pr.Lang), "\n") {
		msg.Hanging(stdio.Stdout, "", "    ", line)
	}
	return nil
}

// printConfigErrors writes what config.Load or daemon.CheckConfig found, one
// problem per line (FILE:LINE:COL: KEY: what to do) in the locale's
// language, continuation lines indented, 80 columns. check-config and run
// print the same.
func printConfigErrors(stdio cli.IO, err error) {
	lang := msg.FromEnv(stdio.Getenv)
	text := err.Error()
	var es config.Errors
	var e *config.Error
	switch {
	case errors.As(err, &es):
		text = es.In(lang)
	case errors.As(err, &e):
		text = e.In(lang)
	}
	for _, line := range strings.Split(text, "\n") {
		msg.Hanging(stdio.Stderr, "", "    ", line)
	}
}
