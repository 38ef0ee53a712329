package lab

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/lab/mapetun"
	"github.com/dualpath/dualpath/internal/lab/vantage"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
)

// The ipip-fixed scenario: instead of PPPoE, the server holds a fixed-IP
// IPv4-over-IPv6 tunnel (v6プラス固定IP, transix 固定IP, OCX光 style) to a
// second border relay in the ISP, which routes a fixed /29 to it; the ISP
// also runs the provider's update endpoint, which records every call and
// moves the tunnel to the caller's new end point.

// ScenarioIPIPFixed is the fixed-IP tunnel scenario.
const ScenarioIPIPFixed = "ipip-fixed"

var (
	// FixedBR is the fixed-IP service's border relay (on the ISP's
	// loopback, beside the MAP-E BR).
	FixedBR = netip.MustParseAddr("2001:db8:ffff::44")
	// FixedBlock is the customer's fixed IPv4 block; the A record carries
	// its first address.
	FixedBlock = netip.MustParsePrefix("192.0.2.208/29")
	// FixedIID is the interface ID the provider assigned (OCX writes it
	// as four groups).
	FixedIID = "0000:0000:0000:fe01"
	// FixedUpdate6 serves the provider's update URL (on the ISP's loopback).
	FixedUpdate6 = netip.MustParseAddr("2001:db8:53::88")
	// RouterPrefix2 is the router's delegated /56 after the prefix change;
	// RouterLAN6Addr2 its LAN address on it.
	RouterPrefix2   = netip.MustParsePrefix("2001:db8:106:3400::/56")
	RouterLAN6Addr2 = netip.MustParseAddr("2001:db8:106:3400::1")
)

const (
	fixedTUN  = "fbr0"
	fixedUser = "fixed@lab.example"
	fixedMTU  = config.DefaultTunnelMTU
)

// FixedEndpoint is the tunnel's end point on the /64 of lan.
func FixedEndpoint(lan netip.Prefix) netip.Addr {
	t := &config.Tunnel{InterfaceID: FixedIID}
	a, _ := t.Endpoint(lan)
	return a
}

func init() {
	NodeCommands["ipip-br"] = nodeIPIPBR
}

// updateCall is one call of the update endpoint, as recorded (one JSON
// object a line in ipip-updates.jsonl).
type updateCall struct {
	Time   time.Time `json:"time"`
	From   string    `json:"from"`
	IPv6   string    `json:"ipv6"`
	Status int       `json:"status"`
}

// nodeIPIPBR runs the fixed-IP border relay and the provider's update
// endpoint in one process: a successful call moves the tunnel.
func nodeIPIPBR(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("ipip-br", flag.ContinueOnError)
	br := fs.String("br", "", "the BR's IPv6 address")
	block := fs.String("block", "", "the customer's fixed IPv4 block")
	ce := fs.String("ce", "", "the customer's end point as provisioned")
	dev := fs.String("tun", fixedTUN, "TUN device")
	listen := fs.String("listen", "", "update endpoint address:port")
	secrets := fs.String("secrets", "", "file with 'user password'")
	calls := fs.String("calls", "", "file recording every update call (JSON lines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	brA, err1 := netip.ParseAddr(*br)
	blk, err2 := netip.ParsePrefix(*block)
	ceA, err3 := netip.ParseAddr(*ce)
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	b, err := os.ReadFile(*secrets)
	if err != nil {
		return err
	}
	user, pass, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	x := &mapetun.FixedBR{Block: blk}
	x.SetCE(ceA)
	log := nodeLogger(out)
	var mu sync.Mutex
	record := func(c updateCall) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(*calls, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Warn("record update call", "err", err)
			return
		}
		defer f.Close()
		line, _ := json.Marshal(c)
		f.Write(append(line, '\n'))
	}
	// The update endpoint: user and password must match; the new end
	// point is the ip6 parameter, which must be the address the call
	// comes from (as providers check).
	mux := http.NewServeMux()
	mux.HandleFunc("/update", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		from, _ := netip.ParseAddr(host)
		c := updateCall{Time: time.Now().UTC(), From: from.String(), IPv6: q.Get("ip6")}
		to, err := netip.ParseAddr(q.Get("ip6"))
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("user")), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(q.Get("pass")), []byte(pass)) != 1:
			c.Status = http.StatusUnauthorized
		case err != nil || to != from.Unmap():
			c.Status = http.StatusBadRequest
		default:
			x.SetCE(to)
			c.Status = http.StatusOK
			log.Info("end point moved", "ce", to)
		}
		record(c)
		w.WriteHeader(c.Status)
		fmt.Fprintf(w, "%d\n", c.Status)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	t := &mapetun.Tunnel{TUN: *dev, MTU: fixedMTU, Local: brA, X: x, Log: log}
	log.Info("fixed-IP BR up", "block", blk, "ce", ceA, "update", *listen)
	return t.Run(ctx)
}

