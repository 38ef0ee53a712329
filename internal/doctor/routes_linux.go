package doctor

import (
	"context"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualpath/dualpath/internal/doctor/probe"
)

// defaultRoutes reads the main table's IPv4 and IPv6 default routes, each
// next hop with its gateway's MAC from the neighbour table.
func defaultRoutes() ([]DefaultRoute, error) {
	var out []DefaultRoute
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := netlink.RouteListFiltered(fam, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if r.Dst != nil {
				if ones, _ := r.Dst.Mask.Size(); ones != 0 {
					continue
				}
			}
			if r.Type != unix.RTN_UNICAST {
				continue
			}
			hops := []struct {
				link int
				gw   net.IP
			}{{r.LinkIndex, r.Gw}}
			if len(r.MultiPath) > 0 {
				hops = hops[:0]
				for _, h := range r.MultiPath {
					hops = append(hops, struct {
						link int
						gw   net.IP
					}{h.LinkIndex, h.Gw})
				}
			}
			for _, h := range hops {
				d := DefaultRoute{IPv6: fam == netlink.FAMILY_V6, Metric: r.Priority}
				if l, err := netlink.LinkByIndex(h.link); err == nil {
					d.Interface = l.Attrs().Name
				}
				if gw, ok := netip.AddrFromSlice(h.gw); ok {
					d.Gateway = gw.Unmap()
					d.MAC = neighbourMAC(h.link, fam, d.Gateway)
				}
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// neighbourMAC is a's link-layer address in the neighbour table of link, or
// nil when there is no complete entry.
func neighbourMAC(link, fam int, a netip.Addr) net.HardwareAddr {
	ns, err := netlink.NeighList(link, fam)
	if err != nil {
		return nil
	}
	for _, n := range ns {
		ip, ok := netip.AddrFromSlice(n.IP)
		if ok && ip.Unmap() == a && len(n.HardwareAddr) > 0 && n.State&(netlink.NUD_FAILED|netlink.NUD_INCOMPLETE) == 0 {
			return n.HardwareAddr
		}
	}
	return nil
}

// checkRoutes gathers the default routes and the plan routers' MACs: from
// the neighbour table, else (as root) from an RFC 5227 ARP probe, which
// changes nothing.
func (env *Env) checkRoutes(ctx context.Context) Result {
	routes, err := defaultRoutes()
	if err != nil {
		return Result{Status: Skip, Summary: T("cannot read the routing table: %v", "経路表を読めません: %v", err)}
	}
	routers := PlanRouters(env.Plan)
	var missing []netip.Addr
	link, _ := netlink.LinkByName(env.Interface)
	for i := range routers {
		if link != nil {
			routers[i].MAC = neighbourMAC(link.Attrs().Index, netlink.FAMILY_V4, routers[i].Addr)
		}
		if routers[i].MAC == nil {
			missing = append(missing, routers[i].Addr)
		}
	}
	if len(missing) > 0 && env.Interface != "" && os.Geteuid() == 0 {
		if claims, err := probe.ARPClaims(ctx, env.Interface, missing, min(env.Timeout, time.Second)); err == nil {
			for i := range routers {
				for _, a := range claims[routers[i].Addr] {
					if !a.Probe && routers[i].MAC == nil {
						routers[i].MAC = a.MAC
					}
				}
			}
		}
	}
	return RoutesVerdict(routes, env.Plan, routers)
}
