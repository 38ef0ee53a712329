package doctor

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/plan"
)

// DefaultRoute is one default route of the main table (one next hop of a
// multipath route), with the gateway's MAC address from the neighbour table.
type DefaultRoute struct {
	IPv6      bool
	Interface string
	Gateway   netip.Addr       // zero for a route without a gateway (dev only)
	Metric    int              // lower wins
	MAC       net.HardwareAddr // the gateway's, nil when the neighbour table has none
}

// Router is one router of the plan, with its MAC address when known.
type Router struct {
	Name Text // "IPoE router", "PPPoE router"
	Addr netip.Addr
	MAC  net.HardwareAddr
}

// PlanRouters are the routers the plan names, MACs to be filled in.
func PlanRouters(p *plan.Plan) []Router {
	if p == nil {
		return nil
	}
	rs := []Router{{Name: T("IPoE router", "IPoE ルータ"), Addr: p.IPoERouter}}
	if p.PPPoERouter.IsValid() {
		rs = append(rs, Router{Name: T("PPPoE router", "PPPoE ルータ"), Addr: p.PPPoERouter})
	}
	return rs
}

// which names the router a route points to: by its IPv4 address, else by
// the gateway's MAC (an IPv6 link-local gateway is the same box as one of
// the IPv4 routers). byMAC reports the second case.
func which(r DefaultRoute, routers []Router) (idx int, byMAC bool) {
	for i, rt := range routers {
		if r.Gateway.IsValid() && r.Gateway == rt.Addr {
			return i, false
		}
	}
	for i, rt := range routers {
		if len(r.MAC) > 0 && len(rt.MAC) > 0 && r.MAC.String() == rt.MAC.String() {
			return i, true
		}
	}
	return -1, false
}

// describe is "via GW on IF (ROUTER, MAC)" in both languages.
func describe(r DefaultRoute, routers []Router) Text {
	via := "dev " + r.Interface
	if r.Gateway.IsValid() {
		via = r.Gateway.String() + " on " + r.Interface
	}
	viaJA := r.Interface + " の " + r.Gateway.String()
	if !r.Gateway.IsValid() {
		viaJA = r.Interface + " に直接"
	}
	mac := "MAC unknown"
	macJA := "MAC 不明"
	if len(r.MAC) > 0 {
		mac, macJA = r.MAC.String(), r.MAC.String()
	}
	i, byMAC := which(r, routers)
	switch {
	case i < 0:
		return Text{EN: fmt.Sprintf("via %s (%s)", via, mac), JA: fmt.Sprintf("%s 経由（%s）", viaJA, macJA)}
	case byMAC:
		return Text{EN: fmt.Sprintf("via %s (%s: the %s, by MAC)", via, mac, routers[i].Name.EN),
			JA: fmt.Sprintf("%s 経由（%s: MAC から %s）", viaJA, macJA, routers[i].Name.JA)}
	default:
		return Text{EN: fmt.Sprintf("via %s (the %s, %s)", via, routers[i].Name.EN, mac),
			JA: fmt.Sprintf("%s 経由（%s、%s）", viaJA, routers[i].Name.JA, macJA)}
	}
}

// preferred is the route the kernel uses: the lowest metric, the first
// listed among equals.
func preferred(rs []DefaultRoute) (DefaultRoute, bool) {
	if len(rs) == 0 {
		return DefaultRoute{}, false
	}
	best := rs[0]
	for _, r := range rs[1:] {
		if r.Metric < best.Metric {
			best = r
		}
	}
	return best, true
}

