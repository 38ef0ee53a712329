package doctor

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/dualpath/dualpath/internal/doctor/probe"
	"github.com/dualpath/dualpath/internal/doctor/sockets"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/plan"
	"github.com/dualpath/dualpath/mape"
)

// This file turns what the probes saw into results. It is pure, so every
// message (English and Japanese) is unit-tested without a network.

// PlanVerdict reports the consistency of the config's plan section.
func PlanVerdict(err error) Result {
	if err == nil {
		return Result{Status: OK, Summary: T("the plan section is consistent", "plan: の設定に矛盾はありません")}
	}
	var problems, keys, groups []string
	if errs, ok := err.(plan.Errors); ok {
		for _, p := range errs {
			problems = append(problems, p.String())
			keys = append(keys, p.Keys...)
			groups = append(groups, strings.Join(p.Keys, " + "))
		}
	} else {
		problems = []string{err.Error()}
		groups = []string{"plan"}
	}
	return Result{Status: Fail,
		Summary: Text{
			EN: fmt.Sprintf("the plan section has %d problem(s): %s", len(problems), strings.Join(problems, "; ")),
			JA: fmt.Sprintf("plan: の設定に %d 件の問題があります（%s）", len(problems), strings.Join(groups, "、"))},
		Fix:     T("correct these keys: %s (dualpath plan --config FILE explains each)", "次の項目を直してください: %s（dualpath plan --config FILE で詳しい説明が出ます）", strings.Join(dedupe(keys), ", ")),
		Details: map[string]any{"problems": problems}}
}

// DHCPVerdict judges the DHCP offers heard: exactly one server is right;
// two is the article's mistake (both routers with DHCP on).
func DHCPVerdict(offers []probe.Offer, p *plan.Plan) Result {
	var list []string
	var servers []map[string]any
	for _, o := range offers {
		list = append(list, fmt.Sprintf("%s (%s)", o.ServerIP, o.ServerMAC))
		servers = append(servers, map[string]any{"address": o.ServerIP.String(), "mac": o.ServerMAC.String(), "offered": o.YourIP.String()})
	}
	d := map[string]any{"servers": servers}
	switch {
	case len(offers) == 0:
		return Result{Status: Warn, Details: d,
			Summary: T("no DHCP server answered on this LAN", "この LAN で DHCP サーバが応答しません"),
			Fix:     T("turn DHCP on in the IPoE router (only there)", "IPoE ルータの DHCP 機能を ON にしてください（IPoE ルータだけ）")}
	case len(offers) > 1:
		return Result{Status: Fail, Details: d,
			Summary: T("%d DHCP servers answer: %s", "DHCP サーバが %d 台応答しています: %s", len(offers), msg.Items(list)),
			Fix: T("turn DHCP off on every router but the IPoE router (two DHCP servers hand out clashing addresses)",
				"IPoE ルータ以外の DHCP 機能を OFF にしてください（DHCP が2台あるとアドレスが重複します）")}
	}
	o := offers[0]
	if p != nil && p.IPoERouter.IsValid() && o.ServerIP != p.IPoERouter {
		return Result{Status: Warn, Details: d,
			Summary: T("the only DHCP server is %s, but plan.ipoe_router is %s", "DHCP サーバは %s だけですが、plan.ipoe_router は %s です", list[0], p.IPoERouter),
			Fix:     T("let the IPoE router do DHCP, or correct plan.ipoe_router", "DHCP は IPoE ルータに任せるか、plan.ipoe_router を直してください")}
	}
	return Result{Status: OK, Details: d,
		Summary: T("one DHCP server: %s, offering %s", "DHCP サーバは1台です: %s（%s を提示）", list[0], o.YourIP)}
}

