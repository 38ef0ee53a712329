package daemon

import (
	"context"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/doctor"
	"github.com/dualpath/dualpath/internal/doctor/sockets"
	"github.com/dualpath/dualpath/internal/msg"
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
func warnings(cfg *config.Config) []msg.Text {
	if (cfg.PPPoE == nil && cfg.Tunnel == nil) || len(cfg.Expose.TCP) == 0 {
		return nil
	}
	ls, err := sockets.List()
	if err != nil {
		return []msg.Text{msg.T("cannot read the listening sockets (%v): exposed ports not checked",
			"待ち受けているソケットを読めません（%v）。公開するポートを確かめていません", err)}
	}
	aaaa := false
	for _, d := range cfg.DDNS {
		aaaa = aaaa || d.IPv6.IsSet()
	}
	var out []msg.Text
	for _, p := range cfg.Expose.TCP {
		c := sockets.CoverageOf(ls, p)
		if c.IPv4 && !c.IPv6 && !aaaa {
			continue // no AAAA record sends anyone here over IPv6
		}
		// doctor's verdict on the port, in both languages
		if r := doctor.ListenVerdict(c); r.Status == doctor.Fail {
			out = append(out, msg.Text{EN: r.Summary.EN + ": " + r.Fix.EN, JA: r.Summary.JA + "。" + r.Fix.JA})
		}
	}
	// Our table accepting a port is not enough: every input base chain
	// (ufw's, iptables', another nft table's) must accept it too.
	if sets, err := doctor.HostFirewall(context.Background()); err == nil {
		out = append(out, doctor.FirewallBlocked(sets, inboundTUN(cfg), cfg.Expose.TCP)...)
	}
	return out
}
