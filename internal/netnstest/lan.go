package netnstest

import (
	"fmt"
	"testing"
)

// LAN is one Ethernet segment: a switch namespace holding a bridge (br0),
// and hosts each attached to it by a veth whose host end is named eth0.
// Like every namespace from New, all of it is removed when the test ends.
type LAN struct {
	// Switch is the namespace holding the bridge br0 and the hosts' ports.
	Switch *NS
	t      testing.TB
	n      int
}

// NewLAN creates an empty segment.
func NewLAN(t testing.TB) *LAN {
	t.Helper()
	sw := New(t, "sw")
	sw.MustRun("ip", "link", "add", "br0", "type", "bridge")
	sw.MustRun("ip", "link", "set", "br0", "up")
	return &LAN{Switch: sw, t: t}
}

// Host adds a namespace on the segment; addrs (CIDR, e.g. "192.168.1.1/24")
// are given to its eth0 without duplicate address detection.
func (l *LAN) Host(short string, addrs ...string) *NS {
	l.t.Helper()
	ns := New(l.t, short)
	l.n++
	port := fmt.Sprintf("p%d", l.n)
	Veth(l.t, ns, "eth0", l.Switch, port)
	l.Switch.MustRun("ip", "link", "set", port, "master", "br0")
	for _, a := range addrs {
		ns.MustRun("ip", "addr", "add", a, "dev", "eth0", "nodad")
	}
	return ns
}