// RoutesVerdict says where the IPv4 and IPv6 default routes point (interface,
// gateway, which router by address or MAC), flags more than one IPv4
// default route, and, with a plan, whether they match its mode:
// two-routers sends IPv4 to the PPPoE router (replies to inbound IPv4 must
// leave the way they came) and IPv6 to the IPoE router; server-pppoe sends
// both to the IPoE router (dualpath routes the session's replies itself, in
// its own table).
func RoutesVerdict(routes []DefaultRoute, p *plan.Plan, routers []Router) Result {
	var v4, v6 []DefaultRoute
	for _, r := range routes {
		if r.IPv6 {
			v6 = append(v6, r)
		} else {
			v4 = append(v4, r)
		}
	}
	detail := func(rs []DefaultRoute) []map[string]any {
		out := []map[string]any{}
		for _, r := range rs {
			m := map[string]any{"interface": r.Interface, "gateway": "", "metric": r.Metric, "mac": "", "router": ""}
			if r.Gateway.IsValid() {
				m["gateway"] = r.Gateway.String()
			}
			if len(r.MAC) > 0 {
				m["mac"] = r.MAC.String()
			}
			if i, _ := which(r, routers); i >= 0 {
				m["router"] = routers[i].Name.EN
			}
			out = append(out, m)
		}
		return out
	}
	d := map[string]any{"ipv4": detail(v4), "ipv6": detail(v6)}
	if p != nil {
		d["mode"] = p.Mode
	}

	var parts []Text
	for _, r := range v4 {
		parts = append(parts, T("IPv4 %s", "IPv4 は %s", describe(r, routers)))
	}
	for _, r := range v6 {
		parts = append(parts, T("IPv6 %s", "IPv6 は %s", describe(r, routers)))
	}
	where := msg.Join(parts, T("; ", "、"))

	if len(v4) == 0 {
		return Result{Status: Fail, Details: d,
			Summary: T("no IPv4 default route", "IPv4 の既定経路がありません"),
			Fix:     T("give the interface a gateway (DHCP from the IPoE router, or the netplan file from dualpath plan)", "インターフェースにゲートウェイを設定してください（IPoE ルータの DHCP か dualpath plan の netplan ファイル）")}
	}
	// Failures first, then warnings; every fix is said.
	status := OK
	var fails, warns []Text
	if p != nil && len(routers) > 0 {
		want4 := 0 // IPoE router
		if p.Mode == plan.ModeTwoRouters {
			want4 = len(routers) - 1 // PPPoE router
		}
		best4, _ := preferred(v4)
		if i, _ := which(best4, routers); i != want4 {
			fails = append(fails, T("mode %s sends IPv4 via the %s (%s): set that gateway (dualpath plan writes the netplan file)",
				"%s モードでは IPv4 を %s（%s）へ向けます。そのゲートウェイを設定してください（dualpath plan が netplan のファイルを書きます）",
				p.Mode, routers[want4].Name, routers[want4].Addr))
		}
		// IPv6 goes to the IPoE router; a gateway that is known to be
		// another box (by address, or by a MAC that differs) is wrong.
		if best6, ok := preferred(v6); ok {
			i, _ := which(best6, routers)
			if i > 0 || i < 0 && len(best6.MAC) > 0 && len(routers[0].MAC) > 0 {
				fails = append(fails, T("IPv6 must leave via the IPoE router (%s): route ::/0 via its link-local address",
					"IPv6 は IPoE ルータ（%s）から出す必要があります。::/0 をそのリンクローカルアドレスへ向けてください", routers[0].Addr))
			}
		}
	}
	if len(v4) > 1 {
		warns = append(warns, T("keep one IPv4 default route: remove the other gateway (dualpath plan --netplan-dir /etc/netplan names the netplan lines)",
			"IPv4 の既定経路を1本にしてください。もう一方のゲートウェイを消します（dualpath plan --netplan-dir /etc/netplan が netplan の該当行を示します）"))
	}
	if len(v6) == 0 {
		warns = append(warns, T("no IPv6 default route: keep accept-ra on, or route ::/0 via the IPoE router", "IPv6 の既定経路がありません。accept-ra を有効にするか、::/0 を IPoE ルータへ向けてください"))
	}
	switch {
	case len(fails) > 0:
		status = Fail
	case len(warns) > 0:
		status = Warn
	}
	fix := msg.Join(append(fails, warns...), T("; ", "。"))
	summary := T("default routes: %s", "既定経路: %s", where)
	if len(v4) > 1 {
		summary = T("%d IPv4 default routes: %s", "IPv4 の既定経路が %d 本あります: %s", len(v4), where)
	}
	return Result{Status: status, Summary: summary, Fix: fix, Details: d}
}
