package tunnel

import (
	"net/netip"

	"github.com/dualpath/dualpath/internal/hostnet"
)

var ula = netip.MustParsePrefix("fc00::/7")

// LinePrefix finds the line's current /64 among the addresses of the LAN
// interface: the /64 of a global, non-ULA, preferred (not deprecated,
// tentative or failed) IPv6 address that is not a temporary one (RFC 8981)
// and not our own end point. Addresses learned from router advertisements
// (not IFA_F_PERMANENT) win over static ones, because after a prefix change
// a static address keeps the old prefix while SLAAC follows the router;
// then the longest preferred lifetime wins (the advertisement that is
// still being refreshed), then the lower address (a stable choice).
func LinePrefix(addrs []hostnet.Addr, endpoint netip.Addr) (netip.Prefix, bool) {
	var best hostnet.Addr
	found := false
	better := func(a, b hostnet.Addr) bool {
		da, db := a.Flags&hostnet.AddrPermanent == 0, b.Flags&hostnet.AddrPermanent == 0
		if da != db {
			return da
		}
		if a.PreferredLft != b.PreferredLft {
			return a.PreferredLft > b.PreferredLft
		}
		return a.Prefix.Addr().Less(b.Prefix.Addr())
	}
	for _, a := range addrs {
		ip := a.Prefix.Addr()
		if !ip.Is6() || ip.Is4In6() || !ip.IsGlobalUnicast() || ula.Contains(ip) || ip == endpoint {
			continue
		}
		if a.Flags&(hostnet.AddrTemporary|hostnet.AddrDADFailed|hostnet.AddrDeprecated|hostnet.AddrTentative) != 0 || a.PreferredLft <= 0 {
			continue
		}
		if !found || better(a, best) {
			best, found = a, true
		}
	}
	if !found {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(best.Prefix.Addr(), 64).Masked(), true
}