// ipipSteps replace the BRAS and the PPPoE session in this scenario.
func (l *Lab) ipipSteps() []step {
	return []step{
		{msg.T("fixed-IP BR in the ISP (%s routed to it), update endpoint", "ISPに固定IPのBR（%s をここへ）と更新エンドポイント", FixedBlock), l.upFixedBR},
		{msg.T("server: dualpath run with the fixed-IP tunnel", "サーバー: 固定IPトンネルで dualpath run"), l.upTunnelServer},
	}
}

func (l *Lab) upFixedBR(ctx context.Context) error {
	for _, a := range []netip.Addr{FixedBR, FixedUpdate6} {
		if err := l.addr(NodeISP, "lo", host(a)); err != nil {
			return err
		}
	}
	pw, err := newSecret(filepath.Join(l.Dir, "fixed.pass"), 12)
	if err != nil {
		return err
	}
	secrets := filepath.Join(l.Dir, "ipip-secrets")
	if err := os.WriteFile(secrets, []byte(fixedUser+" "+pw+"\n"), 0o600); err != nil {
		return err
	}
	if _, err := l.startNode(NodeISP, "ipip-br", "ipip-br", "--br", FixedBR.String(), "--block", FixedBlock.String(),
		"--ce", FixedEndpoint(RouterLAN6).String(), "--tun", fixedTUN,
		"--listen", netip.AddrPortFrom(FixedUpdate6, 80).String(), "--secrets", secrets,
		"--calls", filepath.Join(l.Dir, "ipip-updates.jsonl")); err != nil {
		return err
	}
	if err := l.waitLink(ctx, NodeISP, fixedTUN); err != nil {
		return err
	}
	if err := l.ipn(NodeISP, "route", "add", FixedBlock.String(), "dev", fixedTUN); err != nil {
		return err
	}
	// The router's IPv6 filter drops new inbound traffic like an HGW's;
	// the entry a user adds to it lets IPv4-in-IPv6 (next header 4) from
	// the fixed-IP BR through to the LAN, and from nowhere else.
	if _, err := l.InCtx(ctx, NodeRouter, "nft", "insert", "rule", "ip6", v6FilterTable, "forward",
		"iifname", "br-wan", "oifname", "br-lan", "ip6", "saddr", FixedBR.String(), "meta", "l4proto", "4", "accept"); err != nil {
		return err
	}
	return l.waitListen(ctx, NodeISP, "tcp", 80)
}

// writeTunnelServerConfig writes the server's config for ipip-fixed.
func (l *Lab) writeTunnelServerConfig() (string, error) {
	c := fmt.Sprintf(`# dualpath lab: the home server's config (scenario %[1]s)
interface: eth0
state_dir: %[2]s/server-state
tunnel:
  kind: ipip6
  br: %[3]s
  interface_id: %[4]s
  ipv4: %[5]s
  update:
    url_template: http://[%[6]s]/update?user={username}&pass={password}&ip6={ipv6}
    username: %[7]s
    password_file: %[2]s/fixed.pass
expose:
  tcp: [%[8]s]
  icmp_echo: true
ddns:
  - provider: mydns
    name: %[9]s
    username: %[10]s
    password_file: %[2]s/mydns.pass
    ipv4: tunnel
    ipv6: interface:eth0
    ipv4_url: http://%[11]s/login.html
    ipv6_url: http://[%[12]s]/login.html
status:
  socket: %[2]s/server-status.sock
metrics:
  listen: "off"
`, l.Scenario, l.Dir, FixedBR, FixedIID, FixedBlock, FixedUpdate6, fixedUser,
		strings.ReplaceAll(config.FormatPorts(ExposedTCP), ",", ", "), strings.TrimSuffix(Name, "."), MyDNSMasterID, MyDNS4, MyDNS6) + l.outsideConfig()
	p := filepath.Join(l.Dir, "server-dualpath.yaml")
	return p, os.WriteFile(p, []byte(c), 0o644)
}

