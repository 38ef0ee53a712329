package mape

import (
	"net/netip"
	"testing"
)

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		"240b:10::/32,106.72.0.0/16,24,4,2404:9200:225:100::64",
		"2400:4050::/34,153.240.0.0/16,22,6",
		"2001:db8::/40,192.0.2.0/24,16,6",
		"2001:db8:12:3400::/56,192.0.2.18/32,0,6",
		"2001:db8::/48,198.51.100.0/24,4,0",
		",,,",
		"2001:db8::/40,192.0.2.0/24,16,6,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRule(%q) returned an invalid rule: %v", s, err)
		}
		back, err := ParseRule(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRule(%q) = %+v; its String %q parses to %+v, %v", s, r, r.String(), back, err)
		}
	})
}

func FuzzParsePrefixOrAddress(f *testing.F) {
	for _, s := range []string{
		"2400:4050:1234:5600::/56",
		"240b:10:1234:5600::/64",
		"2404:7a82:1234:5678:1:2:3:4",
		"fe80::1%eth0",
		"192.0.2.1",
		"2400::/129",
		"::ffff:1.2.3.4/128",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseEndUser(s)
		a, err2 := ParsePrefixOrAddress(s)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseEndUser and ParsePrefixOrAddress disagree on %q: %v / %v", s, err, err2)
		}
		if err != nil {
			return
		}
		if !a.Is6() || a.Is4In6() || a.Zone() != "" || a != p.Addr() {
			t.Fatalf("%q: address %s, prefix %s", s, a, p)
		}
		if r, ok := Builtin().Lookup(a); ok {
			if _, err := r.Line(a); err != nil {
				t.Fatalf("%q: rule %s matched but Line failed: %v", s, r, err)
			}
		}
	})
}

// FuzzLine drives the rule math with arbitrary parameters: it must never
// panic, and what it returns must be consistent.
func FuzzLine(f *testing.F) {
	f.Add([]byte{0x24, 0x0b, 0, 0x10, 0x12, 0x34, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 32, []byte{106, 72, 0, 0}, 16, 24, 4, uint16(5480), byte(0))
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 40, []byte{192, 0, 2, 0}, 24, 16, 6, uint16(1232), byte(1))
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 56, []byte{192, 0, 2, 18}, 32, 0, 6, uint16(80), byte(1))
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 48, []byte{198, 51, 100, 0}, 24, 4, 0, uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, v6 []byte, n int, v4 []byte, r, o, a int, port uint16, iid byte) {
		if len(v6) < 16 || len(v4) < 4 {
			return
		}
		addr := netip.AddrFrom16([16]byte(v6[:16]))
		p6, err := addr.Prefix(n)
		if err != nil {
			return
		}
		p4, err := netip.AddrFrom4([4]byte(v4[:4])).Prefix(r)
		if err != nil {
			return
		}
		rule := Rule{IPv6Prefix: p6, IPv4Prefix: p4, EALen: o, PSIDOffset: a, IID: IIDFormat(iid % 3)}
		_, _ = rule.PSIDOf(port)
		l, err := rule.Line(addr)
		if err != nil {
			if rule.Validate() == nil {
				t.Fatalf("valid rule %s: Line(%s): %v", rule, addr, err)
			}
			return
		}
		sum := 0
		for _, pr := range l.PortRanges() {
			if pr.Last < pr.First {
				t.Fatalf("%s: range %v", rule, pr)
			}
			sum += int(pr.Last-pr.First) + 1
		}
		if sum != l.PortCount() {
			t.Fatalf("%s: ranges hold %d ports, PortCount %d", rule, sum, l.PortCount())
		}
		if l.HasPort(port) {
			back, err := rule.LineFor(l.IPv4, port)
			if err != nil || back != l {
				t.Fatalf("%s: LineFor(%s, %d) = %+v, %v; want %+v", rule, l.IPv4, port, back, err, l)
			}
		} else if _, err := rule.LineFor(l.IPv4, port); err == nil && l.Shared() {
			// Another PSID's port: the BR finds another line of the
			// same IPv4 address.
			if back, _ := rule.LineFor(l.IPv4, port); back.IPv4 != l.IPv4 || back.PSID == l.PSID {
				t.Fatalf("%s: LineFor(%s, %d) = %+v", rule, l.IPv4, port, back)
			}
		}
	})
}
