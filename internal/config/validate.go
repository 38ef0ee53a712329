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

func (c *Config) validate(opts validateOpts) error {
	k := &checker{c: c, opts: opts}
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
			k.errorf("status.group", "group %q does not exist: create it with groupadd %s, or remove the key (then only root and the daemon's user can read status)", g, g)
		}
	}
	k.metrics()
	switch c.Log.Format {
	case "", "text", "json":
	default:
		k.errorf("log.format", "%q is not a log format: use text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		k.errorf("log.level", "%q is not a log level: use debug, info, warn or error", c.Log.Level)
	}
	if c.Plan != nil {
		k.plan(c.Plan)
	}
	k.check()
	return k.errs.asError()
}

// ifname checks a Linux interface name (IFNAMSIZ is 16 with the NUL).
func (k *checker) ifname(key, name string, required bool) {
	switch {
	case name == "":
		if required {
			k.errorf(key, "missing: name the server's LAN interface (see `ip link`), e.g. enp1s0")
		}
	case len(name) > 15:
		k.errorf(key, "%q is longer than 15 characters, the Linux limit for interface names", name)
	case !validIfname(name):
		k.errorf(key, "%q is not a valid interface name", name)
	}
}

func (k *checker) pppoe(p *PPPoE) {
	if strings.TrimSpace(p.Username) == "" {
		k.errorf("pppoe.username", "missing: the PPPoE user name from your ISP (e.g. user@example.ne.jp)")
	} else if strings.ContainsAny(p.Username, "\r\n") {
		k.errorf("pppoe.username", "contains a line break")
	}
	env := ""
	if k.opts.getenv != nil {
		env = k.opts.getenv(EnvPPPoEPassword)
	}
	switch {
	case p.PasswordFile == "" && env == "":
		k.errorf("pppoe.password_file", "missing: name a file holding the PPPoE password (mode 0600), or set %s", EnvPPPoEPassword)
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
				k.errorf(key, "0 is not a port number (1-65535)")
			} else if seen[p] {
				k.errorf(key, "port %d is listed twice", p)
			}
			seen[p] = true
		}
	}
	if k.c.PPPoE == nil && k.c.Tunnel == nil && (len(e.TCP) > 0 || len(e.UDP) > 0) && (k.c.Plan == nil || k.c.Plan.Mode != "two-routers") {
		k.errorf("expose", "ports are listed but there is no pppoe or tunnel section: expose applies to the PPPoE or fixed tunnel address; add one of them")
	}
}

func (k *checker) ddns(i int, d *DDNSRecord) {
	at := func(key string) string { return fmt.Sprintf("ddns[%d].%s", i, key) }
	known := false
	for _, p := range Providers {
		known = known || d.Provider == p
	}
	if d.Provider == "" {
		k.errorf(at("provider"), "missing: use one of %s", strings.Join(Providers, ", "))
	} else if !known {
		k.errorf(at("provider"), "unknown provider %q: use one of %s", d.Provider, strings.Join(Providers, ", "))
	}
	v4 := k.source(at("ipv4"), d.IPv4, false)
	v6 := k.source(at("ipv6"), d.IPv6, true)
	if !v4 && !v6 && d.IPv4 == "" && d.IPv6 == "" {
		k.errorf(at("ipv4"), "the record publishes no address: set ipv4 and/or ipv6 (pppoe, interface:NAME, http:URL, static:ADDR, seen)")
	}
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
			k.errorf(at("ipv6_suffix"), "%q is not an IPv6 host part like ::10", d.IPv6Suffix)
		}
	}
	if d.TTL < 0 || d.TTL > 604800 {
		k.errorf(at("ttl"), "%d is out of range: use 0-604800 seconds (0 means the provider's default)", d.TTL)
	}
	if d.Interval < time.Minute {
		k.errorf(at("interval"), "%s is too short: providers block clients that poll this often; use at least 1m (5m is the default)", d.Interval)
	}
	if d.Keepalive < 0 || d.Keepalive > 0 && d.Keepalive < time.Hour {
		k.errorf(at("keepalive"), "%s is out of range: use at least 1h (MyDNS needs 24h or less), or leave it out", d.Keepalive)
	}
	for _, u := range []struct{ key, v string }{{"base_url", d.BaseURL}, {"ipv4_url", d.IPv4URL}, {"ipv6_url", d.IPv6URL}, {"echo_url", d.EchoURL}} {
		if u.v != "" {
			k.httpURL(at(u.key), u.v)
		}
	}
	if d.Server != "" {
		if _, port, err := net.SplitHostPort(d.Server); err != nil || port == "" {
			k.errorf(at("server"), "%q is not host:port, e.g. 192.0.2.53:53", d.Server)
		}
	}
}

