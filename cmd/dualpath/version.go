package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/msg"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func init() {
	cli.Register(&cli.Command{
		Name:  "version",
		Usage: "version",
		Summary: msg.T("print the version",
			"バージョンを表示する"),
		Run: func(_ context.Context, io cli.IO, args []string) error {
			fs := cli.NewFlagSet("version")
			if err := cli.Parse(io, fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return cli.Usagef("version takes no arguments")
			}
			fmt.Fprintf(io.Stdout, "dualpath %s %s/%s %s\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return nil
		},
	})
}
