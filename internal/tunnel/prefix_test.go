package tunnel

import (
	"net/netip"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
)

func addr(s string, flags hostnet.AddrFlags, pref time.Duration) hostnet.Addr {
	return hostnet.Addr{Prefix: netip.MustParsePrefix(s), Flags: flags, PreferredLft: pref, ValidLft: pref}
}

func TestLinePrefix(t *testing.T) {
	ep := netip.MustParseAddr("2001:db8:1:100:c6:3364:7b00:0")
	for _, tc := range []struct {
		name  string
		addrs []hostnet.Addr
		want  string
	}{
		{"SLAAC address", []hostnet.Addr{
			addr("192.168.1.10/24", hostnet.AddrPermanent, hostnet.AddrForever),
			addr("fe80::1/64", hostnet.AddrPermanent, hostnet.AddrForever),
			addr("2001:db8:1:100:5054:ff:fe00:1/64", 0, time.Hour),
		}, "2001:db8:1:100::/64"},
		{"after a prefix change: the router's new prefix, not the static address on the old one", []hostnet.Addr{
			addr("2001:db8:1:100::10/64", hostnet.AddrPermanent, hostnet.AddrForever),
			addr("2001:db8:1:100:5054:ff:fe00:1/64", hostnet.AddrDeprecated, 0),
			addr("2001:db8:2:100:5054:ff:fe00:1/64", 0, time.Hour),
		}, "2001:db8:2:100::/64"},
		{"old SLAAC not yet deprecated: the refreshed one", []hostnet.Addr{
			addr("2001:db8:1:100:5054:ff:fe00:1/64", 0, 20*time.Minute),
			addr("2001:db8:2:100:5054:ff:fe00:1/64", 0, time.Hour),
		}, "2001:db8:2:100::/64"},
		{"temporary, ULA, our own end point and tentative are not the line", []hostnet.Addr{
			addr("2001:db8:9:100::abcd/64", hostnet.AddrTemporary, time.Hour),
			addr("fd00::1/64", 0, time.Hour),
			addr(ep.String()+"/128", hostnet.AddrPermanent|hostnet.AddrDeprecated, 0),
			addr("2001:db8:8:100::1/64", hostnet.AddrTentative, time.Hour),
			addr("2001:db8:1:100::10/64", hostnet.AddrPermanent, hostnet.AddrForever),
		}, "2001:db8:1:100::/64"},
		{"nothing usable", []hostnet.Addr{addr("fe80::1/64", hostnet.AddrPermanent, hostnet.AddrForever)}, ""},
	} {
		got, ok := LinePrefix(tc.addrs, ep)
		if tc.want == "" {
			if ok {
				t.Errorf("%s: %v, want none", tc.name, got)
			}
			continue
		}
		if !ok || got != netip.MustParsePrefix(tc.want) {
			t.Errorf("%s: %v %v, want %s", tc.name, got, ok, tc.want)
		}
	}
}
