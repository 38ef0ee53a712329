package lab

import (
	"github.com/dualpath/dualpath/internal/msg"

	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/lab/mapetun"
	"github.com/dualpath/dualpath/internal/lab/vantage"
	"github.com/dualpath/dualpath/mape"
)

// MAP-E in the lab: the BR in the ISP, the CE in the IPoE router.

const (
	brTUN   = "br4"
	ceTUN   = "mape0"
	mapeMTU = 1460 // IPv4 MTU over IPv4-in-IPv6 on a 1500-byte link
)

// LabRule returns the lab's MAP-E rule with its BR.
func LabRule() mape.Rule {
	r, err := mape.ParseRule(MAPERule + "," + BRAddr.String())
	if err != nil {
		panic(err)
	}
	return r
}

// RouterLine is the IPoE router's MAP-E line: its shared IPv4, PSID, port
// set and CE address.
func RouterLine() mape.Line {
	l, err := LabRule().Line(RouterPrefix.Addr())
	if err != nil {
		panic(err)
	}
	return l
}

func init() {
	NodeCommands["mape-br"] = nodeMAPEBR
	NodeCommands["mape-ce"] = nodeMAPECE
}

// nodeLogger logs to stderr, which the lab sends to the node's log file.
func nodeLogger(io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func nodeMAPEBR(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("mape-br", flag.ContinueOnError)
	rule := fs.String("rule", "", "MAP rule IPV6PREFIX,IPV4PREFIX,EALEN,OFFSET,BR")
	dev := fs.String("tun", brTUN, "TUN device")
	mtu := fs.Int("mtu", mapeMTU, "TUN MTU")
	icmp := fs.Bool("icmp", true, "answer unmappable packets with ICMP unreachable (administratively prohibited)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := mape.ParseRule(*rule)
	if err != nil {
		return err
	}
	if !r.BR.IsValid() {
		return errors.New("mape-br: the rule needs its BR address")
	}
	t := &mapetun.Tunnel{TUN: *dev, MTU: *mtu, Local: r.BR, X: &mapetun.BR{Rule: r}, RefuseWithICMP: *icmp, Log: nodeLogger(out)}
	t.Log.Info("MAP-E BR up", "rule", r.String(), "tun", *dev)
	return t.Run(ctx)
}

func nodeMAPECE(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("mape-ce", flag.ContinueOnError)
	rule := fs.String("rule", "", "MAP rule IPV6PREFIX,IPV4PREFIX,EALEN,OFFSET,BR")
	prefix := fs.String("prefix", "", "the CE's delegated IPv6 prefix")
	dev := fs.String("tun", ceTUN, "TUN device")
	mtu := fs.Int("mtu", mapeMTU, "TUN MTU")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := mape.ParseRule(*rule)
	if err != nil {
		return err
	}
	p, err := netip.ParsePrefix(*prefix)
	if err != nil {
		return err
	}
	line, err := r.Line(p.Addr())
	if err != nil {
		return err
	}
	t := &mapetun.Tunnel{TUN: *dev, MTU: *mtu, Local: line.CE, X: &mapetun.CE{Line: line, BR: r.BR}, Log: nodeLogger(out)}
	t.Log.Info("MAP-E CE up", "ipv4", line.IPv4, "psid", line.PSID, "ce", line.CE, "ports", line.PortCount())
	return t.Run(ctx)
}

// waitLink waits until dev exists in node, then sets it up.
func (l *Lab) waitLink(ctx context.Context, node, dev string) error {
	if !waitFor(ctx, 10*time.Second, func() bool { return l.ipn(node, "link", "show", dev) == nil }) {
		return fmt.Errorf("%s never appeared in %s (see the logs in %s/log)", dev, node, l.Dir)
	}
	return l.ipn(node, "link", "set", dev, "up")
}

// upMAPE starts the BR in the ISP and the CE in the router, with the
// router's NAPT restricted to its port set.
func (l *Lab) upMAPE(ctx context.Context) error {
	rule := LabRule()
	line := RouterLine()
	if _, err := l.startNode(NodeISP, "mape-br", "mape-br", "--rule", rule.String(), "--tun", brTUN); err != nil {
		return err
	}
	if err := l.waitLink(ctx, NodeISP, brTUN); err != nil {
		return err
	}
	if err := l.ipn(NodeISP, "route", "add", rule.IPv4Prefix.String(), "dev", brTUN); err != nil {
		return err
	}
	if err := l.addr(NodeRouter, "lo", host(line.CE)); err != nil {
		return err
	}
	if _, err := l.startNode(NodeRouter, "mape-ce", "mape-ce", "--rule", rule.String(), "--prefix", RouterPrefix.String(), "--tun", ceTUN); err != nil {
		return err
	}
	if err := l.waitLink(ctx, NodeRouter, ceTUN); err != nil {
		return err
	}
	if err := l.ipn(NodeRouter, "route", "add", "default", "dev", ceTUN); err != nil {
		return err
	}
	if err := l.nft(NodeRouter, "mape", naptRules(line, ceTUN)); err != nil {
		return err
	}
	return l.nft(NodeISP, "mss", mssRules(brTUN))
}

// naptRules restricts the router's NAPT to the line's port set: one chain
// per port range, chosen round-robin for each new connection (nftables'
// snat takes one range per rule).
func naptRules(line mape.Line, dev string) string {
	var b strings.Builder
	ranges := line.PortRanges()
	b.WriteString("table ip dualpath_lab_mape {\n")
	var vmap []string
	for i, r := range ranges {
		fmt.Fprintf(&b, "\tchain napt_%d {\n\t\tmeta l4proto { tcp, udp, icmp } snat ip to %s:%d-%d\n\t}\n", i, line.IPv4, r.First, r.Last)
		vmap = append(vmap, fmt.Sprintf("%d : jump napt_%d", i, i))
	}
	fmt.Fprintf(&b, "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n")
	fmt.Fprintf(&b, "\t\toifname %q meta l4proto { tcp, udp, icmp } numgen inc mod %d vmap { %s }\n", dev, len(ranges), strings.Join(vmap, ", "))
	fmt.Fprintf(&b, "\t\toifname %q drop\n\t}\n", dev)
	fmt.Fprintf(&b, "\tchain forward {\n\t\ttype filter hook forward priority mangle; policy accept;\n")
	fmt.Fprintf(&b, "\t\toifname %q tcp flags syn tcp option maxseg size set %d\n", dev, mapeMTU-40)
	fmt.Fprintf(&b, "\t\tiifname %q tcp flags syn tcp option maxseg size set %d\n\t}\n}\n", dev, mapeMTU-40)
	return b.String()
}

func mssRules(dev string) string {
	return fmt.Sprintf(`table ip dualpath_lab_mss {
	chain forward {
		type filter hook forward priority mangle; policy accept;
		oifname %[1]q tcp flags syn tcp option maxseg size set %[2]d
		iifname %[1]q tcp flags syn tcp option maxseg size set %[2]d
	}
}
`, dev, mapeMTU-40)
}

func whoamiInet4() string { return netip.AddrPortFrom(Inet4Addr.Addr(), WhoamiPort).String() }

// seenFromMAPE dials inet4's whoami from node and checks it was seen from
// the shared address with a port of the router's set.
func (l *Lab) seenFromMAPE(ctx context.Context, node string) (msg.Text, msg.Text, bool) {
	line := RouterLine()
	exp := msg.T("%s, a port of PSID %#x (%d)", "%s、PSID %#x のポート（%d 個）のどれか", line.IPv4, line.PSID, line.PortCount())
	var s vantage.Seen
	if err := l.nodeJSON(ctx, node, &s, "dial", whoamiInet4()); err != nil {
		return exp, shortText(err), false
	}
	in := msg.T("in set", "集合内")
	if !line.HasPort(s.Port) {
		in = msg.T("NOT in set", "集合外")
	}
	return exp, msg.T("%s:%d (%s)", "%s:%d（%s）", s.Addr, s.Port, in), s.Addr == line.IPv4 && line.HasPort(s.Port)
}

func checkPCMAPE(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	return l.seenFromMAPE(ctx, NodePC)
}

func checkServerMAPE(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	return l.seenFromMAPE(ctx, NodeServer)
}

func checkSharedPort80(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	target := netip.AddrPortFrom(RouterLine().IPv4, 80).String()
	exp := msg.T("fails: 80 is in no port set", "届かない: 80 はどのポート集合にもない")
	var s vantage.Seen
	err := l.nodeJSON(ctx, NodeInet4, &s, "dial", "--timeout", "3s", target)
	if err == nil {
		return exp, msg.T("connected to %s, seen as %s:%d", "%s につながった（%s:%d として）", target, s.Addr, s.Port), false
	}
	return exp, msg.T("refused: %s", "拒否: %s", shortText(err)), true
}
