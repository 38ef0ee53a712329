package main

import (
	"context"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
)

const notifyUsage = "notify --test [--config FILE]"

func init() {
	cli.Register(&cli.Command{
		Name:  "notify",
		Usage: notifyUsage,
		Summary: msg.T("send a test event to every webhook and hook of the notify section",
			"notify: の各送信先（HTTP とフック）にテストのイベントを送る"),
		Run: runNotify,
	})
}

func runNotify(ctx context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("notify")
	test := fs.Bool("test", false, cli.T("send one test event to each destination and say how each answered",
		"各送信先にテストのイベントを1つ送り、それぞれの応答を表示する"))
	cfgPath := fs.String("config", config.DefaultConfigFile, cli.T("the config file", "設定ファイル"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || !*test {
		return cli.Usage(msg.T("usage: dualpath %s", "使い方: dualpath %s", notifyUsage))
	}
	cfg, err := config.Load(*cfgPath)
	if err == nil {
		err = daemon.CheckConfig(cfg)
	}
	if err != nil {
		printConfigErrors(stdio, err)
		return cli.Silent(cli.ExitUsage)
	}
	if cfg.Notify == nil {
		return cli.Usage(msg.T("%s has no notify section: add webhooks or hooks (see /usr/share/doc/dualpath/config.md)",
			"%s に「notify:」のセクションがありません。「webhooks:」か「hooks:」を書き足してください（/usr/share/doc/dualpath/config.ja.md 参照）", cfg.Path))
	}
	n, err := notify.New(cfg.Notify, config.ReadSecret, nil)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	p := msg.Printer{W: stdio.Stdout, Lang: msg.FromEnv(stdio.Getenv)}
	failed := 0
	for _, s := range n.Sinks() {
		if err := n.DeliverTo(ctx, s, notify.Event{Kind: notify.Test}); err != nil {
			failed++
			p.Printf("fail %s: %v", "fail %s: %v", s.Name(), err)
		} else {
			p.Printf("ok   %s: test event delivered", "ok   %s: テストのイベントを届けました", s.Name())
		}
	}
	if failed > 0 {
		return cli.Silent(cli.ExitFailure)
	}
	return nil
}
