package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"github.com/dualpath/dualpath/internal/doctor/probe"
	"github.com/dualpath/dualpath/internal/doctor/sockets"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// Checks returns every check, in report order: the line, the LAN, the host.
func Checks(env *Env) []Check {
	if env.Interface == "" {
		env.Interface = defaultRouteInterface()
	}
	cs := []Check{
		Func{"line.ipv6", GroupLine, env.checkIPv6Line},
		Func{"line.mape", GroupLine, env.checkMAPE},
		Func{"line.dslite", GroupLine, env.checkDSLite},
		Func{"line.pppoe", GroupLine, env.probeCheck(func(ctx context.Context) Result {
			acs, err := probe.PPPoEOffers(ctx, env.Interface, env.Timeout)
			if err != nil {
				return probeError(err)
			}
			r := PPPoEVerdict(acs)
			if r.Status == Fail && env.Config != nil && env.Config.Tunnel != nil && env.Config.PPPoE == nil {
				// inbound IPv4 comes by the fixed-IP tunnel: PPPoE is only a fallback
				r.Status, r.Fix = Warn, Text{}
			}
			return r
		})},
	}
	if env.Config != nil && env.Config.Plan != nil {
		cs = append(cs, Func{"lan.plan", GroupLAN, func(context.Context) Result { return PlanVerdict(env.PlanErr) }})
	}
	cs = append(cs,
		Func{"lan.dhcp", GroupLAN, env.probeCheck(func(ctx context.Context) Result {
			offers, err := probe.DHCPOffers(ctx, env.Interface, env.Timeout+DHCPPingAllowance)
			if err != nil {
				return probeError(err)
			}
			return DHCPVerdict(offers, env.Plan)
		})},
		Func{"lan.addresses", GroupLAN, env.probeCheck(env.checkAddresses)},
		Func{"lan.ipv6-routers", GroupLAN, env.probeCheck(func(ctx context.Context) Result {
			ras, err := probe.RouterAdverts(ctx, env.Interface, env.Timeout)
			if err != nil {
				return probeError(err)
			}
			return RAVerdict(ras, env.Plan)
		})},
	)
	for _, port := range env.TCPPorts() {
		cs = append(cs, Func{fmt.Sprintf("host.listen.tcp%d", port), GroupHost, func(context.Context) Result {
			ls, err := sockets.List()
			if err != nil {
				return Result{Status: Skip, Summary: T("cannot read the socket tables: %v", "ソケット一覧を読めません: %v", err)}
			}
			return ListenVerdict(sockets.CoverageOf(ls, port))
		}})
	}
	for _, port := range env.UDPPorts() {
		cs = append(cs, Func{fmt.Sprintf("host.listen.udp%d", port), GroupHost, func(context.Context) Result {
			ls, err := sockets.ListUDP()
			if err != nil {
				return Result{Status: Skip, Summary: T("cannot read the socket tables: %v", "ソケット一覧を読めません: %v", err)}
			}
			return UDPListenVerdict(sockets.CoverageOf(ls, port))
		}})
	}
	cs = append(cs,
		Func{"host.rp_filter", GroupHost, env.checkRPFilter},
		Func{"host.default-routes", GroupHost, env.checkRoutes},
		Func{"host.firewall", GroupHost, env.checkFirewall},
		Func{"host.daemon", GroupHost, env.checkDaemon},
		Func{"host.ipv6-address", GroupHost, func(context.Context) Result {
			addrs, err := v6Addrs(env.Interface)
			if err != nil {
				return noInterface(env.Interface, err)
			}
			return IPv6ChoiceVerdict(env.Interface, addrs)
		}},
	)
	return cs
}

// DHCPPingAllowance is added to the DHCP probe's wait: servers ping the
// address before offering it (RFC 2131 section 4.4.1; dnsmasq waits 3 s for
// the echo), so the first offer comes about 3 s after the DISCOVER.
const DHCPPingAllowance = 3 * time.Second

// probeCheck wraps a raw-socket probe: it needs root and an interface.
func (env *Env) probeCheck(fn func(ctx context.Context) Result) func(ctx context.Context) Result {
	return func(ctx context.Context) Result {
		if env.Interface == "" {
			return noInterface("", nil)
		}
		if os.Geteuid() != 0 {
			return Result{Status: Skip,
				Summary: T("probe skipped: raw sockets need root", "調査を省略しました: root 権限が必要です"),
				Fix:     T("run: sudo dualpath doctor", "sudo dualpath doctor で実行してください")}
		}
		return fn(ctx)
	}
}

