//go:build !linux

package mapepath

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/dualpath/dualpath/internal/portprobe"
)

// Path is how the server's ordinary IPv4 leaves (Linux only).
type Path struct {
	Interface string
	Src       netip.Addr
	SrcMAC    net.HardwareAddr
	Gateway   netip.Addr
	GwMAC     net.HardwareAddr
}

var errOS = errors.New("mapepath: Linux only")

// DefaultPath is Linux only.
func DefaultPath() (Path, error) { return Path{}, errOS }

// PathVia is Linux only.
func PathVia(gw netip.Addr) (Path, error) { return Path{}, errOS }

// Probe is Linux only.
func Probe(ctx context.Context, p Path, target netip.Addr, ports []uint16, timeout time.Duration) ([]portprobe.Result, error) {
	return nil, errOS
}