// ARPVerdict judges who claims the plan's addresses (RFC 5227 probes).
// own is this host's IPv4 addresses on the interface.
func ARPVerdict(p *plan.Plan, claims map[netip.Addr][]probe.ARPAnswer, own []netip.Addr) Result {
	status := OK
	var badEN, badJA, quiet, fine []string
	var fixes []Text
	details := map[string]any{}
	for _, n := range p.RouterAddrs() {
		var macs []string
		for _, a := range claims[n.Addr] {
			if !a.Probe {
				macs = append(macs, a.MAC.String())
			}
		}
		details[n.Key] = map[string]any{"address": n.Addr.String(), "macs": nonNil(macs)}
		mine := slices.Contains(own, n.Addr)
		switch {
		case mine && len(macs) > 0:
			status = Fail
			badEN = append(badEN, fmt.Sprintf("%s (%s, this host) also answered by %s", n.Addr, n.Key, strings.Join(macs, " ")))
			badJA = append(badJA, fmt.Sprintf("このサーバの %s（%s）に %s も応答", n.Addr, n.Key, strings.Join(macs, " ")))
			fixes = append(fixes, T("give the device with %s another address", "%s の機器に別のアドレスを設定してください", strings.Join(macs, " ")))
		case len(macs) > 1:
			status = Fail
			badEN = append(badEN, fmt.Sprintf("%s (%s) answered by %d devices: %s", n.Addr, n.Key, len(macs), strings.Join(macs, " ")))
			badJA = append(badJA, fmt.Sprintf("%s（%s）に %d 台が応答: %s", n.Addr, n.Key, len(macs), strings.Join(macs, " ")))
			fixes = append(fixes, T("give each router its own address outside the DHCP pool (e.g. IPoE .1, PPPoE .2)",
				"ルータごとに別のアドレスを、DHCP の配布範囲の外に設定してください（例: IPoE .1、PPPoE .2）"))
		case len(macs) == 0 && !mine && n.Key != "plan.server":
			if status < Warn {
				status = Warn
			}
			quiet = append(quiet, fmt.Sprintf("%s (%s)", n.Addr, n.Key))
			fixes = append(fixes, T("check the router is on and set to the address in the plan", "ルータの電源と、plan のアドレスになっているかを確認してください"))
		case len(macs) == 0:
			fine = append(fine, n.Addr.String()+" (free)")
		default:
			fine = append(fine, n.Addr.String())
		}
	}
	switch status {
	case Fail:
		return Result{Status: Fail, Details: details,
			Summary: Text{EN: "address conflict: " + strings.Join(badEN, "; "), JA: "アドレスが重複しています: " + strings.Join(badJA, "、")},
			Fix:     fixes[0]}
	case Warn:
		return Result{Status: Warn, Details: details,
			Summary: T("no answer for %s", "%s から応答がありません", msg.Items(quiet)),
			Fix:     fixes[0]}
	}
	return Result{Status: OK, Details: details,
		Summary: Text{
			EN: "no address conflicts: " + strings.Join(fine, ", "),
			JA: "アドレスの重複はありません: " + strings.ReplaceAll(strings.Join(fine, "、"), " (free)", "（未使用）")}}
}

