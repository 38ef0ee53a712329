package config

import (
	"github.com/dualpath/dualpath/internal/msg"

	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Tunnel is a fixed-IP IPv4-over-IPv6 service (v6プラス固定IP, transix
// 固定IP, Xpass 固定IP, OCX光): the provider routes a fixed IPv4 address
// or block through an IPv4-in-IPv6 tunnel (RFC 2473) between the server's
// IPv6 address (the line's /64 plus an interface ID the provider assigns)
// and its border relay. Exclusive with PPPoE.
type Tunnel struct {
	Kind        string        `yaml:"kind"`         // ipip6 (the only kind)
	BR          string        `yaml:"br"`           // the border relay's IPv6 address
	InterfaceID string        `yaml:"interface_id"` // the low 64 bits (00c6:3364:7b00:0000 or ::c6:3364:7b00:0), or a whole IPv6 address
	IPv4        string        `yaml:"ipv4"`         // 203.0.113.7 or a block like 203.0.113.8/29
	MTU         int           `yaml:"mtu"`          // default 1460
	TUN         string        `yaml:"tun"`          // default dp-ipip0
	Table       int           `yaml:"table"`        // policy routing table, default 4242
	Update      *TunnelUpdate `yaml:"update"`       // the provider's address-update URL, optional
}

// TunnelUpdate is the provider's HTTP(S) URL to call when the line's IPv6
// prefix (and so the tunnel's end point) changes. In URLTemplate,
// {ipv6} becomes the new local address, {ipv4} the fixed address,
// {username} and {password} the credentials (URL-escaped); the password
// is read from PasswordFile and never logged.
type TunnelUpdate struct {
	URLTemplate  string `yaml:"url_template"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// Defaults and limits of the tunnel section (the one owner: the daemon
// and lab import them).
const (
	// TunnelKindIPIP6 is IPv4-in-IPv6, RFC 2473 (Yamaha's "ipip").
	TunnelKindIPIP6 = "ipip6"
	// DefaultTunnelMTU is the IPv4 MTU over a 1500-byte IPv6 line: 1500
	// minus the 40-byte IPv6 header; every provider page found gives it.
	DefaultTunnelMTU = 1460
	// MaxTunnelMTU: the NGN's IPv6 MTU is 1500.
	MaxTunnelMTU = 1460
	// MinTunnelMTU is the least IPv4 datagram every host must accept.
	MinTunnelMTU = 576
	// DefaultTunnelTUN names the tunnel's TUN device.
	DefaultTunnelTUN = "dp-ipip0"
	// DefaultTunnelTable is the policy routing table of the fixed
	// address(es), the same number the PPPoE section uses.
	DefaultTunnelTable = 4242
	// MinTunnelPrefixLen bounds the IPv4 block (a /24 is 256 rules).
	MinTunnelPrefixLen = 24
)

// Placeholders of TunnelUpdate.URLTemplate.
var tunnelPlaceholders = []string{"{ipv6}", "{ipv4}", "{username}", "{password}"}

func (t *Tunnel) applyDefaults() {
	if t.Kind == "" {
		t.Kind = TunnelKindIPIP6
	}
	if t.MTU == 0 {
		t.MTU = DefaultTunnelMTU
	}
	if t.TUN == "" {
		t.TUN = DefaultTunnelTUN
	}
	if t.Table == 0 {
		t.Table = DefaultTunnelTable
	}
}

// IPv4Block is the fixed address (as a /32) or block. Valid after
// Validate.
func (t *Tunnel) IPv4Block() netip.Prefix {
	p, _ := parseIPv4Block(t.IPv4)
	return p
}

// BRAddr is the border relay's address. Valid after Validate.
func (t *Tunnel) BRAddr() netip.Addr {
	a, _ := netip.ParseAddr(strings.TrimSpace(t.BR))
	return a
}

// Endpoint returns the tunnel's local IPv6 address: the interface ID on
// the /64 of prefix, or the whole address interface_id names (then prefix
// does not matter and fixed is true). Valid after Validate.
func (t *Tunnel) Endpoint(prefix netip.Prefix) (addr netip.Addr, fixed bool) {
	iid, full, err := parseInterfaceID(t.InterfaceID)
	if err != nil {
		return netip.Addr{}, false
	}
	if full.IsValid() {
		return full, true
	}
	if !prefix.IsValid() || !prefix.Addr().Is6() {
		return netip.Addr{}, false
	}
	b := prefix.Masked().Addr().As16()
	copy(b[8:], iid[:])
	return netip.AddrFrom16(b), false
}

// UpdatePassword reads the update password (empty when there is none).
func (t *Tunnel) UpdatePassword() (string, error) {
	if t.Update == nil || t.Update.PasswordFile == "" {
		return "", nil
	}
	return ReadSecret(t.Update.PasswordFile)
}

// UpdateURL fills the template for the local address local. The result
// holds the password: never log it (RedactedUpdateURL is for messages).
func (t *Tunnel) UpdateURL(local netip.Addr, password string) string {
	if t.Update == nil {
		return ""
	}
	return strings.NewReplacer(
		"{ipv6}", url.QueryEscape(local.String()),
		"{ipv4}", url.QueryEscape(t.IPv4Block().Addr().String()),
		"{username}", url.QueryEscape(t.Update.Username),
		"{password}", url.QueryEscape(password),
	).Replace(t.Update.URLTemplate)
}

// RedactedUpdateURL is UpdateURL with the password shown as "xxxxx".
func (t *Tunnel) RedactedUpdateURL(local netip.Addr) string { return t.UpdateURL(local, "xxxxx") }

// parseIPv4Block reads "203.0.113.7" (a /32) or "203.0.113.8/29".
func parseIPv4Block(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address or block like 203.0.113.7 or 203.0.113.8/29", s)
		}
		return netip.PrefixFrom(a, 32), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address or block like 203.0.113.7 or 203.0.113.8/29", s)
	}
	if p.Bits() < MinTunnelPrefixLen {
		return netip.Prefix{}, fmt.Errorf("%s is larger than a /%d: fixed-IP services give one address or a small block", p, MinTunnelPrefixLen)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%s does not start the block: write %s", p, p.Masked())
	}
	return p, nil
}

// parseInterfaceID reads the provider's interface ID: four groups
// ("00c6:3364:7b00:0000", as OCX writes it), an IPv6 address whose upper
// 64 bits are zero ("::c6:3364:7b00:0"), or a whole address (returned as
// full).
func parseInterfaceID(s string) (iid [8]byte, full netip.Addr, err error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not an interface ID like 00c6:3364:7b00:0000 (the low 64 bits your provider gave you) or a whole IPv6 address", s)
	if s == "" {
		return iid, full, bad
	}
	if g := strings.Split(s, ":"); len(g) == 4 && !strings.Contains(s, "::") {
		a, perr := netip.ParseAddr("::" + s)
		if perr != nil {
			return iid, full, bad
		}
		b := a.As16()
		copy(iid[:], b[8:])
		return iid, full, nil
	}
	a, perr := netip.ParseAddr(s)
	if perr != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
		return iid, full, bad
	}
	b := a.As16()
	if [8]byte(b[:8]) == ([8]byte{}) {
		copy(iid[:], b[8:])
		if iid == ([8]byte{}) {
			return iid, full, bad
		}
		return iid, full, nil
	}
	if !a.IsGlobalUnicast() {
		return iid, full, fmt.Errorf("%s is not a global IPv6 address", a)
	}
	return iid, a, nil
}

func (k *checker) tunnel(t *Tunnel) {
	if k.c.PPPoE != nil {
		k.errorf("tunnel", "pppoe and tunnel are both set: dualpath runs one inbound IPv4 path at a time; remove one of the sections")

	}
	if t.Kind != TunnelKindIPIP6 {
		k.errorf("tunnel.kind", "%q is not a tunnel kind: use ipip6 (IPv4-in-IPv6, RFC 2473)", t.Kind)

	}
	if strings.TrimSpace(t.BR) == "" {
		k.errorf("tunnel.br", "missing: the border relay's IPv6 address from your provider's notice (BR, トンネル終端アドレス)")

	} else if a, err := netip.ParseAddr(strings.TrimSpace(t.BR)); err != nil || !a.Is6() || a.Is4In6() || !a.IsGlobalUnicast() {
		k.errorf("tunnel.br", "%q is not a global IPv6 address like 2001:db8::1", t.BR)

	}
	if strings.TrimSpace(t.InterfaceID) == "" {
		k.errorf("tunnel.interface_id", "missing: the interface ID (IFID, インターフェースID) from your provider's notice, e.g. 00c6:3364:7b00:0000")

	} else if _, _, err := parseInterfaceID(t.InterfaceID); err != nil {
		k.errorf("tunnel.interface_id", "%v", err)

	}
	if strings.TrimSpace(t.IPv4) == "" {
		k.errorf("tunnel.ipv4", "missing: the fixed IPv4 address (or block, e.g. 203.0.113.8/29) your provider assigned")

	} else if _, err := parseIPv4Block(t.IPv4); err != nil {
		k.errorf("tunnel.ipv4", "%v", err)

	}
	switch {
	case t.MTU > MaxTunnelMTU:
		k.errorf("tunnel.mtu", "%d is larger than %d (a 1500-byte IPv6 line minus the 40-byte IPv6 header)", t.MTU, MaxTunnelMTU)

	case t.MTU < MinTunnelMTU:
		k.errorf("tunnel.mtu", "%d is smaller than %d, the least every IPv4 host must accept; use %d", t.MTU, MinTunnelMTU, DefaultTunnelMTU)

	}
	k.ifname("tunnel.tun", t.TUN, true)
	if t.TUN != "" && t.TUN == k.c.Interface {
		k.errorf("tunnel.tun", "%q is the LAN interface: the TUN device needs its own name, e.g. %s", t.TUN, DefaultTunnelTUN)

	}
	switch {
	case t.Table == 253 || t.Table == 254 || t.Table == 255:
		k.errorf("tunnel.table", "%d is reserved by Linux (253 default, 254 main, 255 local): pick a free number such as %d", t.Table, DefaultTunnelTable)

	case t.Table < 1 || t.Table > 0x7fffffff:
		k.errorT("tunnel.table", msg.T("%d is not a routing table number (1-2147483647, not 253-255)", "%d は経路表の番号ではありません（1〜2147483647、253〜255 を除く）", t.Table))
	}
	if u := t.Update; u != nil {
		tpl := strings.TrimSpace(u.URLTemplate)
		if tpl == "" {
			k.errorf("tunnel.update.url_template", "missing: the update URL from your provider's notice, with {ipv6}, {username}, {password} where the values go")

		} else {
			probe := tpl
			for _, p := range tunnelPlaceholders {
				probe = strings.ReplaceAll(probe, p, "x")
			}
			if strings.ContainsAny(probe, "{}") {
				k.errorf("tunnel.update.url_template", "unknown placeholder in %q: use {ipv6}, {ipv4}, {username} and {password}", tpl)

			} else {
				k.httpURL("tunnel.update.url_template", probe)
			}
			if strings.Contains(tpl, "{password}") && u.PasswordFile == "" {
				k.errorf("tunnel.update.password_file", "missing: the template uses {password}; name a file holding it (mode 0600)")

			}
		}
		if u.PasswordFile != "" {
			k.secret("tunnel.update.password_file", u.PasswordFile)
		}
		if strings.ContainsAny(u.Username, "\r\n") {
			k.errorT("tunnel.update.username", msg.T("contains a line break", "改行が含まれています"))
		}
	}
}
