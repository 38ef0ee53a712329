package hostnet

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// The "addr" change: an address on a link.
type addrOp struct{}

func init() { registerOp("addr", addrOp{}) }

// AddAddress adds prefix p (e.g. 203.0.113.7/32) to link.
func (j *Journal) AddAddress(link string, p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("add address: invalid prefix %v", p)
	}
	r := record{Op: "addr", Link: link, Prefix: p.String()}
	return j.apply(r, func() error {
		l, err := j.link(link)
		if err != nil {
			return err
		}
		return actionable("add address "+p.String()+" to "+link, j.nl.AddrAdd(l, &netlink.Addr{IPNet: ipNet(p)}))
	})
}

// RemoveAddress removes an address added by AddAddress (e.g. when the
// session's address changes) and forgets it.
func (j *Journal) RemoveAddress(link string, p netip.Prefix) error {
	_, err := j.remove(func(r record) bool { return r.Op == "addr" && r.Link == link && r.Prefix == p.String() })
	return err
}

func (addrOp) undo(j *Journal, r record) error {
	p, err := netip.ParsePrefix(r.Prefix)
	if err != nil {
		return nil // nothing we could have added
	}
	l, err := j.link(r.Link)
	if err != nil {
		return err
	}
	return j.nl.AddrDel(l, &netlink.Addr{IPNet: ipNet(p)})
}

func (addrOp) describe(r record) Change {
	return Change{"address", fmt.Sprintf("address %s dev %s", r.Prefix, r.Link)}
}