// RAVerdict judges the IPv6 routers that answered a Router Solicitation.
func RAVerdict(ras []probe.RouterAdvert, p *plan.Plan) Result {
	var routers []map[string]any
	var names []string
	defaults := 0
	for _, ra := range ras {
		var pfx []string
		for _, x := range ra.Prefixes {
			pfx = append(pfx, x.Prefix.String())
		}
		routers = append(routers, map[string]any{"address": ra.Source.String(), "mac": ra.MAC.String(),
			"lifetime_s": int(ra.Lifetime.Seconds()), "prefixes": nonNil(pfx), "managed": ra.Managed, "other": ra.Other})
		names = append(names, fmt.Sprintf("%s (%s) %s", ra.Source, ra.MAC, strings.Join(pfx, " ")))
		if ra.Lifetime > 0 {
			defaults++
		}
	}
	d := map[string]any{"routers": routers}
	switch {
	case len(ras) == 0:
		return Result{Status: Warn, Details: d,
			Summary: T("no IPv6 router answered a Router Solicitation", "IPv6 ルータがルータ要請（RS）に応答しません"),
			Fix: T("turn IPv6 on in the IPoE router (IPv6 bridge or ND proxy)",
				"IPoE ルータの IPv6 設定を有効にしてください（IPv6 ブリッジまたは ND プロキシ）")}
	case defaults > 1:
		return Result{Status: Warn, Details: d,
			Summary: T("%d routers offer themselves as IPv6 default: %s", "%d 台のルータが IPv6 の既定ルータを名乗っています: %s", defaults, strings.Join(names, "; ")),
			Fix:     T("turn IPv6 off on the PPPoE router; IPv6 belongs to the IPoE router", "PPPoE ルータの IPv6 を OFF にしてください（IPv6 は IPoE ルータの担当です）")}
	}
	if p != nil && p.IPv6Gateway.IsValid() && !slices.ContainsFunc(ras, func(r probe.RouterAdvert) bool { return r.Source == p.IPv6Gateway }) {
		return Result{Status: Warn, Details: d,
			Summary: T("plan.ipv6_gateway %s is not the IPv6 router seen: %s", "plan.ipv6_gateway %s は実際の IPv6 ルータと違います: %s", p.IPv6Gateway, strings.Join(names, "; ")),
			Fix:     T("set plan.ipv6_gateway to %s", "plan.ipv6_gateway を %s にしてください", ras[0].Source)}
	}
	return Result{Status: OK, Details: d,
		Summary: T("IPv6 router: %s", "IPv6 ルータ: %s", strings.Join(names, "; "))}
}

// PPPoEVerdict judges the PADO answers to our PADI.
func PPPoEVerdict(acs []probe.AccessConcentrator) Result {
	var list []string
	var out []map[string]any
	var errs []string
	for _, ac := range acs {
		svc := strings.Join(ac.ServiceNames, ",")
		if svc == "" {
			svc = "-"
		}
		list = append(list, fmt.Sprintf("%q (%s, service %s)", ac.Name, ac.MAC, svc))
		out = append(out, map[string]any{"ac_name": ac.Name, "mac": ac.MAC.String(), "service_names": nonNil(ac.ServiceNames), "errors": nonNil(ac.Errors)})
		errs = append(errs, ac.Errors...)
	}
	d := map[string]any{"acs": nonNil(out)}
	if len(acs) == 0 {
		return Result{Status: Fail, Details: d,
			Summary: T("none: no PPPoE access concentrator answered (PADI)", "なし: PPPoE の接続装置（AC）が PADI に応答しません"),
			Fix: T("turn PPPoE passthrough on in the IPoE router; check the line offers PPPoE",
				"IPoE ルータの PPPoE パススルーを ON にし、回線で PPPoE が使えるか確認してください")}
	}
	if len(errs) > 0 {
		return Result{Status: Warn, Details: d,
			Summary: T("ACs answered with errors: %s", "AC がエラーを返しました: %s", strings.Join(errs, "; ")),
			Fix:     T("check the service name in pppoe.service", "pppoe.service のサービス名を確認してください")}
	}
	return Result{Status: OK, Details: d,
		Summary: T("PPPoE passthrough works and the ISP offers PPPoE: %s", "PPPoE パススルーは動作し、PPPoE が使えます: %s", strings.Join(list, "; "))}
}

// NginxListen is the nginx listen line for port on one family; 443 carries
// ssl, since a TLS server block without it fails `nginx -t` or serves
// plain HTTP on 443.
func NginxListen(port uint16, v6 bool) string {
	addr := fmt.Sprint(port)
	if v6 {
		addr = fmt.Sprintf("[::]:%d", port)
	}
	if port == 443 {
		return "listen " + addr + " ssl;"
	}
	return "listen " + addr + ";"
}

