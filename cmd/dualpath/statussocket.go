package main

import (
	"flag"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
)

// socketFlag adds --socket, the daemon's status socket, to fs.
func socketFlag(fs *flag.FlagSet) *string {
	return fs.String("socket", "", cli.T("the daemon's status socket (default $DUALPATH_STATUS_SOCKET, else %s)",
		"デーモンの状態ソケット（既定: $DUALPATH_STATUS_SOCKET、なければ %s）", config.DefaultStatusSocket))
}

// statusSocket is the socket to ask: --socket, else the config's
// status.socket (cfg may be nil), else $DUALPATH_STATUS_SOCKET, else the
// default.
func statusSocket(stdio cli.IO, socket string, cfg *config.Config) string {
	if socket == "" && cfg != nil {
		socket = cfg.Status.Socket
	}
	if socket == "" {
		socket = stdio.Env("DUALPATH_STATUS_SOCKET")
	}
	if socket == "" {
		socket = config.DefaultStatusSocket
	}
	return socket
}
