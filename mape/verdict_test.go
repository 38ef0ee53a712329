package mape

import (
	"net/netip"
	"testing"
)

func TestWebVerdict(t *testing.T) {
	r, err := ParseRule("240b:10::/32,106.72.0.0/16,24,4")
	if err != nil {
		t.Fatal(err)
	}
	l, err := r.Line(netip.MustParseAddr("240b:10:1234:5600::"))
	if err != nil {
		t.Fatal(err)
	}
	v := l.Web()
	if v.HTTP || v.HTTPS || v.Both() || v.Ranges != 15 || v.Instead != l.PortRanges()[0] {
		t.Errorf("shared line: %+v, want neither port, the first of 15 ranges %v", v, l.PortRanges()[0])
	}
	// A rule giving a /32 per line (EA bits = 16 IPv4 bits): nothing shared.
	own, err := ParseRule("2001:db8::/32,192.0.2.0/24,8,0")
	if err != nil {
		t.Fatal(err)
	}
	lo, err := own.Line(netip.MustParseAddr("2001:db8:700::"))
	if err != nil {
		t.Fatal(err)
	}
	if v := lo.Web(); !v.Both() || v.Ranges != 0 {
		t.Errorf("unshared line: %+v, want both", v)
	}
	// PSID offset 0 and a PSID whose range holds 80 and 443: both.
	low, err := ParseRule("2001:db8::/32,198.51.100.0/24,12,0")
	if err != nil {
		t.Fatal(err)
	}
	ll, err := low.Line(netip.MustParseAddr("2001:db8::"))
	if err != nil {
		t.Fatal(err)
	}
	if v := ll.Web(); !v.Both() {
		t.Errorf("PSID 0 of offset 0 (ports 0-4095): %+v, want both", v)
	}
}

func TestNearestRange(t *testing.T) {
	r, _ := ParseRule("240b:10::/32,106.72.0.0/16,24,4")
	l, _ := r.Line(netip.MustParseAddr("240b:10:1234:5600::"))
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
