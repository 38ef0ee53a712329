//go:build linux

package mapepath

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/portprobe"
)

// Path is how the server's ordinary IPv4 leaves: the LAN interface, its
// address, and the default gateway (the IPoE router) with its MAC.
type Path struct {
	Interface string
	Src       netip.Addr
	SrcMAC    net.HardwareAddr
	Gateway   netip.Addr
	GwMAC     net.HardwareAddr
}

// DefaultPath finds the main table's IPv4 default route, the address of
// its interface and the gateway's MAC in the neighbour table.
func DefaultPath() (Path, error) {
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: 254}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return Path{}, err
	}
	for _, r := range routes {
		if r.Dst != nil && r.Dst.IP != nil && !r.Dst.IP.IsUnspecified() || r.Gw == nil {
			continue
		}
		link, err := netlink.LinkByIndex(r.LinkIndex)
		if err != nil {
			continue
		}
		gw, _ := netip.AddrFromSlice(r.Gw.To4())
		p := Path{Interface: link.Attrs().Name, Gateway: gw, SrcMAC: link.Attrs().HardwareAddr}
		addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
		if err != nil {
			return Path{}, err
		}
		for _, a := range addrs {
			if a.IPNet.Contains(r.Gw) {
				p.Src, _ = netip.AddrFromSlice(a.IP.To4())
			}
		}
		if !p.Src.IsValid() {
			return Path{}, fmt.Errorf("%s has no IPv4 address in the gateway %s's subnet", p.Interface, gw)
		}
		neighs, err := netlink.NeighList(r.LinkIndex, netlink.FAMILY_V4)
		if err != nil {
			return Path{}, err
		}
		for _, n := range neighs {
			if n.IP.Equal(r.Gw) && len(n.HardwareAddr) == 6 {
				p.GwMAC = n.HardwareAddr
			}
		}
		if p.GwMAC == nil {
			return Path{}, fmt.Errorf("the gateway %s is not in the neighbour table of %s (ip neigh)", gw, p.Interface)
		}
		return p, nil
	}
	return Path{}, errors.New("no IPv4 default route with a gateway in the main table")
}

// PathVia is the path by a given gateway on the LAN: in two-router mode the
// default route leads to the PPPoE router, and the probe must leave by the
// IPoE router (plan.ipoe_router) instead. When the gateway's MAC is not in
// the neighbour table yet, one UDP datagram to its discard port (9) makes
// the kernel resolve it.
func PathVia(gw netip.Addr) (Path, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return Path{}, err
	}
	for _, l := range links {
		addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if !a.IPNet.Contains(gw.AsSlice()) {
				continue
			}
			src, _ := netip.AddrFromSlice(a.IP.To4())
			p := Path{Interface: l.Attrs().Name, Src: src, SrcMAC: l.Attrs().HardwareAddr, Gateway: gw}
			for try := 0; try < 20 && p.GwMAC == nil; try++ {
				if try == 1 {
					if c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: gw.AsSlice(), Port: 9}); err == nil {
						_, _ = c.Write([]byte{0})
						c.Close()
					}
				}
				if try > 0 {
					time.Sleep(50 * time.Millisecond)
				}
				neighs, _ := netlink.NeighList(l.Attrs().Index, netlink.FAMILY_V4)
				for _, n := range neighs {
					if n.IP.Equal(gw.AsSlice()) && len(n.HardwareAddr) == 6 {
						p.GwMAC = n.HardwareAddr
					}
				}
			}
			if p.GwMAC == nil {
				return Path{}, fmt.Errorf("%s does not answer ARP on %s", gw, p.Interface)
			}
			return p, nil
		}
	}
	return Path{}, fmt.Errorf("no interface has an IPv4 address in the subnet of %s", gw)
}

// Probe sends one SYN per port to target by p and waits up to timeout for
// the answers. Ports that answer nothing are filtered. Needs CAP_NET_RAW.
func Probe(ctx context.Context, p Path, target netip.Addr, ports []uint16, timeout time.Duration) ([]portprobe.Result, error) {
	c, err := hostnet.OpenPacketConn(p.Interface, etherTypeIPv4)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	base := 40000 + binary.BigEndian.Uint16(rnd[:2])%20000
	byPort := map[uint16]SYN{} // our source port -> probe
	results := map[uint16]*portprobe.Result{}
	out := make([]portprobe.Result, len(ports))
	for i, port := range ports {
		out[i] = portprobe.Result{Port: port, State: portprobe.Filtered, Detail: "no answer (timed out)"}
		results[port] = &out[i]
		var seq [4]byte
		if _, err := rand.Read(seq[:]); err != nil {
			return nil, err
		}
		s := SYN{SrcMAC: p.SrcMAC, DstMAC: p.GwMAC, Src: p.Src, Dst: target,
			SrcPort: base + uint16(i), DstPort: port, Seq: binary.BigEndian.Uint32(seq[:])}
		byPort[s.SrcPort] = s
		if err := c.WriteFrame(s.Frame()); err != nil {
			return nil, fmt.Errorf("sending on %s: %v", p.Interface, err)
		}
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetReadDeadline(deadline)
	buf := make([]byte, 2048)
	pending := len(ports)
	for pending > 0 {
		n, err := c.ReadFrame(buf)
		if err != nil {
			break // the deadline
		}
		a, err := ParseAnswer(buf[:n], target, p.Src)
		if err != nil {
			continue
		}
		s, ok := byPort[a.SrcPort]
		r := results[a.DstPort]
		if !ok || r == nil || s.DstPort != a.DstPort || r.Detail == "" {
			continue
		}
		r.Detail = ""
		if a.Open {
			r.State = portprobe.Open
			_ = c.WriteFrame(s.Reset(a.Ack))
		} else {
			r.State, r.Detail = portprobe.Closed, "connection refused (TCP reset)"
		}
		pending--
	}
	return out, nil
}