// ListenVerdict judges one exposed TCP port: both families must be served.
func ListenVerdict(c sockets.Coverage) Result {
	d := map[string]any{"port": c.Port, "ipv4": c.IPv4, "ipv6": c.IPv6, "ipv4_via_dual_stack": c.ViaDualStack,
		"v6only_guessed": c.Guessed, "sockets": nonNil(c.Sockets)}
	socks := strings.Join(c.Sockets, ", ")
	switch {
	case !c.IPv4 && !c.IPv6 && (c.LoopbackOnly4 || c.LoopbackOnly6):
		return Result{Status: Fail, Details: d,
			Summary: T("port %d listens on loopback only (%s)", "ポート %d はループバックだけで待ち受けています（%s）", c.Port, socks),
			Fix:     T("listen on all addresses: %s %s", "全アドレスで待ち受けてください（「%s %s」）", NginxListen(c.Port, false), NginxListen(c.Port, true))}
	case !c.IPv4 && !c.IPv6:
		return Result{Status: Fail, Details: d,
			Summary: T("nothing listens on TCP port %d", "TCP ポート %d で待ち受けているプログラムがありません", c.Port),
			Fix:     T("start the server (e.g. nginx) with %s %s", "サーバ（nginx など）を「%s %s」で起動してください", NginxListen(c.Port, false), NginxListen(c.Port, true))}
	case !c.IPv6:
		return Result{Status: Fail, Details: d,
			Summary: T("port %d listens on IPv4 only (%s): IPv6 visitors get no answer", "ポート %d は IPv4 だけで待ち受けています（%s）: IPv6 では繋がりません", c.Port, socks),
			Fix: T("add the IPv6 twin next to each IPv4 listen line, same parameters, e.g. nginx: %s (dualpath plan --nginx SITE_FILE writes it)",
				"IPv4 の `listen` 行ごとに、同じパラメータで IPv6 の行を足してください（nginx なら「%s」。dualpath plan --nginx SITE_FILE が書きます）", NginxListen(c.Port, true))}
	case !c.IPv4:
		return Result{Status: Fail, Details: d,
			Summary: T("port %d listens on IPv6 only (%s): IPv4 visitors get no answer", "ポート %d は IPv6 だけで待ち受けています（%s）: IPv4 では繋がりません", c.Port, socks),
			Fix:     T("add an IPv4 listener, e.g. nginx: %s", "IPv4 でも待ち受けてください（nginx なら「%s」）", NginxListen(c.Port, false))}
	}
	how := T("IPv4 and IPv6", "IPv4 と IPv6")
	if c.ViaDualStack {
		how = T("IPv4 and IPv6 (one dual-stack socket)", "IPv4 と IPv6（デュアルスタックの1ソケット）")
	}
	r := Result{Status: OK, Details: d,
		Summary: T("port %d listens on %s: %s", "ポート %d は %s で待ち受けています: %s", c.Port, how.EN, socks)}
	r.Summary.JA = fmt.Sprintf("ポート %d は %sで待ち受けています: %s", c.Port, how.JA, socks)
	return r
}

