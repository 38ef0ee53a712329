// Package plan checks the `plan:` section of the config for the mistakes
// people make with two routers on one LAN (the article's duplicate router
// address, a server address inside the DHCP pool, a gateway outside the
// subnet) and writes the settings for the chosen mode: netplan YAML for the
// server, an nginx listen snippet and a router checklist in English and
// Japanese. It is pure: no I/O besides what the caller does with the files.
package plan

import (
	"github.com/dualpath/dualpath/internal/msg"

	"net/netip"
	"strings"

	"github.com/dualpath/dualpath/internal/config"
)

// Modes of the `plan.mode` key.
const (
	// ModeServerPPPoE: the server holds its own PPPoE session (dualpath run);
	// one router (IPoE) with PPPoE passthrough.
	ModeServerPPPoE = "server-pppoe"
	// ModeTwoRouters: the article's set-up, an IPoE router plus a second
	// router that holds the PPPoE session and forwards the exposed ports.
	ModeTwoRouters = "two-routers"
)

// Problem is one inconsistency in the plan, naming the config keys involved.
type Problem struct {
	Keys []string // e.g. ["plan.ipoe_router", "plan.pppoe_router"]
	Msg  string   // what is wrong and what to do, one line
	Text msg.Text // Msg in both languages, where written so
}

func (p Problem) String() string { return p.In(msg.English) }

// In is the problem in lang: "KEYS: what is wrong and what to do".
func (p Problem) In(lang msg.Lang) string {
	m := p.Msg
	if !p.Text.IsZero() {
		m = p.Text.In(lang)
	}
	return strings.Join(p.Keys, ", ") + ": " + m
}

// Errors is every problem found in a plan at once, so the user fixes them in
// one go rather than one per run.
type Errors []Problem

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Plan is a validated `plan:` section with parsed addresses. Optional
// addresses are the zero netip.Addr when absent.
type Plan struct {
	Mode        string
	Interface   string       // the server's LAN interface (top-level `interface`)
	Subnet      netip.Prefix // masked
	Server      netip.Addr   // the server's static IPv4 address
	IPoERouter  netip.Addr
	PPPoERouter netip.Addr   // two-routers only
	DHCPFirst   netip.Addr   // DHCP pool of the IPoE router (optional)
	DHCPLast    netip.Addr   //
	IPv6Gateway netip.Addr   // the IPoE router's link-local address (optional)
	TCP         []uint16     // exposed TCP ports (default 80, 443)
	UDP         []uint16     // exposed UDP ports
	ServerBits  int          // prefix length used for the server's address
	TUN         string       // the PPPoE session's TUN device (pppoe.tun), or the tunnel's
	TunnelBR    netip.Addr   // the fixed-IP tunnel's border relay (tunnel.br), if any
	Source      *config.Plan // what was read
}

// HasDHCPRange reports whether the plan names the IPoE router's DHCP pool.
func (p *Plan) HasDHCPRange() bool { return p.DHCPFirst.IsValid() }

// InDHCPRange reports whether a lies inside the DHCP pool.
func (p *Plan) InDHCPRange(a netip.Addr) bool {
	return p.HasDHCPRange() && a.Compare(p.DHCPFirst) >= 0 && a.Compare(p.DHCPLast) <= 0
}

