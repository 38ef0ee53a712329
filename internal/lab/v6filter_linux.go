package lab

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
)

// The home gateway's IPv6 inbound filter. The routers on Japanese IPoE
// lines drop new inbound IPv6 connections to the LAN by default: NTT's
// ひかり電話 HGW (PR/RT/RX series, 「IPv6パケットフィルタ」), Buffalo
// (「IPv6フィルター」), NEC Aterm (「IPv6 パケットフィルタ」) and Yamaha
// (`ipv6 filter`). Replies to connections opened from the LAN pass
// (connection tracking). The lab's IPoE router does the same in its
// namespace, and a later set-up step opens exactly the exposed ports to
// the server's stable address, the step the router checklist asks users
// to do in the router's menu. OpenIPv6Filter and CloseIPv6Filter make and
// remove that hole on a running lab.

// v6FilterTable is the router's nftables table of the filter; the hole is
// its set "exposed" of (address, port) pairs.
const v6FilterTable = "dualpath_lab_hgw"

// v6FilterRules is the router's default IPv6 filter: from the WAN bridge to
// the LAN bridge only established and related traffic passes, and new
// connections to an (address, TCP port) in the set "exposed", empty until
// the set-up step opens it.
func v6FilterRules(wan, lan string) string {
	return fmt.Sprintf(`table ip6 %[1]s {
	set exposed {
		type ipv6_addr . inet_service
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname %[2]q oifname %[3]q ct state established,related accept
		iifname %[2]q oifname %[3]q ct state new ip6 daddr . tcp dport @exposed accept
		iifname %[2]q oifname %[3]q counter drop
	}
}
`, v6FilterTable, wan, lan)
}

// upIPv6Filter loads the router's default IPv6 filter: nothing new comes in.
func (l *Lab) upIPv6Filter(ctx context.Context) error {
	return l.nft(NodeRouter, "ipv6-filter", v6FilterRules("br-wan", "br-lan"))
}

// IPv6FilterHole is what the router's IPv6 filter must let in: the exposed
// TCP ports at the server's stable address.
func IPv6FilterHole() []netip.AddrPort {
	var out []netip.AddrPort
	for _, p := range ExposedTCP {
		out = append(out, netip.AddrPortFrom(ServerIPv6(), p))
	}
	return out
}

// OpenIPv6Filter opens the router's IPv6 filter for the exposed ports to the
// server's stable address (and nothing else), as the router checklist says.
// It is idempotent.
func (l *Lab) OpenIPv6Filter(ctx context.Context) error {
	var elems []string
	for _, ap := range IPv6FilterHole() {
		elems = append(elems, fmt.Sprintf("%s . %d", ap.Addr(), ap.Port()))
	}
	_, err := l.InCtx(ctx, NodeRouter, "nft", "add", "element", "ip6", v6FilterTable, "exposed", "{ "+strings.Join(elems, ", ")+" }")
	return err
}

// CloseIPv6Filter closes the hole again: the router's filter is back at its
// default, and no new inbound IPv6 connection reaches the LAN.
func (l *Lab) CloseIPv6Filter(ctx context.Context) error {
	_, err := l.InCtx(ctx, NodeRouter, "nft", "flush", "set", "ip6", v6FilterTable, "exposed")
	return err
}

// IPv6FilterOpen lists what the router's IPv6 filter lets in now.
func (l *Lab) IPv6FilterOpen(ctx context.Context) ([]netip.AddrPort, error) {
	out, err := l.InCtx(ctx, NodeRouter, "nft", "list", "set", "ip6", v6FilterTable, "exposed")
	if err != nil {
		return nil, err
	}
	return parseFilterSet(out), nil
}

// parseFilterSet reads the elements of `nft list set` output
// ("elements = { 2001:db8::10 . 80, 2001:db8::10 . 443 }").
func parseFilterSet(out string) []netip.AddrPort {
	_, rest, ok := strings.Cut(out, "elements = {")
	if !ok {
		return nil
	}
	rest, _, _ = strings.Cut(rest, "}")
	var aps []netip.AddrPort
	for _, e := range strings.Split(rest, ",") {
		a, p, ok := strings.Cut(e, " . ")
		if !ok {
			continue
		}
		var port uint16
		addr, err := netip.ParseAddr(strings.TrimSpace(a))
		if _, perr := fmt.Sscanf(strings.TrimSpace(p), "%d", &port); err == nil && perr == nil {
			aps = append(aps, netip.AddrPortFrom(addr, port))
		}
	}
	return aps
}

// checkIPv6Filter scans the server's stable IPv6 address from the IPv6
// visitor, over TCP and UDP: the exposed TCP ports must answer through the
// router's filter, and the decoys the server runs on every address (TCP
// and UDP) must not (the router's default drop). A closed hole or a router
// that lets everything in both fail. The UDP decoy must answer the router
// on the LAN meanwhile, or "no UDP port open" would prove nothing.
func checkIPv6Filter(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	exp := msg.T("open: TCP %s; UDP %s; %d filtered", "開いている: TCP %s、UDP %s。%d は遮断", config.FormatPorts(ExposedTCP), config.FormatPorts(ExposedUDP), DecoyPort)
	var res scanResult
	ports := fmt.Sprintf("1-1024,%d", DecoyPort)
	if err := l.nodeJSON(ctx, NodeInet6, &res, "scan", "--ports", ports, "--udp", ports, "--expect", portList(ExposedTCP), ServerIPv6().String()); err != nil {
		return exp, shortText(err), false
	}
	seen := msg.T("open on %s: TCP %s; UDP %s", "%s で開いている: TCP %s、UDP %s", ServerIPv6(), config.FormatPorts(res.Open), config.FormatPorts(res.OpenUDP))
	if err := l.udpDecoyAnswersAt(ctx, NodeRouter, ServerIPv6()); err != nil {
		return exp, msg.T("%s; but %s", "%s。ただし%s", seen, err), false
	}
	return exp, seen, config.FormatPorts(res.Open) == config.FormatPorts(ExposedTCP) && config.FormatPorts(res.OpenUDP) == config.FormatPorts(ExposedUDP)
}

// v6FilterSteps are the set-up steps of the filter: the router's default
// (right after the router is built) and the checklist's hole (once the
// server is there).
func (l *Lab) v6FilterDefaultStep() step {
	return step{msg.T("IPoE router: IPv6 filter as the HGW's default (new inbound connections dropped)",
		"IPoEルーター: HGWの初期設定と同じIPv6フィルタ（外からの新規接続を破棄）"), l.upIPv6Filter}
}

func (l *Lab) v6FilterOpenStep() step {
	return step{msg.T("router's IPv6 filter: open TCP %s to the server's %s (the checklist's step)",
		"ルーターのIPv6フィルタ: サーバーの %[2]s へのTCP %[1]s を開放（チェックリストの手順）",
		config.FormatPorts(ExposedTCP), ServerIPv6()), l.OpenIPv6Filter}
}