// UDPListenVerdict judges one exposed UDP port: both families must be
// served. UDP has no LISTEN state; a bound, unconnected socket is the
// listener, so "listens" here means "is bound and takes any peer".
func UDPListenVerdict(c sockets.Coverage) Result {
	d := map[string]any{"port": c.Port, "ipv4": c.IPv4, "ipv6": c.IPv6, "ipv4_via_dual_stack": c.ViaDualStack,
		"v6only_guessed": c.Guessed, "sockets": nonNil(c.Sockets)}
	socks := strings.Join(c.Sockets, ", ")
	switch {
	case !c.IPv4 && !c.IPv6 && (c.LoopbackOnly4 || c.LoopbackOnly6):
		return Result{Status: Fail, Details: d,
			Summary: T("UDP port %d is bound to loopback only (%s)", "UDP ポート %d はループバックだけで待ち受けています（%s）", c.Port, socks),
			Fix:     T("bind the server to all addresses: 0.0.0.0:%d and [::]:%d", "全アドレスで待ち受けてください: 0.0.0.0:%d と [::]:%d", c.Port, c.Port)}
	case !c.IPv4 && !c.IPv6:
		return Result{Status: Fail, Details: d,
			Summary: T("nothing listens on UDP port %d", "UDP ポート %d で待ち受けているプログラムがありません", c.Port),
			Fix:     T("start the server for UDP port %d, bound to 0.0.0.0:%d and [::]:%d", "UDP ポート %d のサーバを 0.0.0.0:%d と [::]:%d で起動してください", c.Port, c.Port, c.Port)}
	case !c.IPv6:
		return Result{Status: Fail, Details: d,
			Summary: T("UDP port %d listens on IPv4 only (%s): IPv6 clients get no answer", "UDP ポート %d は IPv4 だけで待ち受けています（%s）: IPv6 では繋がりません", c.Port, socks),
			Fix:     T("bind the server on IPv6 too: [::]:%d", "IPv6 でも待ち受けてください（[::]:%d で待ち受け）", c.Port)}
	case !c.IPv4:
		return Result{Status: Fail, Details: d,
			Summary: T("UDP port %d listens on IPv6 only (%s): IPv4 clients get no answer", "UDP ポート %d は IPv6 だけで待ち受けています（%s）: IPv4 では繋がりません", c.Port, socks),
			Fix: T("bind 0.0.0.0:%d too, or turn IPV6_V6ONLY off on the [::] socket",
				"0.0.0.0:%d でも待ち受けるか、[::] のソケットの IPV6_V6ONLY を OFF にしてください", c.Port)}
	}
	how := T("IPv4 and IPv6", "IPv4 と IPv6")
	if c.ViaDualStack {
		how = T("IPv4 and IPv6 (one dual-stack socket)", "IPv4 と IPv6（デュアルスタックの1ソケット）")
	}
	return Result{Status: OK, Details: d,
		Summary: Text{
			EN: fmt.Sprintf("UDP port %d listens on %s: %s", c.Port, how.EN, socks),
			JA: fmt.Sprintf("UDP ポート %d は %sで待ち受けています: %s", c.Port, how.JA, socks)}}
}

// V6Addr is one IPv6 address on the interface with its kernel flags.
type V6Addr struct {
	Prefix    netip.Prefix
	Temporary bool // IFA_F_TEMPORARY: RFC 8981 privacy address
	Deprecated,
	Tentative bool
}

// Global reports whether the address is usable for a AAAA record: global
// unicast, not ULA (fc00::/7), not deprecated, DAD done.
func (a V6Addr) Global() bool {
	ad := a.Prefix.Addr()
	return mape.IsGlobalIPv6(ad) && !a.Deprecated && !a.Tentative
}

func globalV6(addrs []V6Addr) (stable, temporary []V6Addr) {
	for _, a := range addrs {
		if !a.Global() {
			continue
		}
		if a.Temporary {
			temporary = append(temporary, a)
		} else {
			stable = append(stable, a)
		}
	}
	return
}

// IPv6LineVerdict: does the line's IPv6 reach this host at all?
func IPv6LineVerdict(ifname string, addrs []V6Addr) Result {
	stable, temp := globalV6(addrs)
	all := append(append([]V6Addr{}, stable...), temp...)
	var list []string
	for _, a := range all {
		list = append(list, a.Prefix.Addr().String())
	}
	d := map[string]any{"interface": ifname, "global": nonNil(list)}
	if len(all) == 0 {
		return Result{Status: Fail, Details: d,
			Summary: T("no global IPv6 address on %s: the line's IPv6 (IPoE) does not reach this host", "%s にグローバル IPv6 アドレスがありません: 回線の IPv6（IPoE）がこのサーバに届いていません", ifname),
			Fix: T("enable IPv6 on the IPoE router and accept RAs here (netplan accept-ra: true)",
				"IPoE ルータの IPv6 を有効にし、このサーバで RA を受け取る設定にしてください（netplan の「accept-ra: true」）")}
	}
	return Result{Status: OK, Details: d,
		Summary: T("global IPv6 on %s: %s", "%s にグローバル IPv6 があります: %s", ifname, msg.Items(list))}
}