// source checks an address source; it returns whether one is set (not none).
func (k *checker) source(key, s string, v6 bool) bool {
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "", "none":
		return false
	case "pppoe":
		if v6 {
			k.errorf(key, "pppoe gives only IPv4 here: use interface:NAME for the AAAA record")
		} else if k.c.PPPoE == nil {
			k.errorf(key, "pppoe needs a pppoe section in this file")
		}
	case "tunnel":
		if v6 {
			k.errorf(key, "tunnel gives only IPv4 (the fixed address): use interface:NAME for the AAAA record")
		} else if k.c.Tunnel == nil {
			k.errorf(key, "tunnel needs a tunnel section in this file")
		}
	case "interface":
		k.ifname(key, arg, true)
	case "seen":
		if arg != "" {
			k.ifname(key, arg, true)
		}
	case "http":
		k.httpURL(key, arg)
	case "static":
		a, err := netip.ParseAddr(arg)
		if err != nil || a.Is4() == v6 || a.Is4In6() {
			fam := "IPv4"
			if v6 {
				fam = "IPv6"
			}
			k.errorf(key, "%q is not an %s address", arg, fam)
		}
	default:
		k.errorf(key, "%q is not an address source: use pppoe, tunnel, interface:NAME, http:URL, static:ADDR, seen or none", s)
	}
	return true
}

func (k *checker) httpURL(key, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		k.errorf(key, "%q is not an http:// or https:// URL", s)
	}
}

func (k *checker) prefix6(key, s string) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is6() {
		k.errorf(key, "%q is not an IPv6 prefix like 2001:db8:12:3400::/56", s)
	}
}

func (k *checker) secret(key, path string) {
	if !filepath.IsAbs(path) {
		k.errorf(key, "%q is not an absolute path: write it in full, e.g. /etc/dualpath/%s", path, filepath.Base(path))
		return
	}
	if !k.opts.host {
		return
	}
	if err := CheckSecretFile(path); err != nil {
		k.errorf(key, "%v", err)
	}
}

func (k *checker) absPath(key, path string) {
	if !filepath.IsAbs(path) {
		k.errorf(key, "%q is not an absolute path", path)
	}
}

func (k *checker) metrics() {
	m := k.c.Metrics
	if m.Listen == "off" {
		return
	}
	host, port, err := net.SplitHostPort(m.Listen)
	if err != nil {
		k.errorf("metrics.listen", "%q is not host:port (e.g. 127.0.0.1:9842) or off", m.Listen)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		k.errorf("metrics.listen", "%q has no valid port (1-65535)", m.Listen)
		return
	}
	if !m.AllowRemote && !IsLoopbackHost(host) {
		k.errorf("metrics.listen", "%s is not a loopback address and the metrics show your session address and traffic: use 127.0.0.1:%s, or set metrics.allow_remote: true", m.Listen, port)
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
		k.errorf("plan.mode", "missing: use server-pppoe or two-routers")
	default:
		k.errorf("plan.mode", "%q is not a mode: use server-pppoe or two-routers", p.Mode)
	}
	var subnet netip.Prefix
	if p.Subnet != "" {
		s, err := netip.ParsePrefix(p.Subnet)
		if err != nil || !s.Addr().Is4() {
			k.errorf("plan.subnet", "%q is not an IPv4 subnet like 192.168.1.0/24", p.Subnet)
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
			k.errorf(key, "%q is not an IPv4 address", v)
			return netip.Addr{}
		}
		if subnet.IsValid() && !subnet.Contains(a) {
			k.errorf(key, "%s is outside plan.subnet %s", a, subnet)
		}
		return a
	}
	server := addr("plan.server", p.Server)
	ipoe := addr("plan.ipoe_router", p.IPoERouter)
	pppoe := addr("plan.pppoe_router", p.PPPoERouter)
	if server.IsValid() && (server == ipoe || server == pppoe) {
		k.errorf("plan.server", "%s is also a router's address: each device needs its own", server)
	}
	if ipoe.IsValid() && ipoe == pppoe {
		k.errorf("plan.pppoe_router", "%s is also plan.ipoe_router: two routers cannot share an address", pppoe)
	}
	if p.Mode == "two-routers" && p.PPPoERouter == "" {
		k.errorf("plan.pppoe_router", "missing: two-routers mode needs the PPPoE router's LAN address")
	}
	if p.DHCPRange != "" {
		a, b, ok := strings.Cut(p.DHCPRange, "-")
		lo, err1 := netip.ParseAddr(strings.TrimSpace(a))
		hi, err2 := netip.ParseAddr(strings.TrimSpace(b))
		switch {
		case !ok || err1 != nil || err2 != nil || !lo.Is4() || !hi.Is4() || hi.Less(lo):
			k.errorf("plan.dhcp_range", "%q is not a range like 192.168.1.100-192.168.1.200", p.DHCPRange)
		case subnet.IsValid() && (!subnet.Contains(lo) || !subnet.Contains(hi)):
			k.errorf("plan.dhcp_range", "%s is not inside plan.subnet %s", p.DHCPRange, subnet)
		default:
			for _, s := range []struct {
				key string
				a   netip.Addr
			}{{"plan.server", server}, {"plan.ipoe_router", ipoe}, {"plan.pppoe_router", pppoe}} {
				if s.a.IsValid() && !s.a.Less(lo) && !hi.Less(s.a) {
					k.errorf("plan.dhcp_range", "%s contains %s (%s): static addresses must be outside the DHCP range", p.DHCPRange, s.a, s.key)
				}
			}
		}
	}
	if p.IPv6Gateway != "" {
		a, err := netip.ParseAddr(p.IPv6Gateway)
		if err != nil || !a.Is6() || a.Is4In6() {
			k.errorf("plan.ipv6_gateway", "%q is not an IPv6 address like fe80::1", p.IPv6Gateway)
		}
	}
}