// FromConfig validates cfg's plan section and returns it parsed, or Errors
// listing every problem (each naming its keys). Missing `plan:` is a problem.
func FromConfig(cfg *config.Config) (*Plan, error) {
	var errs Errors
	addT := func(t msg.Text, keys ...string) { errs = append(errs, Problem{Keys: keys, Msg: t.EN, Text: t}) }
	if cfg == nil || cfg.Plan == nil {
		t := msg.T("missing: add a plan: section (mode, subnet, server, ipoe_router, ...)",
			"ありません。「plan:」のセクション（「mode」「subnet」「server」「ipoe_router」など）を書いてください")
		return nil, Errors{{Keys: []string{"plan"}, Msg: t.EN, Text: t}}
	}
	src := cfg.Plan
	p := &Plan{Mode: src.Mode, Interface: cfg.Interface, Source: src}
	switch src.Mode {
	case ModeServerPPPoE, ModeTwoRouters:
	case "":
		addT(msg.T("missing: set it to server-pppoe or two-routers", "ありません。server-pppoe か two-routers を書いてください"), "plan.mode")
	default:
		addT(msg.T("%q is not a mode%s: use server-pppoe or two-routers", "%q は構成の種類ではありません%s。server-pppoe か two-routers にしてください", src.Mode, msg.DidYouMean(src.Mode, []string{ModeServerPPPoE, ModeTwoRouters})), "plan.mode")
	}
	if cfg.Interface == "" {
		addT(msg.T("missing: name the server's LAN interface (e.g. enp1s0)", "ありません。サーバの LAN インターフェース名を書いてください（例 enp1s0）"), "interface")
	}

	// Subnet.
	if src.Subnet == "" {
		addT(msg.T("missing: give the LAN's IPv4 subnet (e.g. 192.168.1.0/24)", "ありません。LAN の IPv4 サブネットを書いてください（例 192.168.1.0/24）"), "plan.subnet")
	} else if pfx, err := netip.ParsePrefix(src.Subnet); err != nil || !pfx.Addr().Is4() {
		addT(msg.T("%q is not an IPv4 subnet: write it like 192.168.1.0/24", "%q は IPv4 サブネットではありません。192.168.1.0/24 のように書いてください", src.Subnet), "plan.subnet")
	} else if pfx.Bits() > 30 {
		addT(msg.T("%s is too small for a LAN with routers and a server: use a /24", "%s はルータとサーバのある LAN には狭すぎます。/24 にしてください", src.Subnet), "plan.subnet")
	} else {
		p.Subnet = pfx.Masked()
		p.ServerBits = pfx.Bits()
	}

	// Host addresses.
	host := func(key, val string, required bool) netip.Addr {
		if val == "" {
			if required {
				addT(msg.T("missing: give an IPv4 address inside plan.subnet", "ありません。plan.subnet の中の IPv4 アドレスを書いてください"), key)
			}
			return netip.Addr{}
		}
		a, err := netip.ParseAddr(val)
		if err != nil || !a.Is4() {
			addT(msg.T("%q is not an IPv4 address", "%q は IPv4 アドレスではありません", val), key)
			return netip.Addr{}
		}
		if p.Subnet.IsValid() {
			if !p.Subnet.Contains(a) {
				addT(msg.T("%s is outside plan.subnet %s: use an address inside it", "%s は plan.subnet %s の外です。中のアドレスにしてください", a, p.Subnet), key, "plan.subnet")
			} else if a == p.Subnet.Addr() || a == lastAddr(p.Subnet) {
				addT(msg.T("%s is the network or broadcast address of %s: pick a host address", "%s は %s のネットワークアドレスかブロードキャストアドレスです。ホストのアドレスにしてください", a, p.Subnet), key)
			}
		}
		return a
	}
	p.Server = host("plan.server", src.Server, true)
	p.IPoERouter = host("plan.ipoe_router", src.IPoERouter, true)
	p.PPPoERouter = host("plan.pppoe_router", src.PPPoERouter, false)
	if src.Mode == ModeTwoRouters && src.PPPoERouter == "" {
		addT(msg.T("missing: two-routers mode needs the PPPoE router's LAN address (e.g. 192.168.1.2)", "ありません。two-routers の構成には PPPoE ルータの LAN アドレスが必要です（例 192.168.1.2）"), "plan.pppoe_router")
	}
	if src.Mode == ModeServerPPPoE && src.PPPoERouter != "" {
		addT(msg.T("server-pppoe mode has no PPPoE router: remove the key or use mode two-routers", "server-pppoe の構成には PPPoE ルータがありません。このキーを消すか、two-routers にしてください"), "plan.pppoe_router", "plan.mode")
	}

	// Distinct addresses: the article's "ルータ自身のIPアドレスが2台で重複".
	type named struct {
		key string
		a   netip.Addr
	}
	addrs := []named{{"plan.server", p.Server}, {"plan.ipoe_router", p.IPoERouter}, {"plan.pppoe_router", p.PPPoERouter}}
	for i := range addrs {
		for j := i + 1; j < len(addrs); j++ {
			if addrs[i].a.IsValid() && addrs[i].a == addrs[j].a {
				addT(msg.T("both are %s: every device needs its own address (e.g. IPoE router .1, PPPoE router .2, server .10)", "どちらも %s です。機器ごとに別のアドレスが必要です（例 IPoE ルータ .1、PPPoE ルータ .2、サーバ .10）", addrs[i].a), addrs[i].key, addrs[j].key)
			}
		}
	}

	// DHCP range "first-last".
	if src.DHCPRange != "" {
		first, last, ok := parseRange(src.DHCPRange)
		switch {
		case !ok:
			addT(msg.T("%q is not a range: write it like 192.168.1.100-192.168.1.200", "%q は範囲ではありません。192.168.1.100-192.168.1.200 のように書いてください", src.DHCPRange), "plan.dhcp_range")
		case last.Less(first):
			addT(msg.T("%s comes after %s: write the lower address first", "%s が %s より後ろです。小さいアドレスを先に書いてください", first, last), "plan.dhcp_range")
		case p.Subnet.IsValid() && (!p.Subnet.Contains(first) || !p.Subnet.Contains(last)):
			addT(msg.T("%s is not inside plan.subnet %s", "%s は plan.subnet %s の中にありません", src.DHCPRange, p.Subnet), "plan.dhcp_range", "plan.subnet")
		default:
			p.DHCPFirst, p.DHCPLast = first, last
			for _, n := range addrs {
				if n.a.IsValid() && p.InDHCPRange(n.a) {
					addT(msg.T("%s is inside the DHCP pool %s: DHCP may hand it to another device; move it out of the pool", "%s は DHCP の範囲 %s の中です。別の機器に割り当てられるおそれがあるので、範囲の外に移してください", n.a, src.DHCPRange), n.key, "plan.dhcp_range")
				}
			}
		}
	}

	// IPv6 gateway: an address on the link (link-local or global), not IPv4.
	if src.IPv6Gateway != "" {
		a, err := netip.ParseAddr(src.IPv6Gateway)
		switch {
		case err != nil || !a.Is6() || a.Is4In6():
			addT(msg.T("%q is not an IPv6 address: give the IPoE router's link-local address (e.g. fe80::1)", "%q は IPv6 アドレスではありません。IPoE ルータのリンクローカルアドレス（例 fe80::1）を書いてください", src.IPv6Gateway), "plan.ipv6_gateway")
		case a.Zone() != "":
			addT(msg.Text{EN: "drop the %zone: the interface is implied", JA: "「%zone」を外してください。インターフェースは決まっています"}, "plan.ipv6_gateway")
		case a.IsMulticast() || a.IsUnspecified() || a.IsLoopback():
			addT(msg.T("%s cannot be a gateway: give the IPoE router's link-local address", "%s はゲートウェイにできません。IPoE ルータのリンクローカルアドレスを書いてください", a), "plan.ipv6_gateway")
		default:
			p.IPv6Gateway = a
		}
	}

	// Exposed ports.
	p.TUN = config.DefaultTUN
	if cfg.PPPoE != nil && cfg.PPPoE.TUN != "" {
		p.TUN = cfg.PPPoE.TUN
	}
	if t := cfg.Tunnel; t != nil {
		p.TUN = t.TUN
		p.TunnelBR = t.BRAddr()
	}
	p.TCP = uniquePorts(cfg.Expose.TCP)
	p.UDP = uniquePorts(cfg.Expose.UDP)
	if len(p.TCP) == 0 && len(p.UDP) == 0 {
		p.TCP = []uint16{80, 443}
	}
	for _, port := range append(append([]uint16{}, cfg.Expose.TCP...), cfg.Expose.UDP...) {
		if port == 0 {
			addT(msg.T("port 0 cannot be exposed: list real port numbers", "ポート 0 は公開できません。実際のポート番号を書いてください"), "expose")
			break
		}
	}

	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

func parseRange(s string) (first, last netip.Addr, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return first, last, false
	}
	first, err1 := netip.ParseAddr(strings.TrimSpace(a))
	last, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || !first.Is4() || !last.Is4() {
		return first, last, false
	}
	return first, last, true
}

// lastAddr is the broadcast address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= (1<<host - 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func uniquePorts(in []uint16) []uint16 {
	seen := map[uint16]bool{}
	var out []uint16
	for _, p := range in {
		if p != 0 && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
