package config

import (
	"net/netip"
	"strings"
	"testing"
)

// goodTunnel is a fixed-IP config as an OCX光 or transix 固定IP customer
// writes it from the provider's notice (documentation addresses).
const goodTunnel = `interface: enp1s0
tunnel:
  kind: ipip6
  br: 2001:db8:ffff::1
  interface_id: 00c6:3364:7b00:0000
  ipv4: 203.0.113.8/29
  update:
    url_template: https://update.example.jp/update?user={username}&pass={password}&ip6={ipv6}
    username: fixed-user
    password_file: PASS
expose:
  tcp: [80, 443]
ddns:
  - provider: mydns
    username: mydns123456
    password_file: MYDNS
    ipv4: tunnel
    ipv6: interface:enp1s0
`

func TestTunnelConfig(t *testing.T) {
	s := writeSecrets(t)
	c, err := Parse("dualpath.yaml", []byte(s.fill(goodTunnel)))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateEnv(c, nil); err != nil {
		t.Fatal(err)
	}
	tn := c.Tunnel
	if tn.MTU != DefaultTunnelMTU || tn.TUN != DefaultTunnelTUN || tn.Table != DefaultTunnelTable {
		t.Errorf("defaults: %+v", tn)
	}
	if got := tn.IPv4Block(); got != netip.MustParsePrefix("203.0.113.8/29") {
		t.Errorf("block %v", got)
	}
	// OCX's own example: prefix 2001:db8:1000:2000::/56 + IFID
	// 00c6:3364:7b00:0000 -> 2001:db8:1000:2000:c6:3364:7b00:0.
	local, fixed := tn.Endpoint(netip.MustParsePrefix("2001:db8:1000:2000::/56"))
	if fixed || local != netip.MustParseAddr("2001:db8:1000:2000:c6:3364:7b00:0") {
		t.Errorf("endpoint %v fixed=%v", local, fixed)
	}
	u := tn.UpdateURL(local, "p&ss word")
	if u != "https://update.example.jp/update?user=fixed-user&pass=p%26ss+word&ip6=2001%3Adb8%3A1000%3A2000%3Ac6%3A3364%3A7b00%3A0" {
		t.Errorf("update URL %s", u)
	}
	if r := tn.RedactedUpdateURL(local); strings.Contains(r, "ss+word") || !strings.Contains(r, "pass=xxxxx") {
		t.Errorf("redacted %s", r)
	}
	if pw, err := tn.UpdatePassword(); err != nil || pw != "s3cret-pppoe.pass" {
		t.Errorf("password %q, %v", pw, err)
	}
}

func TestTunnelInterfaceIDForms(t *testing.T) {
	p := netip.MustParsePrefix("2001:db8:1:2::/64")
	for in, want := range map[string]string{
		"00c6:3364:7b00:0000":    "2001:db8:1:2:c6:3364:7b00:0",
		"::c6:3364:7b00:0":       "2001:db8:1:2:c6:3364:7b00:0",
		"::1":                    "2001:db8:1:2::1",
		"2001:db8:9:9::abc":      "2001:db8:9:9::abc", // whole address: fixed
		" 00c6:3364:7b00:0000 ":  "2001:db8:1:2:c6:3364:7b00:0",
		"0000:0000:0000:0000:01": "",
	} {
		c := &Tunnel{InterfaceID: in}
		got, _ := c.Endpoint(p)
		if want == "" {
			if got.IsValid() {
				t.Errorf("%q: %v, want refused", in, got)
			}
			continue
		}
		if got != netip.MustParseAddr(want) {
			t.Errorf("%q: %v, want %s", in, got, want)
		}
	}
}

func TestTunnelConfigErrors(t *testing.T) {
	s := writeSecrets(t)
	rep := func(old, new string) func(string) string {
		return func(y string) string {
			if !strings.Contains(y, old) {
				t.Fatalf("test edit: %q not in config", old)
			}
			return strings.Replace(y, old, new, 1)
		}
	}
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"with pppoe", rep("tunnel:\n", "pppoe:\n  username: u\n  password_file: PASS\ntunnel:\n"),
			`dualpath.yaml:5:1: tunnel: pppoe and tunnel are both set: dualpath runs one inbound IPv4 path at a time; remove one of the sections`},
		{"kind", rep("kind: ipip6", "kind: gre"),
			`dualpath.yaml:3:3: tunnel.kind: "gre" is not a tunnel kind: use ipip6 (IPv4-in-IPv6, RFC 2473)`},
		{"BR not IPv6", rep("br: 2001:db8:ffff::1", "br: 192.0.2.1"),
			`dualpath.yaml:4:3: tunnel.br: "192.0.2.1" is not a global IPv6 address like 2001:db8::1`},
		{"no BR", rep("  br: 2001:db8:ffff::1\n", ""),
			`dualpath.yaml:2:1: tunnel.br: missing: the border relay's IPv6 address from your provider's notice (BR, トンネル終端アドレス)`},
		{"interface ID", rep("interface_id: 00c6:3364:7b00:0000", "interface_id: c6-3364"),
			`dualpath.yaml:5:3: tunnel.interface_id: "c6-3364" is not an interface ID like 00c6:3364:7b00:0000 (the low 64 bits your provider gave you) or a whole IPv6 address`},
		{"block not at its start", rep("ipv4: 203.0.113.8/29", "ipv4: 203.0.113.9/29"),
			`dualpath.yaml:6:3: tunnel.ipv4: 203.0.113.9/29 does not start the block: write 203.0.113.8/29`},
		{"block too large", rep("ipv4: 203.0.113.8/29", "ipv4: 203.0.0.0/16"),
			`dualpath.yaml:6:3: tunnel.ipv4: 203.0.0.0/16 is larger than a /24: fixed-IP services give one address or a small block`},
		{"MTU", rep("ipv4: 203.0.113.8/29\n", "ipv4: 203.0.113.8/29\n  mtu: 1500\n"),
			`dualpath.yaml:7:3: tunnel.mtu: 1500 is larger than 1460 (a 1500-byte IPv6 line minus the 40-byte IPv6 header)`},
		{"placeholder", rep("ip6={ipv6}", "ip6={addr}"),
			`dualpath.yaml:8:5: tunnel.update.url_template: unknown placeholder in "https://update.example.jp/update?user={username}&pass={password}&ip6={addr}": use {ipv6}, {ipv4}, {username} and {password}`},
		{"password needed", rep("    password_file: PASS\nexpose", "expose"),
			`dualpath.yaml:7:3: tunnel.update.password_file: missing: the template uses {password}; name a file holding it (mode 0600)`},
		{"tunnel as an IPv6 source", rep("ipv6: interface:enp1s0", "ipv6: tunnel"),
			`dualpath.yaml:18:5: ddns[0].ipv6: tunnel gives only IPv4 (the fixed address): use interface:NAME for the AAAA record`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("dualpath.yaml", []byte(s.fill(tt.edit(goodTunnel))))
			if err == nil {
				err = validateEnv(c, nil)
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
	// without a tunnel section, the tunnel source is refused
	y := s.fill(strings.Replace(goodTunnel, goodTunnel[strings.Index(goodTunnel, "tunnel:"):strings.Index(goodTunnel, "expose:")], "", 1))
	c, err := Parse("dualpath.yaml", []byte(y))
	if err == nil {
		err = validateEnv(c, nil)
	}
	if err == nil || !strings.Contains(err.Error(), "ddns[0].ipv4: tunnel needs a tunnel section in this file") {
		t.Errorf("tunnel source without a section: %v", err)
	}
}
