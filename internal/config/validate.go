package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// Providers are the DDNS provider names the config accepts.
var Providers = []string{"mydns", "rfc2136", "cloudflare", "duckdns", "dyndns2"}

type validateOpts struct {
	getenv func(string) string
	host   bool // look at the host: secret files, groups
}

// Validate checks every value for what the program can do with it and
// returns an Errors value (one line per problem, with file:line:column and
// the key path) or nil. It also looks at the host, without touching the
// network: secret files must exist with mode 0600 (DUALPATH_PPPOE_PASSWORD
// may replace pppoe.password_file) and status.group must exist.
// Provider-specific DDNS checks live in package ddns (ddns.ValidateConfig).
func (c *Config) Validate() error {
	return c.validate(validateOpts{getenv: os.Getenv, host: true})
}

type checker struct {
	c    *Config
	opts validateOpts
	errs Errors
}

func (k *checker) errorf(key, format string, args ...any) {
	k.errs = append(k.errs, k.c.Errorf(key, format, args...))
}

// errorT records a problem with key in both languages.
func (k *checker) errorT(key string, t msg.Text) {
	k.errs = append(k.errs, k.c.ErrorT(key, t))
}

func (c *Config) validate(opts validateOpts) error {
	k := &checker{c: c, opts: opts, errs: append(Errors(nil), c.badValues...)}
	if c.PPPoE != nil || c.Tunnel != nil || c.Interface != "" {
		k.ifname("interface", c.Interface, true)
	}
	if c.PPPoE != nil {
		k.pppoe(c.PPPoE)
	}
	if c.Tunnel != nil {
		k.tunnel(c.Tunnel)
	}
	k.expose()
	for i := range c.DDNS {
		k.ddns(i, &c.DDNS[i])
	}
	k.absPath("state_dir", c.StateDir)
	k.absPath("status.socket", c.Status.Socket)
	if g := c.Status.Group; g != "" && opts.host {
		if _, err := user.LookupGroup(g); err != nil {
			k.errorT("status.group", msg.T("group %q does not exist: create it with groupadd %s, or remove the key (then only root and the daemon's user can read status)", "グループ %q がありません。「groupadd %s」で作るか、このキーを消してください（そのときは root とデーモンのユーザーだけが状態を読めます）", g, g))
		}
	}
	k.metrics()
	switch c.Log.Format {
	case "", "text", "json":
	default:
		k.errorT("log.format", msg.T("%q is not a log format%s: use text or json", "%q はログの形式ではありません%s。text か json にしてください", c.Log.Format, msg.DidYouMean(c.Log.Format, []string{"text", "json"})))
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		k.errorT("log.level", msg.T("%q is not a log level%s: use debug, info, warn or error", "%q はログのレベルではありません%s。debug、info、warn、error のどれかにしてください", c.Log.Level, msg.DidYouMean(c.Log.Level, []string{"debug", "info", "warn", "error"})))
	}
	if c.Plan != nil {
		k.plan(c.Plan)
	}
	k.check()
	k.notify()
	return k.errs.asError()
}

// ifname checks a Linux interface name (IFNAMSIZ is 16 with the NUL).
func (k *checker) ifname(key, name string, required bool) {
	switch {
	case name == "":
		if required {
			k.errorT(key, msg.T("missing: name the server's LAN interface (see `ip link`), e.g. enp1s0", "ありません。サーバの LAN インターフェース名を書いてください（「ip link」で確認、例 enp1s0）"))
		}
	case len(name) > 15:
		k.errorT(key, msg.T("%q is longer than 15 characters, the Linux limit for interface names", "%q は15文字を超えています（Linux のインターフェース名の上限）", name))
	case !validIfname(name):
		k.errorT(key, msg.T("%q is not a valid interface name", "%q はインターフェース名として使えません", name))
	}
}

func (k *checker) pppoe(p *PPPoE) {
	if strings.TrimSpace(p.Username) == "" {
		k.errorT("pppoe.username", msg.T("missing: the PPPoE user name from your ISP (e.g. user@example.ne.jp)", "ありません。プロバイダの PPPoE 認証ID を書いてください（例 user@example.ne.jp）"))
	} else if strings.ContainsAny(p.Username, "\r\n") {
		k.errorT("pppoe.username", msg.T("contains a line break", "改行が含まれています"))
	}
	env := ""
	if k.opts.getenv != nil {
		env = k.opts.getenv(EnvPPPoEPassword)
	}
	switch {
	case p.PasswordFile == "" && env == "":
		k.errorT("pppoe.password_file", msg.T("missing: name a file holding the PPPoE password (mode 0600), or set %s", "ありません。PPPoE のパスワードを入れたファイル（モード 0600）を書くか、%s を設定してください", EnvPPPoEPassword))
	case p.PasswordFile != "" && env == "":
		k.secret("pppoe.password_file", p.PasswordFile)
	}
	k.pppoeLimits(p)
}

