package ddns

import (
	"net/netip"

	"github.com/dualpath/dualpath/mape"
)

// MAPESharedIPv4 returns the MAP-E IPv4 addresses (as prefixes: /32, or the
// line's IPv4 prefix when a rule gives one) of the lines that hold the
// given IPv6 addresses, by the built-in Japanese rule table (RFC 7597
// section 5.2: the rule is found by longest prefix match, the IPv4 address
// from the EA bits). These are the shared addresses a record fed by PPPoE
// must never carry: publishing one sends visitors to the IPoE router, which
// owns no port 80 or 443.
func MAPESharedIPv4(v6 []netip.Addr) []netip.Prefix {
	t := mape.Builtin()
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, a := range v6 {
		l, _, ok := t.LineOf([]netip.Addr{a})
		if !ok || !l.IPv4.IsValid() {
			continue
		}
		p := l.IPv4Prefix
		if !p.IsValid() {
			p = netip.PrefixFrom(l.IPv4, 32)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
