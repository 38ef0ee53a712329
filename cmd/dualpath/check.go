package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/reach"
)

const checkUsage = "check [--json] [--config FILE] [--socket PATH]"

func init() {
	cli.Register(&cli.Command{
		Name:  "check",
		Usage: checkUsage,
		Summary: msg.T("check from outside that visitors reach the site over IPv4 and IPv6",
			"訪問者が IPv4 と IPv6 でサイトに届くか、外から確認する"),
		Run: runCheck,
	})
}

// checkTimeout bounds the whole check: DNS, then every prober in parallel.
const checkTimeout = 90 * time.Second

func runCheck(ctx context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("check")
	asJSON := fs.Bool("json", false, cli.T("print the JSON report (fields: /usr/share/doc/dualpath/json.md)",
		"JSON で表示（項目の説明: /usr/share/doc/dualpath/json.md）"))
	cfgPath := fs.String("config", "", cli.T("config file (default: the running daemon's)",
		"設定ファイル（既定: 動作中のデーモンのもの）"))
	socket := socketFlag(fs)
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usage(msg.T("check takes no arguments; usage: dualpath %s", "check に引数はありません。使い方: dualpath %s", checkUsage))
	}
	load := func(path string) (*config.Config, error) {
		c, err := config.Load(path)
		if err == nil {
			err = daemon.CheckConfig(c)
		}
		if err != nil {
			fmt.Fprintln(stdio.Stderr, err)
			return nil, cli.Silent(cli.ExitUsage)
		}
		return c, nil
	}
	var cfg *config.Config
	if *cfgPath != "" {
		var err error
		if cfg, err = load(*cfgPath); err != nil {
			return err
		}
	}
	// The addresses the site should have are the running daemon's: the
	// session address, and what its DNS records publish.
	st, err := daemon.QueryStatus(ctx, statusSocket(stdio, *socket, cfg))
	if err != nil {
		return cli.Fail(msg.T("check needs the running daemon for the addresses to expect: %v",
			"dualpath check は、期待するアドレスを動いているデーモンから知ります: %v", err))
	}
	if cfg == nil {
		if st.Config == "" {
			return cli.Usage(msg.T("check: the daemon does not say which config it runs: pass --config FILE", "check: デーモンが使っている設定ファイルが分かりません。--config FILE を指定してください"))
		}
		if cfg, err = load(st.Config); err != nil {
			return err
		}
	}
	want4, want6 := daemon.ExpectedAddrs(st)
	t, err := reach.TargetFrom(cfg, want4, want6, config.ReadSecret)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	rep := reach.Run(ctx, t, reach.EnvFor(cfg))
	if *asJSON {
		err = rep.WriteJSON(stdio.Stdout)
	} else {
		rep.WriteText(stdio.Stdout, msg.FromEnv(stdio.Getenv))
	}
	if err != nil {
		return cli.Failf("check: %v", err)
	}
	if !rep.OK() {
		return cli.Silent(cli.ExitFailure)
	}
	return nil
}
