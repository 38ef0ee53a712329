package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	cli.Register(&cli.Command{
		Name:  "ddns",
		Usage: "ddns --config FILE [--once] [--dry-run]",
		Summary: msg.T("keep DNS records on the PPPoE IPv4 and the stable IPv6 (MyDNS, RFC 2136, Cloudflare, DuckDNS, dyndns2)",
			"DNS レコードを PPPoE の IPv4 と固定的な IPv6 に保つ（MyDNS、RFC 2136、Cloudflare、DuckDNS、dyndns2）"),
		Run: runDDNS,
	})
}

func runDDNS(ctx context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("ddns")
	path := fs.String("config", "", cli.T("config file with a ddns: section",
		"「ddns:」のある設定ファイル"))
	once := fs.Bool("once", false, cli.T("check and update every record once, then exit (1 if any failed)",
		"すべてのレコードを1回確認・更新して終了（失敗があれば 1）"))
	dryRun := fs.Bool("dry-run", false, cli.T("show what would be sent, send nothing",
		"送る内容を表示するだけで、何も送らない"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usage(msg.T("ddns: unexpected argument %q; usage: dualpath ddns --config FILE [--once] [--dry-run]",
			"ddns: 余分な引数 %q があります。使い方: dualpath ddns --config FILE [--once] [--dry-run]", fs.Arg(0)))
	}
	if *path == "" {
		return cli.Usage(msg.T("ddns: --config FILE is required (e.g. /etc/dualpath/dualpath.yaml)",
			"ddns: --config FILE が必要です（例 /etc/dualpath/dualpath.yaml）"))
	}
	cfg, err := config.Load(*path)
	if err != nil {
		printConfigErrors(stdio, err)
		return cli.Silent(cli.ExitUsage)
	}
	if len(cfg.DDNS) == 0 {
		return cli.Usage(msg.T("%s: no ddns: section: add one (see /usr/share/doc/dualpath/config.md)",
			"%s: 「ddns:」のセクションがありません。書き足してください（/usr/share/doc/dualpath/config.ja.md 参照）", *path))
	}
	if err := daemon.CheckConfig(cfg); err != nil { // the same checks as check-config and run
		printConfigErrors(stdio, err)
		return cli.Silent(cli.ExitUsage)
	}
	log := slog.New(msg.LogHandler(slog.NewTextHandler(stdio.Stderr, &slog.HandlerOptions{Level: logLevel(cfg.Log.Level)}), msg.FromEnv(stdio.Getenv)))
	u, err := ddns.New(cfg, ddns.Options{Logger: log, DryRun: *dryRun, Out: stdio.Stdout, Lang: msg.FromEnv(stdio.Getenv)})
	if err != nil {
		return cli.Usagef("%s: %v", *path, err)
	}
	if !*once && !*dryRun {
		msg.LogInfo(log, msg.T("ddns started", "DDNS の更新を始めました"), "records", len(cfg.DDNS))
		return u.Run(ctx)
	}
	err = u.RunOnce(ctx)
	if !*dryRun {
		pr := msg.Printer{W: stdio.Stdout, Lang: msg.FromEnv(stdio.Getenv)}
		for _, s := range u.Status() {
			line := msg.Same(fmt.Sprintf("%s: A %s AAAA %s", s.Record, orDash(s.IPv4), orDash(s.IPv6)))
			if c := s.CheckOutcome.Text(time.Now()); !c.IsZero() {
				line = msg.T("%s — %s", "%s — %s", line, c)
			}
			if s.LastError != "" {
				line = msg.T("%s (failed: %s)", "%s（失敗: %s）", line, msg.FromWire(s.LastErrorCode, s.LastError, s.LastErrorJA))
			}
			pr.Println(line)
			for _, p := range []struct{ rr, why, whyJA string }{{"A", s.IPv4Problem, s.IPv4ProblemJA}, {"AAAA", s.IPv6Problem, s.IPv6ProblemJA}} {
				if p.why != "" {
					pr.Println(msg.T("  %s not published: %s", "  %s は未登録: %s", p.rr, msg.Text{EN: p.why, JA: p.whyJA}))
				}
			}
		}
	}
	var pe *ddns.PassError
	if errors.As(err, &pe) {
		if len(pe.Records) == 1 {
			return cli.Fail(msg.T("ddns: 1 record not updated; see the log above", "ddns: 1 件のレコードを更新できませんでした（上のログを参照）"))
		}
		return cli.Fail(msg.T("ddns: %d records not updated; see the log above", "ddns: %d 件のレコードを更新できませんでした（上のログを参照）", len(pe.Records)))
	}
	if err != nil {
		return cli.Failf("ddns: %v", err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
