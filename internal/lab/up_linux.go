package lab

import (
	"github.com/dualpath/dualpath/internal/msg"

	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// step is one named stage of bringing the lab up.
type step struct {
	what msg.Text
	fn   func(context.Context) error
}

// Up removes leftovers of any earlier lab with the same prefix, then builds
// the scenario: namespaces, links, addresses, routes, and every part of the
// house and the ISP: MAP-E, DNS, the BRAS and dualpath holding the PPPoE
// session.
func (l *Lab) Up(ctx context.Context) error {
	if err := Preflight(); err != nil {
		return err
	}
	if err := l.Down(); err != nil {
		return fmt.Errorf("removing the previous lab: %v", err)
	}
	for _, d := range []string{l.Dir, filepath.Join(l.Dir, "log"), filepath.Join(l.Dir, "www")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	l.st = &State{Prefix: l.Prefix, Scenario: l.Scenario, Dir: l.Dir, Started: time.Now().UTC()}
	if err := l.st.Save(); err != nil {
		return err
	}
	for _, s := range l.steps() {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.progress(msg.T("  - %s", "  - %s", s.what))
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %v", s.what.EN, err)
		}
	}
	l.st.Ready = true
	return l.st.Save()
}

// steps are the stages of Up, in order.
func (l *Lab) steps() []step {
	zone := strings.TrimSuffix(Zone, ".")
	return append([]step{
		{msg.T("namespaces", "名前空間"), l.upNamespaces},
		{msg.T("links", "リンク（veth）"), l.upLinks},
		{msg.T("ISP: IPv4/IPv6 internet, access network, /56 route", "ISP: IPv4/IPv6インターネット、アクセス網、/56の経路"), l.upISP},
		{msg.T("visitors inet4/inet6", "訪問者 inet4/inet6"), l.upVisitors},
		{msg.T("IPoE router: LAN bridge, PPPoE passthrough, IPv6 LAN", "IPoEルーター: LANブリッジ、PPPoEパススルー、IPv6 LAN"), l.upRouter},
		l.v6FilterDefaultStep(),
		{msg.T("dnsmasq on the router (DHCPv4, RA)", "ルーターのdnsmasq（DHCPv4、RA）"), l.upDnsmasq},
		{msg.T("home PC (DHCPv4, SLAAC)", "家のPC（DHCPv4、SLAAC）"), l.upPC},
		{msg.T("server: LAN addresses, nginx", "サーバー: LANのアドレスとnginx"), l.upServer},
		l.v6FilterOpenStep(),
		{msg.T("second router (two-routers): LAN address", "2台目のルーター（two-routers）: LANのアドレス"), l.upRouter2},
		{msg.T("visitor services", "訪問者側のサービス（whoami）"), l.upWhoami},
		{msg.T("probe-serve at the visitors (IPv4, IPv6)", "訪問者側の probe-serve（IPv4、IPv6）"), l.upProbers},
		{msg.T("webhook receiver at inet4 (the server's notifications)", "inet4 に通知の受け手（サーバーからの HTTP 通知）"), l.upWebhooks},
		{msg.T("MAP-E: BR in the ISP, CE with NAPT on its port set in the router",
			"MAP-E: ISPにBR、ルーターに自分のポート集合でNAPTするCE"), l.upMAPE},
		{msg.T("DNS: BIND 9 for %s and a MyDNS-compatible service in the ISP",
			"DNS: ISPに %s のBIND 9とMyDNS互換サービス", zone), l.upDNS},
	}, l.pathSteps()...)
}

// pathSteps build the server's inbound IPv4 path: the BRAS and a PPPoE
// session, or in ipip-fixed the fixed-IP tunnel (ipip_linux.go).
func (l *Lab) pathSteps() []step {
	if l.Scenario == ScenarioIPIPFixed {
		return l.ipipSteps()
	}
	return []step{
		{msg.T("BRAS: our PPPoE access concentrator in the ISP (pool %s)",
			"BRAS: ISPにdualpathのPPPoEアクセスコンセントレーター（プール %s）", PPPoEPool), l.upBRAS},
		{msg.T("PPPoE session (%s)", "PPPoEセッション（%s）", l.sessionWhat()), l.upSession},
	}
}

func (l *Lab) upNamespaces(ctx context.Context) error {
	for _, n := range Nodes(l.Scenario) {
		if _, err := run("ip", "netns", "add", l.NS(n)); err != nil {
			return err
		}
		if err := l.ipn(n, "link", "set", "lo", "up"); err != nil {
			return err
		}
		sys := []string{
			"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
			"net.ipv6.conf.all.keep_addr_on_down=1",
		}
		switch n {
		case NodeISP, NodeRouter, NodeRouter2:
			sys = append(sys, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
		case NodeServer:
			// SLAAC and temporary addresses (RFC 8981) beside the
			// server's static stable one: DDNS must pick the stable one.
			sys = append(sys, "net.ipv6.conf.default.use_tempaddr=2", "net.ipv6.conf.default.autoconf=1")
		}
		if _, err := l.In(n, "sysctl", append([]string{"-qw"}, sys...)...); err != nil {
			return err
		}
	}
	return nil
}

// veth links aIf in node a with bIf in node b; both are created directly in
// their namespaces (nothing appears in the machine's own namespace).
func (l *Lab) veth(a, aIf, b, bIf string) error {
	if err := l.ipn(a, "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", l.NS(b)); err != nil {
		return err
	}
	if err := l.ipn(a, "link", "set", aIf, "up"); err != nil {
		return err
	}
	return l.ipn(b, "link", "set", bIf, "up")
}

func (l *Lab) upLinks(ctx context.Context) error {
	links := [][4]string{
		{NodeISP, "to-inet4", NodeInet4, "eth0"},
		{NodeISP, "to-inet6", NodeInet6, "eth0"},
		{NodeISP, "acc0", NodeRouter, "wan0"},
		{NodeRouter, "lan-pc", NodePC, "eth0"},
		{NodeRouter, "lan-srv", NodeServer, "eth0"},
		{NodeRouter, "pt-lan", NodeRouter, "pt-wan"},
	}
	if l.Scenario == ScenarioTwoRouters {
		links = append(links,
			[4]string{NodeRouter, "lan-r2w", NodeRouter2, "wan0"},
			[4]string{NodeRouter, "lan-r2l", NodeRouter2, "lan0"})
	}
	for _, k := range links {
		if err := l.veth(k[0], k[1], k[2], k[3]); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) addr(node, dev string, p netip.Prefix) error {
	fam := "-4"
	if p.Addr().Is6() {
		fam = "-6"
	}
	return l.ipn(node, fam, "addr", "add", p.String(), "dev", dev)
}

func host(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

func (l *Lab) upISP(ctx context.Context) error {
	for _, a := range []netip.Addr{DNS4, MyDNS4, DNS6, MyDNS6, BRAddr} {
		if err := l.addr(NodeISP, "lo", host(a)); err != nil {
			return err
		}
	}
	for _, x := range []struct {
		dev string
		p   netip.Prefix
	}{{"to-inet4", Inet4ISP}, {"to-inet6", Inet6ISP}, {"acc0", AccessISP}} {
		if err := l.addr(NodeISP, x.dev, x.p); err != nil {
			return err
		}
	}
	// IPv6 routing with a /56 per customer (RFC 6177): the router's
	// delegated prefix is routed to its WAN address.
	return l.ipn(NodeISP, "-6", "route", "add", RouterPrefix.String(), "via", AccessRouter.Addr().String(), "dev", "acc0")
}

func (l *Lab) upVisitors(ctx context.Context) error {
	if err := l.addr(NodeInet4, "eth0", Inet4Addr); err != nil {
		return err
	}
	if err := l.ipn(NodeInet4, "route", "add", "default", "via", Inet4ISP.Addr().String()); err != nil {
		return err
	}
	// inet4 is IPv4-only, inet6 IPv6-only.
	if _, err := l.In(NodeInet4, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"); err != nil {
		return err
	}
	if err := l.addr(NodeInet6, "eth0", Inet6Addr); err != nil {
		return err
	}
	return l.ipn(NodeInet6, "-6", "route", "add", "default", "via", Inet6ISP.Addr().String())
}

// upRouter builds the IPoE home router: WAN bridge (its IPv6 address on the
// access network), LAN bridge, and PPPoE passthrough: a veth patch between
// the two bridges that carries only PPPoE discovery and session frames
// (ethertypes 0x8863/0x8864, RFC 2516 section 2), filtered by nftables in
// the bridge family.
func (l *Lab) upRouter(ctx context.Context) error {
	cmds := [][]string{
		{"link", "add", "br-wan", "type", "bridge"},
		{"link", "add", "br-lan", "type", "bridge"},
		{"link", "set", "wan0", "master", "br-wan"},
		{"link", "set", "pt-wan", "master", "br-wan"},
		{"link", "set", "pt-lan", "master", "br-lan"},
		{"link", "set", "lan-pc", "master", "br-lan"},
		{"link", "set", "lan-srv", "master", "br-lan"},
		{"link", "set", "br-wan", "up"},
		{"link", "set", "br-lan", "up"},
		{"-6", "addr", "add", AccessRouter.String(), "dev", "br-wan"},
		{"-6", "route", "add", "default", "via", AccessISP.Addr().String(), "dev", "br-wan"},
		{"-4", "addr", "add", netip.PrefixFrom(RouterLAN4, 24).String(), "dev", "br-lan"},
		{"-6", "addr", "add", netip.PrefixFrom(RouterLAN6Addr, 64).String(), "dev", "br-lan"},
	}
	if l.Scenario == ScenarioTwoRouters {
		cmds = append(cmds,
			[]string{"link", "set", "lan-r2w", "master", "br-lan"},
			[]string{"link", "set", "lan-r2l", "master", "br-lan"})
	}
	for _, c := range cmds {
		if err := l.ipn(NodeRouter, c...); err != nil {
			return err
		}
	}
	// Bridge ports carry no addresses of their own.
	for _, dev := range []string{"wan0", "pt-wan", "pt-lan", "lan-pc", "lan-srv"} {
		if _, err := l.In(NodeRouter, "sysctl", "-qw", "net.ipv6.conf."+dev+".disable_ipv6=1"); err != nil {
			return err
		}
	}
	rules := `table bridge dualpath_lab_passthrough {
	chain forward {
		type filter hook forward priority 0; policy accept;
		iifname { "pt-wan", "pt-lan" } ether type != { 0x8863, 0x8864 } drop
		oifname { "pt-wan", "pt-lan" } ether type != { 0x8863, 0x8864 } drop
	}
}
`
	return l.nft(NodeRouter, "passthrough", rules)
}

// nft loads a ruleset file into node's namespace.
func (l *Lab) nft(node, name, rules string) error {
	p := filepath.Join(l.Dir, node+"-"+name+".nft")
	if err := os.WriteFile(p, []byte(rules), 0o644); err != nil {
		return err
	}
	_, err := l.In(node, "nft", "-f", p)
	return err
}

func (l *Lab) upDnsmasq(ctx context.Context) error {
	conf := filepath.Join(l.Dir, "router-dnsmasq.conf")
	c := fmt.Sprintf(`# dualpath lab: the IPoE router's DHCPv4 server and IPv6 router advertisements
keep-in-foreground
user=root
interface=br-lan
bind-interfaces
no-resolv
no-hosts
server=%s
dhcp-range=%s,%s,255.255.255.0,1h
dhcp-option=option:router,%s
dhcp-option=option:dns-server,%s
dhcp-leasefile=%s
pid-file=%s
enable-ra
dhcp-range=::,constructor:br-lan,ra-only,64,1h
ra-param=br-lan,4,1800
log-dhcp
`, DNS6, DHCPFirst, DHCPLast, RouterLAN4, RouterLAN4,
		filepath.Join(l.Dir, "router-dnsmasq.leases"), filepath.Join(l.Dir, "router-dnsmasq.pid"))
	if err := os.WriteFile(conf, []byte(c), 0o644); err != nil {
		return err
	}
	_, err := l.start(NodeRouter, "dnsmasq", "dnsmasq", "--conf-file="+conf)
	return err
}

// dhcpScript is run by busybox udhcpc on the PC: it applies the lease.
const dhcpScript = `#!/bin/sh
# dualpath lab: apply a DHCPv4 lease (busybox udhcpc script)
case "$1" in
bound|renew)
	ip -4 addr flush dev "$interface"
	ip -4 addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do ip -4 route replace default via "$r" dev "$interface"; break; done
	;;
deconfig)
	ip -4 addr flush dev "$interface"
	;;
esac
exit 0
`

func (l *Lab) upPC(ctx context.Context) error {
	script := filepath.Join(l.Dir, "pc-udhcpc.sh")
	if err := os.WriteFile(script, []byte(dhcpScript), 0o755); err != nil {
		return err
	}
	// -q: exit once bound. dnsmasq may still be starting: udhcpc retries.
	if _, err := l.InCtx(ctx, NodePC, "busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "20", "-T", "1", "-s", script); err != nil {
		return fmt.Errorf("the PC got no DHCPv4 lease from dnsmasq (see %s): %v", filepath.Join(l.Dir, "log", "router-dnsmasq.log"), err)
	}
	return l.waitDefault6(ctx, NodePC)
}

// waitDefault6 waits until node learned an IPv6 default route and a global
// address from router advertisements.
func (l *Lab) waitDefault6(ctx context.Context, node string) error {
	ok := waitFor(ctx, 15*time.Second, func() bool {
		out, err := l.In(node, "ip", "-6", "route", "show", "default")
		if err != nil || !strings.Contains(out, "via") {
			return false
		}
		out, err = l.In(node, "ip", "-6", "addr", "show", "scope", "global")
		return err == nil && strings.Contains(out, "inet6")
	})
	if !ok {
		return fmt.Errorf("%s got no IPv6 default route from the router's advertisements", node)
	}
	return nil
}

func (l *Lab) upServer(ctx context.Context) error {
	// The server's stable IPv6 address is static, as users set it on a
	// server (netplan); the default route comes from RA, and so do a SLAAC
	// address and temporary ones (RFC 8981) that DDNS must not publish.
	if err := l.addr(NodeServer, "eth0", netip.PrefixFrom(ServerIPv6(), 64)); err != nil {
		return err
	}
	if err := l.addr(NodeServer, "eth0", netip.PrefixFrom(ServerLAN4, 24)); err != nil {
		return err
	}
	gw := RouterLAN4
	if l.Scenario == ScenarioTwoRouters {
		gw = Router2LAN4 // the article: IPv4 via the PPPoE router
	}
	if err := l.ipn(NodeServer, "route", "add", "default", "via", gw.String()); err != nil {
		return err
	}
	if err := l.waitDefault6(ctx, NodeServer); err != nil {
		return err
	}
	return l.upNginx(ctx)
}

func (l *Lab) upNginx(ctx context.Context) error {
	d := filepath.Join(l.Dir, "nginx")
	if err := os.MkdirAll(filepath.Join(d, "tmp"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(l.Dir, "www", "index.html"), []byte("dualpath lab: hello from nginx on the home server\n"), 0o644); err != nil {
		return err
	}
	conf := fmt.Sprintf(`# dualpath lab: nginx on the home server, IPv4 and IPv6, ports 80 and 443
# (443 answers plain HTTP: the lab checks reachability, not TLS)
daemon off;
user root;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
	access_log %[1]s/access.log;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
	default_type text/plain;
	server {
		listen 80;
		listen [::]:80;
		listen 443;
		listen [::]:443;
		root %[2]s;
	}
}
`, d, filepath.Join(l.Dir, "www"))
	p := filepath.Join(d, "nginx.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		return err
	}
	if _, err := l.start(NodeServer, "nginx", "nginx", "-p", d, "-c", p, "-e", filepath.Join(d, "error.log")); err != nil {
		return err
	}
	return l.waitListen(ctx, NodeServer, "tcp", 80)
}

// waitListen waits until something in node listens on port.
func (l *Lab) waitListen(ctx context.Context, node, proto string, port int) error {
	flag := "-ltnH"
	if proto == "udp" {
		flag = "-lunH"
	}
	ok := waitFor(ctx, 10*time.Second, func() bool {
		out, err := l.In(node, "ss", flag, fmt.Sprintf("sport = :%d", port))
		return err == nil && strings.TrimSpace(out) != ""
	})
	if !ok {
		return fmt.Errorf("nothing listens on %s/%d in %s (logs: %s)", proto, port, node, filepath.Join(l.Dir, "log"))
	}
	return nil
}

// upWhoami starts the visitors' "who am I" services, which tell each client
// the address and port it was seen from, and the server's decoy services
// (TCP and UDP, on every address of the server).
func (l *Lab) upWhoami(ctx context.Context) error {
	for _, x := range []struct{ node, listen string }{
		{NodeInet4, fmt.Sprintf("0.0.0.0:%d", WhoamiPort)},
		{NodeInet6, fmt.Sprintf("[::]:%d", WhoamiPort)},
		{NodeServer, fmt.Sprintf("[::]:%d", DecoyPort)},
	} {
		if _, err := l.startNode(x.node, "whoami", "whoami", x.listen); err != nil {
			return err
		}
	}
	if _, err := l.startNode(NodeServer, "udp-decoy", "udp-echo", fmt.Sprintf("[::]:%d", DecoyPort)); err != nil {
		return err
	}
	for _, x := range []struct {
		node, proto string
		port        int
	}{{NodeInet4, "tcp", WhoamiPort}, {NodeInet6, "tcp", WhoamiPort}, {NodeServer, "tcp", DecoyPort}, {NodeServer, "udp", DecoyPort}} {
		if err := l.waitListen(ctx, x.node, x.proto, x.port); err != nil {
			return err
		}
	}
	return nil
}

// Programs the lab runs, and the Debian package of each.
var labPrograms = [][2]string{
	{"ip", "iproute2"}, {"nft", "nftables"}, {"sysctl", "procps"}, {"ss", "iproute2"},
	{"nginx", "nginx-light"}, {"dnsmasq", "dnsmasq-base"}, {"named", "bind9"},
	{"dig", "bind9-dnsutils"}, {"busybox", "busybox-static"},
}

// Preflight reports, in one line, the programs the lab needs that are
// missing.
func Preflight() error {
	var miss, pkgs []string
	for _, p := range labPrograms {
		if _, err := exec.LookPath(p[0]); err != nil {
			miss = append(miss, p[0])
			pkgs = append(pkgs, p[1])
		}
	}
	if len(miss) > 0 {
		return fmt.Errorf("the lab needs %s (Debian: %s): run scripts/deps.sh", strings.Join(miss, ", "), strings.Join(pkgs, " "))
	}
	return nil
}

// upRouter2 gives the second router of the two-routers scenario its LAN
// address; its PPPoE session, NAT and port forwarding come with the PPPoE
// session step (upRouter2Session). Its WAN port (wan0) sits on the IPoE router's LAN, as in the
// article: PPPoE goes through the IPoE router's passthrough.
func (l *Lab) upRouter2(ctx context.Context) error {
	if l.Scenario != ScenarioTwoRouters {
		return nil
	}
	return l.addr(NodeRouter2, "lan0", netip.PrefixFrom(Router2LAN4, 24))
}
