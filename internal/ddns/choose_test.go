package ddns

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestChooseIPv6(t *testing.T) {
	stable := hostnet.Addr{Prefix: pfx("2001:db8:1:1::10/64"), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	slaac := hostnet.Addr{Prefix: pfx("2001:db8:1:1:211:22ff:fe33:4455/64"), Flags: hostnet.AddrMngTmpAddr, PreferredLft: 3600 * time.Second, ValidLft: 7200 * time.Second}
	slaacLong := hostnet.Addr{Prefix: pfx("2001:db8:1:1:aaaa::1/64"), PreferredLft: 86400 * time.Second, ValidLft: 86400 * time.Second}
	temp := hostnet.Addr{Prefix: pfx("2001:db8:1:1:d0e1:3c2f:77aa:1234/64"), Flags: hostnet.AddrTemporary, PreferredLft: 90000 * time.Second, ValidLft: 90000 * time.Second}
	depr := hostnet.Addr{Prefix: pfx("2001:db8:1:1::dead/64"), Flags: hostnet.AddrPermanent | hostnet.AddrDeprecated, PreferredLft: 0, ValidLft: hostnet.AddrForever}
	deprByLft := hostnet.Addr{Prefix: pfx("2001:db8:1:1::beef/64"), Flags: hostnet.AddrPermanent, PreferredLft: 0, ValidLft: 600 * time.Second}
	tent := hostnet.Addr{Prefix: pfx("2001:db8:1:1::7e/64"), Flags: hostnet.AddrPermanent | hostnet.AddrTentative, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	dadf := hostnet.Addr{Prefix: pfx("2001:db8:1:1::df/64"), Flags: hostnet.AddrPermanent | hostnet.AddrDADFailed, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	ll := hostnet.Addr{Prefix: pfx("fe80::1/64"), Flags: hostnet.AddrPermanent, Scope: 253, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	ulaA := hostnet.Addr{Prefix: pfx("fd00:1:2:3::10/64"), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	mapeCE := hostnet.Addr{Prefix: pfx("2400:4050:1:2300:c6:3364:7a00:2300/128"), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	v4 := hostnet.Addr{Prefix: pfx("203.0.113.7/32"), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}

	tests := []struct {
		name  string
		addrs []hostnet.Addr
		c     V6Choice
		want  string // "" = error
		why   string // part of the error
	}{
		{"permanent beats slaac", []hostnet.Addr{slaacLong, slaac, stable}, V6Choice{}, "2001:db8:1:1::10", ""},
		{"temporary skipped even with longest lifetime", []hostnet.Addr{temp, slaac}, V6Choice{}, "2001:db8:1:1:211:22ff:fe33:4455", ""},
		{"longest preferred lifetime among slaac", []hostnet.Addr{slaac, slaacLong}, V6Choice{}, "2001:db8:1:1:aaaa::1", ""},
		{"deprecated flag skipped", []hostnet.Addr{depr, slaac}, V6Choice{}, "2001:db8:1:1:211:22ff:fe33:4455", ""},
		{"preferred 0 counts as deprecated", []hostnet.Addr{deprByLft, slaac}, V6Choice{}, "2001:db8:1:1:211:22ff:fe33:4455", ""},
		{"tentative and dadfailed skipped", []hostnet.Addr{tent, dadf, slaac}, V6Choice{}, "2001:db8:1:1:211:22ff:fe33:4455", ""},
		{"only unusable ones", []hostnet.Addr{temp, depr, ll, ulaA, v4}, V6Choice{}, "", "temporary"},
		{"ULA refused by default", []hostnet.Addr{ulaA}, V6Choice{}, "", "ULA"},
		{"ULA allowed", []hostnet.Addr{ll, ulaA}, V6Choice{AllowULA: true}, "fd00:1:2:3::10", ""},
		{"include", []hostnet.Addr{stable, mapeCE}, V6Choice{Include: []netip.Prefix{pfx("2400:4050::/32")}}, "2400:4050:1:2300:c6:3364:7a00:2300", ""},
		{"exclude the MAP-E CE /128", []hostnet.Addr{mapeCE, slaac}, V6Choice{Exclude: []netip.Prefix{pfx("2400:4050::/32")}}, "2001:db8:1:1:211:22ff:fe33:4455", ""},
		{"suffix on the chosen prefix", []hostnet.Addr{slaac}, V6Choice{Suffix: netip.MustParseAddr("::10")}, "2001:db8:1:1::10", ""},
		{"deterministic tie", []hostnet.Addr{{Prefix: pfx("2001:db8::20/64"), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever}, {Prefix: pfx("2001:db8::3/64"), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever}}, V6Choice{}, "2001:db8::3", ""},
		{"nothing", nil, V6Choice{}, "", "no global IPv6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChooseIPv6(tc.addrs, tc.c)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("chose %s, want an error", got)
				}
				if !strings.Contains(err.Error(), tc.why) {
					t.Fatalf("error %q does not say %q", err, tc.why)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Fatalf("chose %s, want %s", got, tc.want)
			}
		})
	}
}

func TestWithSuffix(t *testing.T) {
	for _, tc := range []struct{ p, s, want string }{
		{"2001:db8:1:2::abcd/64", "::10", "2001:db8:1:2::10"},
		{"2001:db8:1:2:3:4:5:6/56", "::1:0:0:0:10", "2001:db8:1:1::10"},
		{"2001:db8:1:2ff::1/60", "::f:0:0:0:10", "2001:db8:1:2ff::10"},
		{"2001:db8:1:2f0::1/60", "::e:0:0:0:10", "2001:db8:1:2fe::10"},
	} {
		got := WithSuffix(pfx(tc.p), netip.MustParseAddr(tc.s))
		if got.String() != tc.want {
			t.Errorf("WithSuffix(%s, %s) = %s, want %s", tc.p, tc.s, got, tc.want)
		}
	}
}

func TestChooseIPv4(t *testing.T) {
	lan := hostnet.Addr{Prefix: pfx("192.168.1.10/24")}
	pub := hostnet.Addr{Prefix: pfx("203.0.113.7/32")}
	sec := hostnet.Addr{Prefix: pfx("198.51.100.9/24"), Flags: hostnet.AddrSecondary}
	cg := hostnet.Addr{Prefix: pfx("100.64.1.1/10")}
	if got, err := ChooseIPv4([]hostnet.Addr{lan, sec, pub}); err != nil || got.String() != "203.0.113.7" {
		t.Fatalf("got %v %v, want the primary public address", got, err)
	}
	if got, err := ChooseIPv4([]hostnet.Addr{lan, sec}); err != nil || got.String() != "198.51.100.9" {
		t.Fatalf("got %v %v, want the secondary as fallback", got, err)
	}
	if _, err := ChooseIPv4([]hostnet.Addr{lan, cg}); err == nil || !strings.Contains(err.Error(), "RFC 1918") || !strings.Contains(err.Error(), "6598") {
		t.Fatalf("err = %v, want both refusals explained", err)
	}
}

func TestCheckPublishable(t *testing.T) {
	bad := []string{"10.1.2.3", "172.16.0.1", "192.168.1.10", "100.64.0.1", "100.127.255.254", "169.254.1.1",
		"127.0.0.1", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255",
		"::1", "::", "fe80::1", "fd12:3456::1", "fc00::1", "ff02::1", "::ffff:203.0.113.7"}
	good := []string{"203.0.113.7", "198.51.100.1", "100.128.0.1", "8.8.8.8", "2001:db8::10", "2400:4050::1"}
	for _, s := range bad {
		err := CheckPublishable(netip.MustParseAddr(s), false)
		if err == nil || !errors.Is(err, ErrNotPublishable) {
			t.Errorf("%s: published (err %v)", s, err)
		}
	}
	for _, s := range good {
		if err := CheckPublishable(netip.MustParseAddr(s), false); err != nil {
			t.Errorf("%s: refused: %v", s, err)
		}
	}
	if err := CheckPublishable(netip.MustParseAddr("fd12::1"), true); err != nil {
		t.Errorf("ULA with allow_ula refused: %v", err)
	}
}