func (k *checker) expose() {
	e := k.c.Expose
	for _, l := range []struct {
		key   string
		ports []uint16
	}{{"expose.tcp", e.TCP}, {"expose.udp", e.UDP}} {
		seen := map[uint16]bool{}
		for i, p := range l.ports {
			key := fmt.Sprintf("%s[%d]", l.key, i)
			if p == 0 {
				k.errorT(key, msg.T("0 is not a port number (1-65535)", "0 はポート番号ではありません（1〜65535）"))
			} else if seen[p] {
				k.errorT(key, msg.T("port %d is listed twice", "ポート %d が2回書かれています", p))
			}
			seen[p] = true
		}
	}
	if k.c.PPPoE == nil && k.c.Tunnel == nil && (len(e.TCP) > 0 || len(e.UDP) > 0) && (k.c.Plan == nil || k.c.Plan.Mode != "two-routers") {
		k.errorT("expose", msg.T("ports are listed but there is no pppoe or tunnel section: expose applies to the PPPoE or fixed tunnel address; add one of them", "ポートが書かれていますが、pppoe も tunnel もありません。expose は PPPoE か固定トンネルのアドレスに使うので、どちらかを書いてください"))
	}
}

func (k *checker) ddns(i int, d *DDNSRecord) {
	at := func(key string) string { return fmt.Sprintf("ddns[%d].%s", i, key) }
	known := false
	for _, p := range Providers {
		known = known || d.Provider == p
	}
	if d.Provider == "" {
		k.errorT(at("provider"), msg.T("missing: use one of %s", "ありません。%s のどれかを書いてください", msg.List(Providers)))
	} else if !known {
		k.errorT(at("provider"), msg.T("unknown provider %q%s: use one of %s", "%q というサービスはありません%s。%s のどれかにしてください", d.Provider, msg.DidYouMean(d.Provider, Providers), msg.List(Providers)))
	}
	k.sources(at, d)
	for _, s := range []struct{ key, path string }{
		{"password_file", d.PasswordFile}, {"token_file", d.TokenFile}, {"tsig_key_file", d.TSIGKeyFile},
	} {
		if s.path != "" {
			k.secret(at(s.key), s.path)
		}
	}
	for j, p := range d.IPv6Include {
		k.prefix6(fmt.Sprintf("%s[%d]", at("ipv6_include"), j), p)
	}
	for j, p := range d.IPv6Exclude {
		k.prefix6(fmt.Sprintf("%s[%d]", at("ipv6_exclude"), j), p)
	}
	if d.IPv6Suffix != "" {
		if a, err := netip.ParseAddr(d.IPv6Suffix); err != nil || !a.Is6() || a.Is4In6() {
			k.errorT(at("ipv6_suffix"), msg.T("%q is not an IPv6 host part like ::10", "%q は IPv6 のホスト部（例 ::10）ではありません", d.IPv6Suffix))
		}
	}
	if d.TTL < 0 || d.TTL > 604800 {
		k.errorT(at("ttl"), msg.T("%d is out of range: use 0-604800 seconds (0 means the provider's default)", "%d は範囲外です。0〜604800 秒にしてください（0 はサービスの既定値）", d.TTL))
	}
	if d.Interval < time.Minute {
		k.errorT(at("interval"), msg.T("%s is too short: providers block clients that poll this often; use at least 1m (5m is the default)", "%s は短すぎます。これほど頻繁に問い合わせるとサービスに遮断されます。1m 以上にしてください（既定は 5m）", d.Interval))
	}
	if d.Keepalive < 0 || d.Keepalive > 0 && d.Keepalive < time.Hour {
		k.errorT(at("keepalive"), msg.T("%s is out of range: use at least 1h (MyDNS needs 24h or less), or leave it out", "%s は範囲外です。1h 以上にするか（MyDNS は 24h 以下が必要）、省略してください", d.Keepalive))
	}
	for _, u := range []struct{ key, v string }{{"base_url", d.BaseURL}, {"ipv4_url", d.IPv4URL}, {"ipv6_url", d.IPv6URL}, {"echo_url", d.EchoURL}} {
		if u.v != "" {
			k.httpURL(at(u.key), u.v)
		}
	}
	if d.Server != "" {
		if _, port, err := net.SplitHostPort(d.Server); err != nil || port == "" {
			k.errorT(at("server"), msg.T("%q is not host:port, e.g. 192.0.2.53:53", "%q は「host:port」の形ではありません（例 192.0.2.53:53）", d.Server))
		}
	}
}

