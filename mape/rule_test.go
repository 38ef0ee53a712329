package mape

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	r, err := ParseRule("240b:10::/32, 106.72.0.0/16,24,4,2404:9200:225:100::64")
	if err != nil {
		t.Fatal(err)
	}
	want := Rule{
		IPv6Prefix: netip.MustParsePrefix("240b:10::/32"),
		IPv4Prefix: netip.MustParsePrefix("106.72.0.0/16"),
		EALen:      24,
		PSIDOffset: 4,
		BR:         netip.MustParseAddr("2404:9200:225:100::64"),
	}
	if r != want {
		t.Fatalf("ParseRule = %+v, want %+v", r, want)
	}
	if r.PSIDLen() != 8 || r.EndUserPrefixLen() != 56 {
		t.Errorf("k = %d, n+o = %d", r.PSIDLen(), r.EndUserPrefixLen())
	}
	if back, err := ParseRule(r.String()); err != nil || back != r {
		t.Errorf("round trip %q: %+v, %v", r.String(), back, err)
	}
	// Each malformed rule names the field that is wrong.
	for _, c := range []struct{ in, field string }{
		{"", "want IPV6PREFIX"},
		{"240b:10::/32,106.72.0.0/16,24", "want IPV6PREFIX"},
		{"240b:10::,106.72.0.0/16,24,4", "rule IPv6 prefix"},
		{"106.72.0.0/16,106.72.0.0/16,24,4", "rule IPv6 prefix"},
		{"240b:10:1::/32,106.72.0.0/16,24,4", "rule IPv6 prefix"},
		{"240b:10::/32,240b::/16,24,4", "rule IPv4 prefix"},
		{"240b:10::/32,106.72.0.1/16,24,4", "rule IPv4 prefix"},
		{"240b:10::/32,106.72.0.0/16,x,4", "EA length"},
		{"240b:10::/32,106.72.0.0/16,49,4", "EA length"},
		{"240b:10::/48,106.72.0.0/16,24,4", "EA length"},
		{"240b:10::/32,106.72.0.0/24,30,0", "EA length"},
		{"240b:10::/32,106.72.0.0/16,24,-1", "PSID offset"},
		{"240b:10::/32,106.72.0.0/16,24,9", "PSID offset"},
		{"240b:10::/32,106.72.0.0/16,24,4,nope", "BR"},
		{"240b:10::/32,106.72.0.0/16,24,4,192.0.2.1", "BR"},
	} {
		_, err := ParseRule(c.in)
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("ParseRule(%q) = %v, want an error naming %q", c.in, err, c.field)
		}
	}
}

func TestParsePrefixOrAddress(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2400:4050:1234:5600::/56", "2400:4050:1234:5600::"},
		{"2400:4050:1234:5600::/64", "2400:4050:1234:5600::"},
		{" 2400:4050:1234:5600::1/64 ", "2400:4050:1234:5600::1"},
		{"2400:4050:1234:5600:1:2:3:4", "2400:4050:1234:5600:1:2:3:4"},
	} {
		a, err := ParsePrefixOrAddress(c.in)
		if err != nil || a != netip.MustParseAddr(c.want) {
			t.Errorf("ParsePrefixOrAddress(%q) = %s, %v; want %s", c.in, a, err, c.want)
		}
	}
	for _, c := range []struct{ in, what string }{
		{"", "empty"},
		{"hello", "not an IPv6"},
		{"192.0.2.1", "IPv4"},
		{"192.0.2.0/24", "IPv4"},
		{"::ffff:192.0.2.1", "IPv4-mapped"},
		{"fe80::1%eth0", "link-local"},
		{"fe80::/64", "link-local"},
		{"2400:4050::/129", "length"},
		{"2400:4050::/x", "length"},
		{"2400:zz::/56", "not an IPv6"},
		{"ff02::1", "multicast"},
		{"::1", "loopback"},
	} {
		_, err := ParsePrefixOrAddress(c.in)
		if err == nil || !strings.Contains(err.Error(), c.what) {
			t.Errorf("ParsePrefixOrAddress(%q) = %v, want an error saying %q", c.in, err, c.what)
		}
	}
	r, _ := ParseRule("240b:10::/32,106.72.0.0/16,24,4")
	if err := r.CheckCovers(netip.MustParsePrefix("240b:10:1200::/48")); err == nil {
		t.Error("CheckCovers(/48) on a /56 rule: no error")
	}
	if err := r.CheckCovers(netip.MustParsePrefix("240b:10:1234:5600::/64")); err != nil {
		t.Error(err)
	}
}

func TestTableLongestPrefix(t *testing.T) {
	wide, _ := ParseRule("2001:db8::/32,192.0.2.0/24,16,0") // k = 8
	narrow, _ := ParseRule("2001:db8:1::/48,198.51.100.0/24,16,8")
	tb := NewTable([]Rule{wide, narrow, {Provider: "invalid"}})
	if tb.Len() != 3 {
		t.Fatalf("Len = %d", tb.Len())
	}
	for _, c := range []struct {
		a    string
		want Rule
		ok   bool
	}{
		{"2001:db8:1:ff00::1", narrow, true},
		{"2001:db8:2::", wide, true},
		{"2001:db9::", Rule{}, false},
		{"192.0.2.1", Rule{}, false},
	} {
		got, ok := tb.Lookup(netip.MustParseAddr(c.a))
		if ok != c.ok || got != c.want {
			t.Errorf("Lookup(%s) = %v, %v; want %v, %v", c.a, got, ok, c.want, c.ok)
		}
	}
	if got, ok := tb.LookupIPv4(netip.MustParseAddr("198.51.100.7")); !ok || got != narrow {
		t.Errorf("LookupIPv4 = %v, %v", got, ok)
	}
	if _, ok := tb.LookupIPv4(netip.MustParseAddr("203.0.113.1")); ok {
		t.Error("LookupIPv4(203.0.113.1) matched")
	}
}
