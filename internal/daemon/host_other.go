//go:build !linux

package daemon

import "github.com/dualpath/dualpath/internal/config"

// linkTraffic needs netlink (Linux).
func linkTraffic(string) Traffic { return Traffic{} }

// warnings needs the kernel's socket tables (Linux).
func warnings(*config.Config) []string { return nil }
