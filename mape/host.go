package mape

import "net/netip"

var ula = netip.MustParsePrefix("fc00::/7")

// IsGlobalIPv6 reports whether a can name a line: a global unicast IPv6
// address, not a ULA (fc00::/7), not IPv4-mapped.
func IsGlobalIPv6(a netip.Addr) bool {
	return a.Is6() && !a.Is4In6() && a.IsGlobalUnicast() && !ula.Contains(a)
}

// LineOf answers "which MAP-E line is this host on": the line of the first
// of addrs that is global IPv6 (IsGlobalIPv6) and covered by a rule of t,
// and that address. ok is false when none is.
func (t *Table) LineOf(addrs []netip.Addr) (l Line, a netip.Addr, ok bool) {
	for _, a := range addrs {
		if !IsGlobalIPv6(a) {
			continue
		}
		r, found := t.Lookup(a)
		if !found {
			continue
		}
		l, err := r.Line(a)
		if err != nil {
			continue
		}
		return l, a, true
	}
	return Line{}, netip.Addr{}, false
}
