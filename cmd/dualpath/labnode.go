//go:build linux

package main

import (
	"context"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/lab"
	"github.com/dualpath/dualpath/internal/msg"
)

// lab-node is the hidden entry point of the programs the lab runs inside its
// namespaces (MAP-E BR and CE, BRAS, MyDNS service, the vantage programs
// of internal/lab/vantage); see internal/lab.
func init() {
	cli.Register(&cli.Command{
		Name:  "lab-node",
		Usage: "lab-node PROGRAM [args]",
		Summary: msg.T("internal: a program run inside a lab namespace",
			"内部用: ラボの名前空間の中で動くプログラム"),
		Hidden: true,
		Run: func(ctx context.Context, io cli.IO, args []string) error {
			if err := lab.RunNode(ctx, io.Stdout, args); err != nil {
				return cli.Failf("lab-node: %v", err)
			}
			return nil
		},
	})
}