func (l *Lab) upTunnelServer(ctx context.Context) error {
	cfg, err := l.writeTunnelServerConfig()
	if err != nil {
		return err
	}
	if _, err := l.start(NodeServer, "dualpath-run", l.bin, "run", "--config", cfg); err != nil {
		return err
	}
	return l.waitDNS(ctx, FixedBlock.Addr())
}

// tunnelEndpoint is the tunnel end point the server holds on eth0 (the
// deprecated /128 dualpath adds), if any.
func (l *Lab) tunnelEndpoint() (netip.Addr, error) {
	out, err := l.In(NodeServer, "ip", "-6", "-o", "addr", "show", "dev", "eth0")
	if err != nil {
		return netip.Addr{}, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet6" && strings.HasSuffix(f[i+1], "/128") {
				if p, err := netip.ParsePrefix(f[i+1]); err == nil {
					return p.Addr(), nil
				}
			}
		}
	}
	return netip.Addr{}, errors.New("no tunnel end point (/128) on the server's eth0")
}

// ipipChecks are the scenario's checks: the same story as server-pppoe,
// with the fixed-IP tunnel as the inbound IPv4 path and a prefix change
// (the LAN moves and back) instead of a dropped session.
func (l *Lab) ipipChecks() []check {
	return []check{
		{1, msg.T("PC's IPv4 leaves by MAP-E", "PCのIPv4はMAP-Eから出る"), nil, checkPCMAPE},
		{2, msg.T("inet4 -> shared IPv4 port 80 fails", "inet4 -> 共有IPv4の80番には届かない"), nil, checkSharedPort80},
		{3, msg.T("tunnel up; A = fixed, AAAA = stable", "トンネル確立。A=固定IP、AAAA=固定"), nil, checkTunnelRecords},
		{4, msg.T("inet4 fetches http://NAME/ via the tunnel", "inet4が http://NAME/ をトンネル経由で取得"), nil,
			func(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) { return l.fetch4(ctx, FixedBlock.Addr()) }},
		{5, msg.T("inet6 fetches http://NAME/ (IPv6)", "inet6が http://NAME/ を取得（IPv6）"), nil, checkFetch6},
		{6, msg.T("scan of the fixed address", "固定IPアドレスをポートスキャン"), nil,
			func(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) { return l.scan(ctx, FixedBlock.Addr()) }},
		{7, msg.T("server's own IPv4 leaves by MAP-E", "サーバー自身のIPv4はMAP-Eから出る"), nil, checkServerMAPE},
		{8, msg.T("prefix change: tunnel follows", "プレフィックス変更: トンネルが追従"), nil, checkPrefixChange},
		{9, msg.T("dualpath check: reachable from outside", "dualpath check: 外から到達できる"), nil, checkFromOutside},
		{10, msg.T("router's IPv6 filter lets in only 80,443", "ルーターのIPv6フィルタは80,443だけを通す"), nil, checkIPv6Filter},
		{11, msg.T("prefix change: webhook arrives at inet4", "プレフィックス変更: inet4 に通知が届く"), nil, checkTunnelWebhook},
	}
}

// ipipWhy explains each check in one line, for the demo.
var ipipWhy = map[int]msg.Text{
	1: checkWhy[1],
	2: checkWhy[2],
	3: msg.T("the server's own fixed-IP tunnel to the BR; DNS: A = the fixed address",
		"サーバー自身の固定IPトンネル。DNSはA=固定IPアドレス、AAAA=固定IPv6"),
	4: msg.T("an IPv4 visitor gets the page through the tunnel, nginx sees who it was",
		"IPv4の訪問者はトンネル経由でページを取得し、nginxは本当の相手を記録"),
	5: checkWhy[5],
	6: msg.T("only the configured ports are open on the fixed address",
		"固定IPアドレスで開いているのは設定したポートだけ"),
	7: checkWhy[7],
	8: msg.T("the router's IPv6 prefix changes: new end point, update URL called, site back",
		"ルーターのIPv6プレフィックスが変わる: 新しい端点、更新URL呼び出し、サイト復活"),
	9:  checkWhy[9],
	10: checkWhy[10],
	11: msg.T("the prefix change reached the receiver at inet4: tunnel_endpoint, tunnel_up",
		"プレフィックス変更は inet4 の受信側に届く: tunnel_endpoint、tunnel_up"),
}

