package ddns

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/dualpath/dualpath/internal/hostnet"
)

// V6Choice tunes how a stable IPv6 address is chosen for an AAAA record.
type V6Choice struct {
	Include  []netip.Prefix // only addresses inside one of these (empty: any)
	Exclude  []netip.Prefix // never addresses inside one of these
	AllowULA bool           // allow fc00::/7 (RFC 4193); off by default
	// Suffix, when valid, replaces the host part (the bits after the
	// address's prefix length) of the chosen address: a fixed ::10 on a
	// prefix that changes.
	Suffix netip.Addr
}

// ChooseIPv6 picks the address to publish from an interface's addresses, as
// ddclient and RFC 6724 suggest for a server: skip temporary (RFC 8981),
// deprecated, tentative and dadfailed addresses (RFC 4862 section 5.5.4),
// link-local and, unless allowed, ULA; among the rest prefer permanent
// (hand-configured) addresses, then the longest preferred lifetime, then the
// lowest address for determinism. The reason explains an empty answer.
func ChooseIPv6(addrs []hostnet.Addr, c V6Choice) (netip.Addr, error) {
	var cands []hostnet.Addr
	var skipped []string
	for _, a := range addrs {
		ip := a.Prefix.Addr()
		if !ip.Is6() || ip.Is4In6() {
			continue
		}
		why := ""
		switch {
		case a.Flags&hostnet.AddrTemporary != 0:
			why = "temporary"
		case a.Flags&hostnet.AddrDeprecated != 0 || a.PreferredLft == 0:
			why = "deprecated"
		case a.Flags&hostnet.AddrTentative != 0:
			why = "tentative"
		case a.Flags&hostnet.AddrDADFailed != 0:
			why = "dadfailed"
		case ip.IsLinkLocalUnicast() || a.Scope == 253:
			why = "link-local"
		case ip.IsLoopback() || a.Scope == 254:
			why = "host scope"
		case isULA(ip) && !c.AllowULA:
			why = "ULA (set allow_ula to publish it)"
		case len(c.Include) > 0 && !inAny(ip, c.Include):
			why = "outside ipv6_include"
		case inAny(ip, c.Exclude):
			why = "inside ipv6_exclude"
		}
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("%s (%s)", ip, why))
			continue
		}
		if err := CheckPublishable(ip, c.AllowULA); err != nil {
			skipped = append(skipped, fmt.Sprintf("%s (%v)", ip, err))
			continue
		}
		cands = append(cands, a)
	}
	if len(cands) == 0 {
		if len(skipped) == 0 {
			return netip.Addr{}, fmt.Errorf("no global IPv6 address on the interface")
		}
		return netip.Addr{}, fmt.Errorf("no stable global IPv6 address: skipped %v", skipped)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		ap, bp := a.Flags&hostnet.AddrPermanent != 0, b.Flags&hostnet.AddrPermanent != 0
		if ap != bp {
			return ap
		}
		if a.PreferredLft != b.PreferredLft {
			return a.PreferredLft > b.PreferredLft
		}
		return a.Prefix.Addr().Less(b.Prefix.Addr())
	})
	best := cands[0].Prefix
	if c.Suffix.IsValid() {
		return WithSuffix(best, c.Suffix), nil
	}
	return best.Addr(), nil
}

// WithSuffix keeps the first p.Bits() bits of p's address and takes the rest
// from suffix: WithSuffix(2001:db8:1:2::abcd/64, ::10) = 2001:db8:1:2::10.
func WithSuffix(p netip.Prefix, suffix netip.Addr) netip.Addr {
	a, s := p.Addr().As16(), suffix.As16()
	bits := p.Bits()
	for i := 0; i < 16; i++ {
		keep := bits - i*8 // bits of this byte taken from the prefix
		switch {
		case keep >= 8:
		case keep <= 0:
			a[i] = s[i]
		default:
			mask := byte(0xff << (8 - keep))
			a[i] = a[i]&mask | s[i]&^mask
		}
	}
	return netip.AddrFrom16(a)
}

// ChooseIPv4 picks the primary global IPv4 address of an interface: the
// first address that is not secondary and passes CheckPublishable.
func ChooseIPv4(addrs []hostnet.Addr) (netip.Addr, error) {
	var skipped []string
	for pass := 0; pass < 2; pass++ {
		for _, a := range addrs {
			ip := a.Prefix.Addr()
			if !ip.Is4() {
				continue
			}
			if pass == 0 && a.Flags&hostnet.AddrSecondary != 0 {
				continue // primaries first, secondaries as a fallback
			}
			if pass == 1 && a.Flags&hostnet.AddrSecondary == 0 {
				continue
			}
			if err := CheckPublishable(ip, false); err != nil {
				skipped = append(skipped, fmt.Sprintf("%s (%v)", ip, err))
				continue
			}
			return ip, nil
		}
	}
	if len(skipped) == 0 {
		return netip.Addr{}, fmt.Errorf("no IPv4 address on the interface")
	}
	return netip.Addr{}, fmt.Errorf("no publishable IPv4 address: skipped %v", skipped)
}

func inAny(ip netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
