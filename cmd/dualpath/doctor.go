package main

import (
	"context"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/doctor"
	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	cli.Register(&cli.Command{
		Name:  "doctor",
		Usage: "doctor [--json] [--config FILE] [--interface IF] [--timeout 3s]",
		Summary: msg.T("find what is wrong with the line, the LAN and this host",
			"回線、LAN、このサーバの問題を見つける"),
		Run: runDoctor,
	})
}

func runDoctor(ctx context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("doctor")
	asJSON := fs.Bool("json", false, cli.T("print the JSON report (fields: /usr/share/doc/dualpath/json.md)",
		"JSON で表示（項目の説明: /usr/share/doc/dualpath/json.md）"))
	cfgPath := fs.String("config", "", cli.T("config file (plan:, expose:, pppoe:); optional",
		"設定ファイル（「plan:」「expose:」「pppoe:」を使う）。省略可"))
	ifname := fs.String("interface", "", cli.T("LAN interface to probe (default: config's interface, else the default route's)",
		"調べる LAN インターフェース（既定: 設定ファイルのもの、なければ既定経路のもの）"))
	timeout := fs.Duration("timeout", 3*time.Second, cli.T("how long each probe listens for answers",
		"各調査で応答を待つ時間"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usage(msg.T("doctor: unexpected argument %q", "doctor: 余分な引数 %q があります", fs.Arg(0)))
	}
	if *timeout <= 0 || *timeout > time.Minute {
		return cli.Usage(msg.T("doctor: --timeout %v: give a duration between 1ms and 1m, e.g. 3s", "doctor: --timeout %v は使えません。1ms から 1m までの時間（例 3s）を指定してください", *timeout))
	}
	var cfg *config.Config
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			return cli.Usagef("%v", err)
		}
		cfg = c
	}
	env := doctor.NewEnv(cfg, *ifname, *timeout)
	lang := msg.FromEnv(stdio.Getenv)
	ctx, cancel := context.WithTimeout(ctx, *timeout+10*time.Second)
	defer cancel()
	outs := doctor.WithInbound(ctx, doctor.RunAll(ctx, doctor.Checks(env)), env)
	var err error
	if *asJSON {
		err = doctor.WriteJSON(stdio.Stdout, outs, lang)
	} else {
		err = doctor.WriteText(stdio.Stdout, outs, lang)
	}
	if err != nil {
		return cli.Failf("doctor: %v", err)
	}
	if doctor.Failed(outs) {
		return cli.Silent(cli.ExitFailure)
	}
	return nil
}
