package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/dualpath/dualpath/internal/cli"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func init() {
	cli.Register(&cli.Command{
		Name:    "version",
		Usage:   "version",
		Summary: "print the version",
		Run: func(_ context.Context, io cli.IO, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("version takes no arguments")
			}
			fmt.Fprintf(io.Stdout, "dualpath %s %s/%s %s\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return nil
		},
	})
}