// checkTunnelWebhook is check 11: when the prefix changed (check 8), the
// server's daemon told the receiver at inet4 where the tunnel moved
// (tunnel_endpoint, there and back) and that it answered again (tunnel_up).
func checkTunnelWebhook(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	moved := FixedEndpoint(netip.PrefixFrom(RouterLAN6Addr2, 64).Masked())
	exp := msg.T("tunnel_endpoint -> %s, then tunnel_up, at inet4", "inet4 に tunnel_endpoint（→ %s）、続いて tunnel_up", moved)
	var ep, up *notify.JSONPayload
	waitFor(ctx, 10*time.Second, func() bool {
		ep, up = nil, nil
		for _, p := range l.webhooks() {
			switch {
			case p.Event == notify.TunnelEndpoint && p.Facts["new"] == moved.String():
				ep, up = &p, nil
			case p.Event == notify.TunnelUp && ep != nil && up == nil:
				up = &p
			}
		}
		return ep != nil && up != nil
	})
	switch {
	case ep == nil:
		return exp, msg.T("no tunnel_endpoint to %s at the receiver (%s)", "受け手に %s への tunnel_endpoint が届いていない（%s）", moved, filepath.Base(l.webhooksFile())), false
	case up == nil:
		return exp, msg.T("tunnel_endpoint %s -> %s, but no tunnel_up after it", "tunnel_endpoint %s → %s、しかしその後の tunnel_up がない", ep.Facts["old"], ep.Facts["new"]), false
	}
	return exp, msg.T("tunnel_endpoint %s -> %s, tunnel_up %.1fs later", "tunnel_endpoint %s → %s、%.1f秒後に tunnel_up", ep.Facts["old"], ep.Facts["new"], up.Time.Sub(ep.Time).Seconds()), true
}

func checkTunnelRecords(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	fixed := FixedBlock.Addr()
	ep := FixedEndpoint(RouterLAN6)
	exp := msg.T("end point %s; A %s, AAAA %s", "端点 %s。A %s、AAAA %s", ep, fixed, ServerIPv6())
	got, err := l.tunnelEndpoint()
	if err != nil {
		return exp, msg.Same(err.Error()), false
	}
	a, okA := l.waitRecord(ctx, 10*time.Second, "A", fixed)
	aaaa, okAAAA := l.waitRecord(ctx, 5*time.Second, "AAAA", ServerIPv6())
	n := l.tunAddressCount(config.DefaultTunnelTUN)
	seen := msg.T("end point %s, %d addresses on %s; A %s, AAAA %s", "端点 %s、%[3]s に %[2]d アドレス。A %[4]s、AAAA %[5]s", got, n, config.DefaultTunnelTUN, addrsString(a), addrsString(aaaa))
	return exp, seen, got == ep && okA && okAAAA && n == 1<<(32-FixedBlock.Bits())
}

// tunAddressCount counts the IPv4 addresses on the server's TUN dev.
func (l *Lab) tunAddressCount(dev string) int {
	out, err := l.In(NodeServer, "ip", "-4", "-o", "addr", "show", "dev", dev)
	if err != nil {
		return 0
	}
	return strings.Count(out, " inet ")
}