// bad reports whether the decoder refused the value at key (badValues).
func (k *checker) bad(key string) bool {
	for _, e := range k.c.badValues {
		if e.Key == key {
			return true
		}
	}
	return false
}

// sources checks what a record's ipv4 and ipv6 sources need beyond their
// own syntax (ParseSource, at decode): something to publish, and the pppoe
// or tunnel section an address comes from.
func (k *checker) sources(at func(string) string, d *DDNSRecord) {
	if !d.IPv4.IsSet() && !d.IPv6.IsSet() && !k.bad(at("ipv4")) && !k.bad(at("ipv6")) {
		k.errorT(at("ipv4"), msg.T("the record publishes no address: set ipv4 and/or ipv6 (pppoe, tunnel, interface:NAME, http:URL, static:ADDR, seen)", "このレコードは何のアドレスも登録しません。ipv4 と ipv6 の片方か両方を書いてください（pppoe、tunnel、interface:NAME、http:URL、static:ADDR、seen）"))
	}
	switch {
	case d.IPv4.Kind == SourcePPPoE && k.c.PPPoE == nil:
		k.errorT(at("ipv4"), msg.T("pppoe needs a pppoe section in this file (or use interface:NAME)", "pppoe を使うには、このファイルに pppoe のセクションが必要です（または interface:NAME を使ってください）"))
	case d.IPv4.Kind == SourceTunnel && k.c.Tunnel == nil:
		k.errorT(at("ipv4"), msg.T("tunnel needs a tunnel section in this file (or use interface:NAME)", "tunnel を使うには、このファイルに tunnel のセクションが必要です（または interface:NAME を使ってください）"))
	}
}

func (k *checker) httpURL(key, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		k.errorT(key, msg.T("%q is not an http:// or https:// URL", "%q は http:// か https:// の URL ではありません", s))
	}
}

func (k *checker) prefix6(key, s string) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is6() {
		k.errorT(key, msg.T("%q is not an IPv6 prefix like 2001:db8:12:3400::/56", "%q は IPv6 プレフィックス（例 2001:db8:12:3400::/56）ではありません", s))
	}
}

func (k *checker) secret(key, path string) {
	if !filepath.IsAbs(path) {
		k.errorT(key, msg.T("%q is not an absolute path: write it in full, e.g. /etc/dualpath/%s", "%q は絶対パスではありません。/etc/dualpath/%s のように省略せずに書いてください", path, filepath.Base(path)))
		return
	}
	if !k.opts.host {
		return
	}
	if err := CheckSecretFile(path); err != nil {
		k.errorT(key, msg.T("%v", "%v", err)) // err speaks both languages

	}
}

func (k *checker) absPath(key, path string) {
	if !filepath.IsAbs(path) {
		k.errorT(key, msg.T("%q is not an absolute path", "%q は絶対パスではありません", path))
	}
}

func (k *checker) metrics() {
	m := k.c.Metrics
	if m.Listen == "off" {
		return
	}
	host, port, err := net.SplitHostPort(m.Listen)
	if err != nil {
		k.errorT("metrics.listen", msg.T("%q is not host:port (e.g. 127.0.0.1:9842) or off", "%q は「host:port」（例 127.0.0.1:9842）でも off でもありません", m.Listen))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		k.errorT("metrics.listen", msg.T("%q has no valid port (1-65535)", "%q のポート番号が正しくありません（1〜65535）", m.Listen))
		return
	}
	if !m.AllowRemote && !IsLoopbackHost(host) {
		k.errorT("metrics.listen", msg.T("%s is not a loopback address and the metrics show your session address and traffic: use 127.0.0.1:%s, or set metrics.allow_remote: true", "%s はループバックアドレスではなく、メトリクスにはセッションのアドレスと通信量が出ます。127.0.0.1:%s にするか、「metrics.allow_remote: true」を設定してください", m.Listen, port))
	}
}