func probeError(err error) Result {
	return Result{Status: Skip, Summary: T("probe failed: %v", "調査に失敗しました: %v", err),
		Fix: T("check --interface names the LAN interface", "--interface で LAN のインターフェースを指定してください")}
}

func noInterface(name string, err error) Result {
	if name == "" {
		return Result{Status: Skip, Summary: T("no LAN interface known", "LAN のインターフェースが分かりません"),
			Fix: T("give --interface IF or interface: in the config", "--interface IF か設定ファイルの interface: で指定してください")}
	}
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) || errors.Is(err, hostnet.ErrInterfaceNotFound) {
		return Result{Status: Skip, Summary: T("interface %s does not exist", "インターフェース %s はありません", name),
			Fix: T("give --interface IF with an existing interface (see ip link)", "存在するインターフェースを --interface IF で指定してください（「ip link」で確認）")}
	}
	return Result{Status: Skip, Summary: T("interface %s: %v", "インターフェース %s: %v", name, err),
		Fix: T("give --interface IF with an existing interface", "存在するインターフェースを --interface IF で指定してください")}
}

func defaultRouteInterface() string {
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteList(nil, fam)
		if err != nil {
			continue
		}
		for _, r := range routes {
			if (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.LinkIndex > 0 {
				if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
					return l.Attrs().Name
				}
			}
		}
	}
	return ""
}

// v6Addrs reads the interface's IPv6 addresses with their flags (Go's
// net.Interface.Addrs has no flags, protocols.md).
func v6Addrs(ifname string) ([]V6Addr, error) {
	if ifname == "" {
		return nil, errors.New("no interface")
	}
	as, err := hostnet.Addrs(ifname)
	if err != nil {
		return nil, err
	}
	var out []V6Addr
	for _, a := range as {
		if !a.Prefix.Addr().Is6() {
			continue
		}
		out = append(out, V6Addr{
			Prefix:     a.Prefix,
			Temporary:  a.Flags&hostnet.AddrTemporary != 0,
			Deprecated: a.Flags&hostnet.AddrDeprecated != 0,
			Tentative:  a.Flags&(hostnet.AddrTentative|hostnet.AddrDADFailed) != 0,
		})
	}
	return out, nil
}

func (env *Env) checkIPv6Line(context.Context) Result {
	addrs, err := v6Addrs(env.Interface)
	if err != nil {
		return noInterface(env.Interface, err)
	}
	return IPv6LineVerdict(env.Interface, addrs)
}

func (env *Env) checkMAPE(context.Context) Result {
	addrs, err := v6Addrs(env.Interface)
	if err != nil {
		return noInterface(env.Interface, err)
	}
	return MAPEVerdict(addrs, env.MAPE, env.TCPPorts())
}

func (env *Env) checkDSLite(ctx context.Context) Result {
	lookup := env.LookupHost
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	ctx, cancel := context.WithTimeout(ctx, env.Timeout)
	defer cancel()
	type ans struct {
		name  string
		addrs []string
	}
	ch := make(chan ans, len(AFTRNames))
	for _, n := range AFTRNames {
		go func() {
			a, err := lookup(ctx, n)
			if err != nil {
				a = nil
			}
			ch <- ans{n, a}
		}()
	}
	resolved := map[string][]string{}
	for range AFTRNames {
		a := <-ch
		if len(a.addrs) > 0 {
			resolved[a.name] = a.addrs
		}
	}
	var b4 []netip.Addr
	b4net := netip.MustParsePrefix("192.0.0.0/29")
	if ifs, err := net.Interfaces(); err == nil {
		for _, ifi := range ifs {
			as, _ := ifi.Addrs()
			for _, a := range as {
				if n, ok := a.(*net.IPNet); ok {
					if ip, ok := netip.AddrFromSlice(n.IP); ok && b4net.Contains(ip.Unmap()) {
						b4 = append(b4, ip.Unmap())
					}
				}
			}
		}
	}
	return DSLiteVerdict(resolved, b4)
}

