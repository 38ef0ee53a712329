//go:build !linux

package daemon

import (
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
)

// linkTraffic needs netlink (Linux).
func linkTraffic(string) Traffic { return Traffic{} }

// warnings needs the kernel's socket tables (Linux).
func warnings(*config.Config) []msg.Text { return nil }