// IsLoopbackHost reports whether a listen host is loopback only: "localhost"
// or a loopback IP literal. An empty host (all addresses) is not.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func (k *checker) plan(p *Plan) {
	switch p.Mode {
	case "server-pppoe", "two-routers":
	case "":
		k.errorT("plan.mode", msg.T("missing: use server-pppoe or two-routers", "ありません。server-pppoe か two-routers を書いてください"))
	default:
		k.errorT("plan.mode", msg.T("%q is not a mode%s: use server-pppoe or two-routers", "%q は構成の種類ではありません%s。server-pppoe か two-routers にしてください", p.Mode, msg.DidYouMean(p.Mode, []string{"server-pppoe", "two-routers"})))
	}
	var subnet netip.Prefix
	if p.Subnet != "" {
		s, err := netip.ParsePrefix(p.Subnet)
		if err != nil || !s.Addr().Is4() {
			k.errorT("plan.subnet", msg.T("%q is not an IPv4 subnet like 192.168.1.0/24", "%q は IPv4 サブネット（例 192.168.1.0/24）ではありません", p.Subnet))
		} else {
			subnet = s.Masked()
		}
	}
	addr := func(key, v string) netip.Addr {
		if v == "" {
			return netip.Addr{}
		}
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			k.errorT(key, msg.T("%q is not an IPv4 address", "%q は IPv4 アドレスではありません", v))
			return netip.Addr{}
		}
		if subnet.IsValid() && !subnet.Contains(a) {
			k.errorT(key, msg.T("%s is outside plan.subnet %s", "%s は plan.subnet %s の外です", a, subnet))
		}
		return a
	}
	server := addr("plan.server", p.Server)
	ipoe := addr("plan.ipoe_router", p.IPoERouter)
	pppoe := addr("plan.pppoe_router", p.PPPoERouter)
	if server.IsValid() && (server == ipoe || server == pppoe) {
		k.errorT("plan.server", msg.T("%s is also a router's address: each device needs its own", "%s はルータのアドレスと同じです。機器ごとに別のアドレスが必要です", server))
	}
	if ipoe.IsValid() && ipoe == pppoe {
		k.errorT("plan.pppoe_router", msg.T("%s is also plan.ipoe_router: two routers cannot share an address", "%s は plan.ipoe_router と同じです。2台のルータで同じアドレスは使えません", pppoe))
	}
	if p.Mode == "two-routers" && p.PPPoERouter == "" {
		k.errorT("plan.pppoe_router", msg.T("missing: two-routers mode needs the PPPoE router's LAN address", "ありません。two-routers の構成には PPPoE ルータの LAN アドレスが必要です"))
	}
	if p.DHCPRange != "" {
		a, b, ok := strings.Cut(p.DHCPRange, "-")
		lo, err1 := netip.ParseAddr(strings.TrimSpace(a))
		hi, err2 := netip.ParseAddr(strings.TrimSpace(b))
		switch {
		case !ok || err1 != nil || err2 != nil || !lo.Is4() || !hi.Is4() || hi.Less(lo):
			k.errorT("plan.dhcp_range", msg.T("%q is not a range like 192.168.1.100-192.168.1.200", "%q は範囲（例 192.168.1.100-192.168.1.200）ではありません", p.DHCPRange))
		case subnet.IsValid() && (!subnet.Contains(lo) || !subnet.Contains(hi)):
			k.errorT("plan.dhcp_range", msg.T("%s is not inside plan.subnet %s", "%s は plan.subnet %s の中にありません", p.DHCPRange, subnet))
		default:
			for _, s := range []struct {
				key string
				a   netip.Addr
			}{{"plan.server", server}, {"plan.ipoe_router", ipoe}, {"plan.pppoe_router", pppoe}} {
				if s.a.IsValid() && !s.a.Less(lo) && !hi.Less(s.a) {
					k.errorT("plan.dhcp_range", msg.T("%s contains %s (%s): static addresses must be outside the DHCP range", "%s に %s（%s）が含まれています。固定アドレスは DHCP の範囲の外にしてください", p.DHCPRange, s.a, s.key))
				}
			}
		}
	}
	if p.IPv6Gateway != "" {
		a, err := netip.ParseAddr(p.IPv6Gateway)
		if err != nil || !a.Is6() || a.Is4In6() {
			k.errorT("plan.ipv6_gateway", msg.T("%q is not an IPv6 address like fe80::1", "%q は IPv6 アドレス（例 fe80::1）ではありません", p.IPv6Gateway))
		}
	}
}