// IPv6ChoiceVerdict: is there a stable address to publish?
func IPv6ChoiceVerdict(ifname string, addrs []V6Addr) Result {
	stable, temp := globalV6(addrs)
	var s, tt []string
	for _, a := range stable {
		s = append(s, a.Prefix.Addr().String())
	}
	for _, a := range temp {
		tt = append(tt, a.Prefix.Addr().String())
	}
	d := map[string]any{"stable": nonNil(s), "temporary": nonNil(tt)}
	switch {
	case len(stable) == 0 && len(temp) == 0:
		return Result{Status: Skip, Details: d,
			Summary: T("no global IPv6 address to choose from", "選べるグローバル IPv6 アドレスがありません")}
	case len(stable) == 0:
		return Result{Status: Warn, Details: d,
			Summary: T("only temporary IPv6 addresses on %s (%s): they change daily, so the AAAA record goes stale", "%s には一時アドレス（%s）しかありません: 毎日変わるので AAAA レコードが古くなります", ifname, msg.Items(tt)),
			Fix: T("keep a stable address: netplan ipv6-privacy: false, or sysctl net.ipv6.conf.%s.use_tempaddr=0",
				"固定的なアドレスを使ってください: netplan の「ipv6-privacy: false」、または sysctl net.ipv6.conf.%s.use_tempaddr=0", ifname)}
	}
	return Result{Status: OK, Details: d,
		Summary: T("stable IPv6 address for DNS: %s", "DNS に載せる固定的な IPv6 アドレス: %s", s[0])}
}

// MAPEVerdict matches the host's global IPv6 addresses against the MAP-E
// rules and says what IPv4 that gives, and that 80/443 are impossible over
// MAP-E IPv4 while IPv6 has no port limit.
func MAPEVerdict(addrs []V6Addr, table *mape.Table, tcp []uint16) Result {
	stable, temp := globalV6(addrs)
	var as []netip.Addr
	for _, a := range append(stable, temp...) {
		as = append(as, a.Prefix.Addr())
	}
	if line, _, ok := table.LineOf(as); ok {
		rule := line.Rule
		var ranges []string
		for _, r := range line.PortRanges() {
			ranges = append(ranges, r.String())
		}
		var missing []string
		for _, p := range tcp {
			if !line.HasPort(p) {
				missing = append(missing, fmt.Sprint(p))
			}
		}
		d := map[string]any{"provider": rule.Provider, "end_user_prefix": line.EndUserPrefix.String(),
			"ipv4": line.IPv4.String(), "shared": line.Shared(), "psid": line.PSID, "port_count": line.PortCount(),
			"port_ranges": nonNil(ranges), "br": brString(rule), "unavailable_ports": nonNil(missing)}
		first := ""
		if len(ranges) > 0 {
			first = ranges[0]
			if len(ranges) > 1 {
				first += ", ..."
			}
		}
		head := T("MAP-E line (%s) %s: shared IPv4 %s, %d ports (%s)", "MAP-E 回線（%s）%s: 共有 IPv4 %s、使えるポート %d 個（%s）",
			rule.Provider, line.EndUserPrefix, line.IPv4, line.PortCount(), first)
		if len(missing) == 0 {
			return Result{Status: OK, Details: d, Summary: head}
		}
		ports := strings.Join(missing, "/")
		return Result{Status: Warn, Details: d,
			Summary: Text{
				EN: head.EN + fmt.Sprintf("; %s impossible over IPv4 via MAP-E; IPv6 has no port limit", ports),
				JA: head.JA + fmt.Sprintf("。%s は MAP-E の IPv4 では使えません。IPv6 にポート制限はありません", ports)},
			Fix: T("serve IPv4 through your own PPPoE session (dualpath run, or a PPPoE router); IPv6 needs nothing",
				"IPv4 は PPPoE 経由で公開してください（dualpath run か PPPoE ルータ）。IPv6 はこのままで大丈夫です")}
	}
	if len(stable)+len(temp) == 0 {
		return Result{Status: Skip, Summary: T("no global IPv6 address to match against the MAP-E rules", "MAP-E の規則と照合するグローバル IPv6 アドレスがありません")}
	}
	return Result{Status: OK, Details: map[string]any{"provider": ""},
		Summary: T("no MAP-E rule matches this line's IPv6 prefix (not MAP-E, or an unknown service)", "この回線の IPv6 プレフィックスに合う MAP-E の規則はありません（MAP-E ではないか未知のサービス）")}
}

