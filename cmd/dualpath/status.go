package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	cli.Register(&cli.Command{
		Name:  "status",
		Usage: "status [--json] [--socket PATH | --config FILE]",
		Summary: msg.T("show the running daemon's session, DNS, firewall and warnings",
			"動作中のデーモンのセッション、DNS、ファイアウォール、警告を表示する"),
		Run: runStatus,
	})
}

func runStatus(ctx context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("status")
	asJSON := fs.Bool("json", false, cli.T("print the status as JSON (fields: /usr/share/doc/dualpath/json.md)",
		"JSON で表示（項目の説明: /usr/share/doc/dualpath/json.md）"))
	socket := socketFlag(fs)
	cfgPath := fs.String("config", "", cli.T("read the socket path from this config file",
		"この設定ファイルからソケットの場所を読む"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usage(msg.T("status takes no arguments; usage: dualpath status [--json] [--socket PATH | --config FILE]", "status に引数はありません。使い方: dualpath status [--json] [--socket PATH | --config FILE]"))
	}
	var cfg *config.Config
	if *socket == "" && *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			return cli.Usagef("%v", err)
		}
		cfg = c
	}
	path := statusSocket(stdio, *socket, cfg)
	st, err := daemon.QueryStatus(ctx, path)
	if err != nil {
		var nr *daemon.NotRunningError
		if errors.As(err, &nr) {
			// Not running is "not found" (exit 3), as for `lab status`;
			// --json still prints an object.
			if *asJSON {
				enc := json.NewEncoder(stdio.Stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(map[string]any{"running": false, "socket": path, "error": nr.Error()})
			}
			return cli.NotFound(msg.ErrorText(nr))
		}
		return cli.Failf("%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdio.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	st.WriteTextIn(stdio.Stdout, time.Now(), msg.FromEnv(stdio.Getenv))
	return nil
}
