package hostnet

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// The "macvlan" change: a macvlan device on a parent.
type macvlanOp struct{}

func init() { registerOp("macvlan", macvlanOp{}) }

// CreateMacvlan creates a macvlan device name on parent (bridge mode, its own
// random MAC), brings it up and returns its MAC. The PPPoE session runs on it
// so it never collides with the parent's MAC.
func (j *Journal) CreateMacvlan(parent, name string) (net.HardwareAddr, error) {
	var mac net.HardwareAddr
	p, err := j.link(parent)
	if err != nil {
		return nil, err
	}
	if _, err := j.nl.LinkByName(name); err == nil {
		return nil, fmt.Errorf("create macvlan %s: a device of that name already exists (ip link del %s, if it is a leftover)", name, name)
	}
	r := record{Op: "macvlan", Link: name, Parent: parent}
	err = j.apply(r, func() error {
		mv := &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: p.Attrs().Index}, Mode: netlink.MACVLAN_MODE_BRIDGE}
		if err := j.nl.LinkAdd(mv); err != nil {
			return actionable("create macvlan "+name+" on "+parent, err)
		}
		l, err := j.link(name)
		if err == nil {
			err = j.nl.LinkSetUp(l)
		}
		if err != nil {
			_ = j.nl.LinkDel(mv)
			return actionable("set macvlan "+name+" up", err)
		}
		mac = l.Attrs().HardwareAddr
		return nil
	})
	return mac, err
}

func (macvlanOp) undo(j *Journal, r record) error {
	l, err := j.nl.LinkByName(r.Link)
	if err == nil && l.Type() == "macvlan" {
		err = j.nl.LinkDel(l)
	}
	return err
}

func (macvlanOp) describe(r record) Change {
	return Change{"macvlan", fmt.Sprintf("macvlan %s on %s", r.Link, r.Parent)}
}
