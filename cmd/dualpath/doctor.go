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
	asJSON := fs.Bool("json", false, "print the JSON report (schema: internal/doctor/doc.go)")
	cfgPath := fs.String("config", "", "config file (plan:, expose:, pppoe:); optional")
	ifname := fs.String("interface", "", "LAN interface to probe (default: config's interface, else the default route's)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long each probe listens for answers")
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("doctor: unexpected argument %q", fs.Arg(0))
	}
	if *timeout <= 0 || *timeout > time.Minute {
		return cli.Usagef("doctor: --timeout %v: give a duration between 1ms and 1m, e.g. 3s", *timeout)
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
	outs := doctor.RunAll(ctx, doctor.Checks(env))
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
