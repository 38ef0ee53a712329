package mape

import (
	"net/netip"
	"strings"
)

// ParsePrefixOrAddress parses what a user knows of their line: the delegated
// prefix ("2400:4050:1234:5600::/56"), the /64 a host sees
// ("2400:4050:1234:5600::/64"), an interface address with its length
// ("2400:4050:1234:5600::1/64") or a bare address, and returns an address
// inside the end-user prefix to pass to Table.Lookup and Rule.Line.
func ParsePrefixOrAddress(s string) (netip.Addr, error) {
	p, err := ParseEndUser(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return p.Addr(), nil
}

// ParseEndUser is ParsePrefixOrAddress keeping the length the user gave
// (/128 for a bare address), so a caller can tell a prefix that is too short
// to hold all EA bits (see CheckCovers). The address keeps any host bits the
// user typed.
func ParseEndUser(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, inputErr(InputEmpty, "prefix or address: empty; give the line's IPv6 prefix (e.g. 2400:4050:1234:5600::/56) or an address in it")
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		addr, bits, _ := strings.Cut(s, "/")
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return netip.Prefix{}, inputErr(InputPrefixNotIPv6, "prefix %q: %q is not an IPv6 address", s, addr)
		}
		if a.Zone() != "" {
			return netip.Prefix{}, inputErr(InputPrefixZone, "prefix %q: a prefix has no zone (%%%s)", s, a.Zone())
		}
		pp, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, inputErr(InputPrefixLength, "prefix %q: length /%s is not a number 0..128", s, bits)
		}
		p = pp
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, inputErr(InputNotIPv6, "address %q: not an IPv6 prefix or address; give e.g. 2400:4050:1234:5600::/56", s)
		}
		p = netip.PrefixFrom(a.WithZone(""), a.BitLen())
	}
	a := p.Addr()
	switch {
	case a.Is4():
		return netip.Prefix{}, inputErr(InputIsIPv4, "address %q: is IPv4; MAP-E is computed from the line's IPv6 prefix or address", s)
	case a.Is4In6():
		return netip.Prefix{}, inputErr(InputIsIPv4Mapped, "address %q: is an IPv4-mapped address; give the line's IPv6 prefix or address", s)
	case a.IsLinkLocalUnicast():
		return netip.Prefix{}, inputErr(InputIsLinkLocal, "address %q: is link-local (fe80::/10); give a global address (ip -6 addr show scope global)", s)
	case a.IsLoopback(), a.IsUnspecified():
		return netip.Prefix{}, inputErr(InputIsLoopback, "address %q: is loopback or unspecified; give the line's global IPv6 prefix or address", s)
	case a.IsMulticast():
		return netip.Prefix{}, inputErr(InputIsMulticast, "address %q: is multicast; give the line's global IPv6 prefix or address", s)
	}
	return p, nil
}

// CheckCovers reports an error when p is shorter than the rule's end-user
// prefix, so some EA bits would be guessed as zero: the user typed /48 for a
// /56 line, say.
func (r Rule) CheckCovers(p netip.Prefix) error {
	if p.Bits() < r.EndUserPrefixLen() {
		return inputErr(InputPrefixTooShort, "prefix %s: shorter than the end-user prefix /%d of rule %s; give the /%d or an address inside it", p, r.EndUserPrefixLen(), r, r.EndUserPrefixLen())
	}
	return nil
}
