package mape

import (
	"net/netip"
	"testing"
)

// lineOf is the line of addr under rule (both as text).
func lineOf(t *testing.T, rule, addr string) Line {
	t.Helper()
	r, err := ParseRule(rule)
	if err != nil {
		t.Fatal(err)
	}
	l, err := r.Line(netip.MustParseAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const v6plus = "240b:10::/32,106.72.0.0/16,24,4" // v6プラス: 240 ports in 15 ranges

func TestWebVerdict(t *testing.T) {
	l := lineOf(t, v6plus, "240b:10:1234:5600::")
	if v := l.Web(); v.HTTP || v.HTTPS || v.Both() || v.Ranges != 15 || v.Instead != l.PortRanges()[0] {
		t.Errorf("shared line: %+v, want neither port, the first of 15 ranges %v", v, l.PortRanges()[0])
	}
	// A /32 per line (the EA bits are the 8 IPv4 bits): nothing shared.
	if v := lineOf(t, "2001:db8::/32,192.0.2.0/24,8,0", "2001:db8:700::").Web(); !v.Both() || v.Ranges != 0 {
		t.Errorf("unshared line: %+v, want both", v)
	}
	// PSID offset 0, PSID 0 of 4 bits: ports 0-4095, 80 and 443 among them.
	if v := lineOf(t, "2001:db8::/32,198.51.100.0/24,12,0", "2001:db8::").Web(); !v.Both() {
		t.Errorf("PSID 0 of offset 0 (ports 0-4095): %+v, want both", v)
	}
}

func TestNearestRange(t *testing.T) {
	l := lineOf(t, v6plus, "240b:10:1234:5600::")
	rs := l.PortRanges() // 5472-5487 9568-9583 ...
	for _, tc := range []struct {
		p    uint16
		want PortRange
	}{
		{80, rs[0]}, {5472, rs[0]}, {5480, rs[0]}, {7000, rs[0]}, {8000, rs[1]}, {9570, rs[1]}, {65535, rs[len(rs)-1]},
	} {
		if got, ok := l.NearestRange(tc.p); !ok || got != tc.want {
			t.Errorf("NearestRange(%d) = %v %v, want %v", tc.p, got, ok, tc.want)
		}
	}
}

func TestLineOf(t *testing.T) {
	tab := Builtin()
	addrs := []netip.Addr{
		netip.MustParseAddr("fe80::1"),              // link-local
		netip.MustParseAddr("fd00::1"),              // ULA
		netip.MustParseAddr("::ffff:192.0.2.1"),     // IPv4-mapped
		netip.MustParseAddr("2001:db8::1"),          // global, no rule
		netip.MustParseAddr("240b:10:1234:5600::1"), // v6プラス
		netip.MustParseAddr("240b:10:9999:9900::1"), // later: not chosen
	}
	l, a, ok := tab.LineOf(addrs)
	if !ok || a != addrs[4] || l.EndUserPrefix != netip.MustParsePrefix("240b:10:1234:5600::/56") {
		t.Errorf("LineOf = %v %v %v", l.EndUserPrefix, a, ok)
	}
	if _, _, ok := tab.LineOf(addrs[:4]); ok {
		t.Error("LineOf found a line without a covered global address")
	}
	for i, want := range []bool{false, false, false, true, true, true} {
		if IsGlobalIPv6(addrs[i]) != want {
			t.Errorf("IsGlobalIPv6(%v) = %v", addrs[i], !want)
		}
	}
}