// updateCalls reads the update endpoint's record.
func (l *Lab) updateCalls() []updateCall {
	b, err := os.ReadFile(filepath.Join(l.Dir, "ipip-updates.jsonl"))
	if err != nil {
		return nil
	}
	var cs []updateCall
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var c updateCall
		if json.Unmarshal([]byte(line), &c) == nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// checkPrefixChange moves the router's LAN to a new /56 (as after the
// ISP renumbers the line) and measures until the server holds the new end
// point, has called the update URL from it, and an IPv4 visitor gets the
// page through the tunnel again; then it moves the LAN back the same way,
// so the lab is as before (and the check can run again).
func checkPrefixChange(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	want := FixedEndpoint(netip.PrefixFrom(RouterLAN6Addr2, 64).Masked())
	exp := msg.T("end point %s, update 200, fetch 200; and back", "端点 %s、更新 200、取得 200。そして元に戻す", want)
	if err := l.ipn(NodeISP, "-6", "route", "replace", RouterPrefix2.String(), "via", AccessRouter.Addr().String(), "dev", "acc0"); err != nil {
		return exp, msg.Same(err.Error()), false
	}
	there, err := l.movePrefix(ctx, RouterLAN6Addr, RouterLAN6Addr2)
	if err != nil {
		return exp, msg.Same(err.Error()), false
	}
	back, err := l.movePrefix(ctx, RouterLAN6Addr2, RouterLAN6Addr)
	if err != nil {
		return exp, msg.T("%s; moving back: %v", "%s。戻す途中: %v", there, err), false
	}
	return exp, msg.T("%s; back: %s", "%s。戻し: %s", there, back), true
}

// movePrefix replaces the router's LAN address from by to (the /64 it
// advertises follows) and waits for the tunnel to follow: the end point,
// a successful update call from it, a fetch through the tunnel.
func (l *Lab) movePrefix(ctx context.Context, from, to netip.Addr) (msg.Text, error) {
	want := FixedEndpoint(netip.PrefixFrom(to, 64).Masked())
	start := time.Now()
	calls := len(l.updateCalls())
	for _, c := range [][]string{
		{"-6", "addr", "add", netip.PrefixFrom(to, 64).String(), "dev", "br-lan"},
		{"-6", "addr", "del", netip.PrefixFrom(from, 64).String(), "dev", "br-lan"},
	} {
		if err := l.ipn(NodeRouter, c...); err != nil {
			return msg.Text{}, err
		}
	}
	var ep netip.Addr
	if !waitFor(ctx, 40*time.Second, func() bool { ep, _ = l.tunnelEndpoint(); return ep == want }) {
		return msg.Text{}, fmt.Errorf("end point still %v after %.0fs, want %s", ep, time.Since(start).Seconds(), want)
	}
	epAt := time.Since(start)
	var call updateCall
	if !waitFor(ctx, 20*time.Second, func() bool {
		cs := l.updateCalls()
		for _, c := range cs[min(calls, len(cs)):] {
			if c.IPv6 == want.String() && c.Status == http.StatusOK {
				call = c
				return true
			}
		}
		return false
	}) {
		return msg.Text{}, fmt.Errorf("end point %s after %.1fs, no successful update call from it", ep, epAt.Seconds())
	}
	updAt := time.Since(start)
	var f vantage.Fetched
	var ferr error
	waitFor(ctx, 20*time.Second, func() bool {
		url, dns := l.fetchTarget("4")
		ferr = l.nodeJSON(ctx, NodeInet4, &f, "fetch", "--family", "4", "--dns", dns, url)
		return ferr == nil && f.Status == 200 && f.Addr == FixedBlock.Addr().String()
	})
	if ferr != nil || f.Status != 200 {
		return msg.Text{}, fmt.Errorf("%s: end point %.1fs, update %d %.1fs, fetch failed: %v", want, epAt.Seconds(), call.Status, updAt.Seconds(), ferr)
	}
	return msg.T("%s: end point %.1fs, update %d %.1fs, fetch %d %.1fs", "%s: 端点 %.1f秒、更新 %d %.1f秒、取得 %d %.1f秒",
		want, epAt.Seconds(), call.Status, updAt.Seconds(), f.Status, time.Since(start).Seconds()), nil
}

// The demo's words for this scenario.
var (
	ipipHouse = msg.T("a PC, and a server (nginx) that holds a fixed-IP IPv4-in-IPv6 tunnel to the ISP's BR through the router (which lets IPv6 next header 4 from that BR through).",
		"PCと、ルーター越しにISPのBRへ固定IPのIPv4-in-IPv6トンネルを張るサーバー（nginx）。ルーターはそのBRからのIPv6次ヘッダー4を通します。")
	ipipVerdict = msg.T("\nAll checks hold: IPv4 visitors come in through the fixed-IP tunnel, IPv6 visitors by IPoE, the rest stays on MAP-E; "+
		"after a prefix change the tunnel moved to the new address and told the provider.",
		"\nすべて成功: IPv4の訪問者は固定IPトンネルから、IPv6の訪問者はIPoEから、それ以外はMAP-Eのまま。"+
			"プレフィックスが変わるとトンネルは新しいアドレスへ移り、プロバイダーに通知しました。")
)

func ipipISP() msg.Text {
	return msg.T("The ISP: MAP-E border relay, a fixed-IP BR routing %s to the server with its update URL, BIND 9 for %s, a MyDNS-compatible service.",
		"ISP: MAP-EのBR、%s をサーバーへ流す固定IPのBRと更新URL、%s のBIND 9、MyDNS互換サービス。", FixedBlock, strings.TrimSuffix(Zone, "."))
}