func (env *Env) checkAddresses(ctx context.Context) Result {
	if env.Plan == nil {
		return Result{Status: Skip,
			Summary: T("no valid plan: section, so no router addresses to probe", "有効な plan: がないため、ルータのアドレスを調べられません"),
			Fix:     T("run with --config FILE whose plan: names the routers", "ルータのアドレスを書いた plan: のある設定ファイルを --config で渡してください")}
	}
	var targets []netip.Addr
	for _, n := range env.Plan.RouterAddrs() {
		targets = append(targets, n.Addr)
	}
	claims, err := probe.ARPClaims(ctx, env.Interface, targets, min(env.Timeout, 2*time.Second))
	if err != nil {
		return probeError(err)
	}
	var own []netip.Addr
	if ifi, err := net.InterfaceByName(env.Interface); err == nil {
		as, _ := ifi.Addrs()
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
					own = append(own, ip.Unmap())
				}
			}
		}
	}
	return ARPVerdict(env.Plan, claims, own)
}

func readSysctlInt(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return v, err == nil
}

func (env *Env) checkRPFilter(context.Context) Result {
	all, _ := readSysctlInt("/proc/sys/net/ipv4/conf/all/rp_filter")
	values := map[string]int{}
	tun := ""
	if env.Config != nil && env.Config.PPPoE != nil {
		tun = env.Config.PPPoE.TUN
	}
	if env.Config != nil && env.Config.Tunnel != nil {
		tun = env.Config.Tunnel.TUN
	}
	for _, ifn := range []string{env.Interface, tun} {
		if ifn == "" {
			continue
		}
		if v, ok := readSysctlInt("/proc/sys/net/ipv4/conf/" + ifn + "/rp_filter"); ok {
			values[ifn] = max(v, all) // the kernel uses max(all, interface)
		}
	}
	if len(values) == 0 && env.Interface == "" {
		return noInterface("", nil)
	}
	if len(values) == 0 {
		return Result{Status: Skip, Summary: T("interface %s: no rp_filter setting found", "インターフェース %s: rp_filter の設定が見つかりません", env.Interface),
			Fix: T("give --interface IF with an existing interface", "存在するインターフェースを --interface IF で指定してください")}
	}
	return RPFilterVerdict(values, tun)
}

func (env *Env) checkDaemon(context.Context) Result {
	sock := "/run/dualpath/status.sock"
	if env.Config != nil && env.Config.Status.Socket != "" {
		sock = env.Config.Status.Socket
	}
	if st, err := os.Stat(sock); err != nil || st.Mode()&os.ModeSocket == 0 {
		return Result{Status: Skip, Details: map[string]any{"status_socket": sock},
			Summary: T("dualpath run is not running (no %s)", "dualpath run は動いていません（%s がありません）", sock)}
	}
	if env.Config == nil || (env.Config.PPPoE == nil && env.Config.Tunnel == nil) {
		return Result{Status: Skip, Details: map[string]any{"status_socket": sock},
			Summary: T("dualpath run is running; no pppoe: or tunnel: section given, so no rule to check", "dualpath run は動いています。pppoe: も tunnel: も設定がないので経路は確認しません"),
			Fix:     T("pass --config with the daemon's config file", "デーモンの設定ファイルを --config で渡してください")}
	}
	var table int
	if p := env.Config.PPPoE; p != nil {
		table = p.Table
	} else {
		table = env.Config.Tunnel.Table
	}
	var missing []string
	rules, err := netlink.RuleList(netlink.FAMILY_V4)
	hasRule := false
	for _, r := range rules {
		hasRule = hasRule || r.Table == table
	}
	if err != nil || !hasRule {
		missing = append(missing, fmt.Sprintf("ip rule lookup %d", table))
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
	if err != nil || len(routes) == 0 {
		missing = append(missing, fmt.Sprintf("routes in table %d", table))
	}
	hasFW := false
	if c, err := nftables.New(); err == nil {
		tables, _ := c.ListTablesOfFamily(nftables.TableFamilyINet)
		for _, t := range tables {
			hasFW = hasFW || t.Name == hostnet.FirewallTable
		}
	}
	if !hasFW {
		missing = append(missing, "nft table inet "+hostnet.FirewallTable)
	}
	d := map[string]any{"status_socket": sock, "table": table, "missing": nonNil(missing)}
	if len(missing) > 0 {
		return Result{Status: Fail, Details: d,
			Summary: T("dualpath run is up, but missing: %s", "dualpath run は動いていますが、次がありません: %s", msg.Items(missing)),
			Fix:     T("check the daemon's log (journalctl -u dualpath) and restart it", "デーモンのログ（journalctl -u dualpath）を確認し、再起動してください")}
	}
	return Result{Status: OK, Details: d,
		Summary: T("dualpath run: policy rule, table %d and firewall in place", "dualpath run: ポリシールール、テーブル %d、ファイアウォールが揃っています", table)}
}
