package hostnet

import (
	"fmt"
	"math"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// AddEndpointAddress adds a as a /128 to link for a tunnel's end point: no
// duplicate address detection (the provider assigned the interface ID, and
// the tunnel must not wait a second after each prefix change), and
// deprecated from the start (preferred lifetime 0, valid for decades), so the
// host never picks it as the source of its own IPv6 connections (RFC 6724
// rule 3) nor dualpath for an AAAA record, while sockets bound to it (the
// tunnel, the update call) still use it. RemoveAddress and UndoAll remove
// it like any journaled address.
func (j *Journal) AddEndpointAddress(link string, a netip.Addr) error {
	if !a.Is6() || a.Is4In6() {
		return fmt.Errorf("add end point address: %v is not an IPv6 address", a)
	}
	p := netip.PrefixFrom(a, 128)
	r := record{Op: "addr", Link: link, Prefix: p.String()}
	return j.apply(r, func() error {
		l, err := j.link(link)
		if err != nil {
			return err
		}
		// valid for 2^31-1 s (68 years): "forever" (0xffffffff) does not
		// fit netlink.Addr's int on 32-bit systems, and 0 would send no
		// lifetimes at all (preferred forever)
		na := &netlink.Addr{IPNet: ipNet(p), Flags: unix.IFA_F_NODAD, PreferedLft: 0, ValidLft: math.MaxInt32}
		return actionable("add address "+p.String()+" to "+link, j.nl.AddrAdd(l, na))
	})
}
