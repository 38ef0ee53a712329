package hostnet

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// The "route" change: a route through a device in a table.
type routeOp struct{}

func init() { registerOp("route", routeOp{}) }

// AddRoute adds a route to dst through device dev in routing table table
// (dst 0.0.0.0/0 or ::/0 makes it the table's default route).
func (j *Journal) AddRoute(table int, dst netip.Prefix, dev string) error {
	if !dst.IsValid() || table <= 0 {
		return fmt.Errorf("add route: need a destination and a table (got %v, %d)", dst, table)
	}
	r := record{Op: "route", Table: table, Prefix: dst.String(), Link: dev}
	return j.apply(r, func() error {
		rt, err := j.route(r)
		if err != nil {
			return err
		}
		return actionable(fmt.Sprintf("add route %s dev %s table %d", dst, dev, table), j.nl.RouteAdd(rt))
	})
}

func (routeOp) undo(j *Journal, r record) error {
	rt, err := j.route(r)
	if err != nil {
		return err
	}
	return j.nl.RouteDel(rt)
}

func (routeOp) describe(r record) Change {
	return Change{"route", fmt.Sprintf("route %s dev %s table %d", r.Prefix, r.Link, r.Table)}
}

func (j *Journal) route(r record) (*netlink.Route, error) {
	p, err := netip.ParsePrefix(r.Prefix)
	if err != nil {
		return nil, err
	}
	l, err := j.link(r.Link)
	if err != nil {
		return nil, err
	}
	rt := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipNet(p), Table: r.Table, Scope: netlink.SCOPE_LINK}
	if p.Addr().Is6() {
		rt.Scope = netlink.SCOPE_UNIVERSE
	}
	return rt, nil
}
