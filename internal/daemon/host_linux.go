package daemon

import (
	"context"
	"fmt"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/doctor"
	"github.com/dualpath/dualpath/internal/doctor/sockets"
	"github.com/vishvananda/netlink"
)

// linkTraffic reads the TUN device's kernel counters. The kernel transmits
// on the TUN what leaves through the session and receives on it what came in.
func linkTraffic(name string) Traffic {
	l, err := netlink.LinkByName(name)
	if err != nil || l.Attrs().Statistics == nil {
		return Traffic{}
	}
	s := l.Attrs().Statistics
	return Traffic{RxBytes: s.RxBytes, TxBytes: s.TxBytes, RxPackets: s.RxPackets, TxPackets: s.TxPackets}
}

// warnings looks for what would make an exposed port fail although our
// firewall lets it through: nothing listening, listening on loopback only,
// not on IPv6 while a DNS record publishes the server's IPv6 address
// (nginx's `listen 80;` without `listen [::]:80;`), or the host's own
// firewall (ufw's default deny) dropping it on the TUN.
func warnings(cfg *config.Config) []string {
	if (cfg.PPPoE == nil && cfg.Tunnel == nil) || len(cfg.Expose.TCP) == 0 {
		return nil
	}
	ls, err := sockets.List()
	if err != nil {
		return []string{fmt.Sprintf("cannot read the listening sockets (%v): exposed ports not checked", err)}
	}
	aaaa := false
	for _, d := range cfg.DDNS {
		aaaa = aaaa || (d.IPv6 != "" && d.IPv6 != "none")
	}
	var out []string
	for _, p := range cfg.Expose.TCP {
		c := sockets.CoverageOf(ls, p)
		switch {
		case !c.IPv4 && !c.IPv6 && (c.LoopbackOnly4 || c.LoopbackOnly6):
			out = append(out, fmt.Sprintf("TCP port %d is exposed but listens on loopback only: listen on 0.0.0.0 and [::]", p))
		case !c.IPv4 && !c.IPv6:
			out = append(out, fmt.Sprintf("TCP port %d is exposed but nothing listens on it: start the server or remove it from expose.tcp", p))
		case !c.IPv4:
			out = append(out, fmt.Sprintf("TCP port %d listens on IPv6 only: connections to the PPPoE address (IPv4) are refused; add `%s` to nginx", p, doctor.NginxListen(p, false)))
		case !c.IPv6 && aaaa:
			out = append(out, fmt.Sprintf("nothing listens on TCP port %d over IPv6 but the AAAA record points here: add `%s` to nginx next to its IPv4 line, same parameters", p, doctor.NginxListen(p, true)))
		}
	}
	// Our table accepting a port is not enough: every input base chain
	// (ufw's, iptables', another nft table's) must accept it too.
	if sets, err := doctor.HostFirewall(context.Background()); err == nil {
		out = append(out, doctor.FirewallBlocked(sets, inboundTUN(cfg), cfg.Expose.TCP)...)
	}
	return out
}