func brString(r mape.Rule) string {
	if r.BR.IsValid() {
		return r.BR.String()
	}
	return ""
}

// DSLiteVerdict reports signs of a DS-Lite line (transix, Xpass, v6 Connect):
// AFTR names that resolve, and B4 addresses from 192.0.0.0/29 (RFC 6333
// section 5.7) on this host.
func DSLiteVerdict(resolved map[string][]string, b4 []netip.Addr) Result {
	var signs, signsJA []string
	names := make([]string, 0, len(resolved))
	for n := range resolved {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		signs = append(signs, fmt.Sprintf("%s -> %s", n, strings.Join(resolved[n], " ")))
		signsJA = append(signsJA, fmt.Sprintf("%s が %s に解決", n, strings.Join(resolved[n], " ")))
	}
	var b4s []string
	for _, a := range b4 {
		b4s = append(b4s, a.String())
		signs = append(signs, a.String()+" on this host")
		signsJA = append(signsJA, "このサーバに "+a.String())
	}
	d := map[string]any{"aftr": resolved, "b4_addresses": nonNil(b4s)}
	if len(signs) == 0 {
		return Result{Status: OK, Details: d, Summary: T("no sign of DS-Lite", "DS-Lite の兆候はありません")}
	}
	return Result{Status: Warn, Details: d,
		Summary: Text{
			EN: fmt.Sprintf("DS-Lite signs (%s): DS-Lite gives no inbound IPv4 at all", strings.Join(signs, "; ")),
			JA: fmt.Sprintf("DS-Lite の兆候があります（%s）: DS-Lite では外から IPv4 で一切繋がりません", strings.Join(signsJA, "、"))},
		Fix: T("serve IPv4 through a PPPoE session (dualpath run); IPv6 works as is", "IPv4 は PPPoE 経由で公開してください（dualpath run）。IPv6 はこのままで使えます")}
}

// RPFilterVerdict: strict reverse-path filtering on the PPPoE TUN drops the
// inbound IPv4 that arrives there (protocols.md). values maps interface ->
// effective rp_filter (max of all and the interface, as the kernel uses).
func RPFilterVerdict(values map[string]int, tun string) Result {
	d := map[string]any{"rp_filter": values}
	var parts []string
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", n, values[n]))
	}
	if v, ok := values[tun]; ok && tun != "" && v == 1 {
		return Result{Status: Fail, Details: d,
			Summary: T("strict rp_filter on %s drops inbound IPv4 that arrives by PPPoE", "%s の rp_filter が厳格（1）で、PPPoE で届く IPv4 が捨てられます", tun),
			Fix:     T("sysctl net.ipv4.conf.%s.rp_filter=2 (dualpath run sets it itself)", "sysctl net.ipv4.conf.%s.rp_filter=2 にしてください（dualpath run は自動で設定します）", tun)}
	}
	return Result{Status: OK, Details: d, Summary: T("rp_filter: %s", "rp_filter の設定は問題ありません: %s", msg.Items(parts))}
}

func nonNil[E any](s []E) []E {
	if s == nil {
		return []E{}
	}
	return s
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
