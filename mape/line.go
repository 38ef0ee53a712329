package mape

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Line is what one customer line gets under a rule: its end-user prefix, its
// IPv4 address (or prefix), its PSID and port set, and its CE IPv6 address.
type Line struct {
	// Rule is the mapping rule the line falls under.
	Rule Rule
	// EndUserPrefix is the customer's delegated prefix, n + o bits long.
	EndUserPrefix netip.Prefix
	// IPv4 is the line's IPv4 address (shared when PSIDLen > 0). When the
	// rule gives an IPv4 prefix (o < p), it is that prefix's first address.
	IPv4 netip.Addr
	// IPv4Prefix is IPv4 as a prefix: /32 for an address (shared or not),
	// /(r+o) when the rule gives the line an IPv4 prefix (RFC 7597 5.2).
	IPv4Prefix netip.Prefix
	// PSID is the port-set identifier (k bits; 0 when there is no sharing).
	PSID uint16
	// PSIDLen is k for this line. Rule.Line and Rule.LineFor set it from the
	// rule; Rule.LineProvisioned from DHCPv6. When left 0 in a hand-built
	// Line, the rule's PSIDLen is used.
	PSIDLen int
	// CE is the CE's MAP IPv6 address (RFC 7597 section 6 or draft-03,
	// following Rule.IID): where the BR sends this line's IPv4 traffic.
	CE netip.Addr
}

// Line computes the line that holds address a (any address inside the
// end-user prefix: the /56's first address, a /64 SLAAC address, ...).
// RFC 7597 section 5.2: the EA bits are the o bits after the rule prefix.
func (r Rule) Line(a netip.Addr) (Line, error) {
	if err := r.Validate(); err != nil {
		return Line{}, err
	}
	if !a.Is6() || a.Is4In6() {
		return Line{}, fmt.Errorf("address %s: not an IPv6 address", a)
	}
	if !r.IPv6Prefix.Contains(a.WithZone("")) {
		return Line{}, fmt.Errorf("address %s: not inside the rule IPv6 prefix %s", a, r.IPv6Prefix)
	}
	return r.lineFromEA(eaBits(r, hi64(a))), nil
}

// LineProvisioned computes the line for a rule without EA bits for the PSID
// (o + r = 32, e.g. RFC 7597 Appendix A example 5) whose PSID length and PSID
// come from DHCPv6 S46_PORTPARAMS (RFC 7598 section 4.5).
func (r Rule) LineProvisioned(a netip.Addr, psidLen int, psid uint16) (Line, error) {
	if r.PSIDLen() != 0 {
		return Line{}, fmt.Errorf("PSID length: rule %s already has a %d-bit PSID in its EA bits or gives a prefix", r, r.PSIDLen())
	}
	if psidLen < 1 || psidLen > 16 || r.PSIDOffset+psidLen > 16 {
		return Line{}, fmt.Errorf("PSID length %d: must be 1..%d with PSID offset %d", psidLen, 16-r.PSIDOffset, r.PSIDOffset)
	}
	if uint32(psid) >= 1<<psidLen {
		return Line{}, fmt.Errorf("PSID %d: does not fit in %d bits", psid, psidLen)
	}
	l, err := r.Line(a)
	if err != nil {
		return Line{}, err
	}
	l.PSIDLen = psidLen
	l.PSID = psid
	l.CE = r.CEAddress(l.EndUserPrefix, l.IPv4, psid)
	return l, nil
}

// LineFor is the BR direction (RFC 7597 section 5.3, FMR): the line that owns
// IPv4 address v4 and the given port. v4 -> IPv4 suffix, port -> PSID, both
// -> EA bits -> end-user prefix -> CE address. When the rule shares no ports
// (PSIDLen <= 0) the port is ignored.
func (r Rule) LineFor(v4 netip.Addr, port uint16) (Line, error) {
	if err := r.Validate(); err != nil {
		return Line{}, err
	}
	if !v4.Is4() {
		return Line{}, fmt.Errorf("address %s: not an IPv4 address", v4)
	}
	if !r.IPv4Prefix.Contains(v4) {
		return Line{}, fmt.Errorf("address %s: not inside the rule IPv4 prefix %s", v4, r.IPv4Prefix)
	}
	p := 32 - r.IPv4Prefix.Bits()
	suffix := uint64(binary.BigEndian.Uint32(v4.AsSlice())) & mask(p)
	k := r.PSIDLen()
	var ea uint64
	switch {
	case k > 0:
		psid, ok := r.PSIDOf(port)
		if !ok {
			return Line{}, fmt.Errorf("port %d: below %d, in no port set of rule %s", port, 1<<(16-r.PSIDOffset), r)
		}
		ea = suffix<<k | uint64(psid)
	case k == 0:
		ea = suffix
	default:
		ea = suffix >> -k
	}
	return r.lineFromEA(ea), nil
}

// lineFromEA builds the line whose EA bits are ea (o bits, right-aligned).
func (r Rule) lineFromEA(ea uint64) Line {
	n, o := r.IPv6Prefix.Bits(), r.EALen
	k := r.PSIDLen()
	base := binary.BigEndian.Uint32(r.IPv4Prefix.Addr().AsSlice())
	var v4 uint32
	var v4len int
	var psid uint16
	if k >= 0 {
		// RFC 7597 5.2: IPv4 = rule IPv4 prefix | the first p EA bits;
		// PSID = the last k EA bits.
		v4 = base | uint32(ea>>k)
		v4len = 32
		psid = uint16(ea & mask(k))
	} else {
		// o < p: the EA bits are the first o bits of the IPv4 suffix; the
		// CE gets an IPv4 prefix of length r + o.
		v4 = base | uint32(ea<<-k)
		v4len = r.IPv4Prefix.Bits() + o
	}
	var a4 [4]byte
	binary.BigEndian.PutUint32(a4[:], v4)
	ipv4 := netip.AddrFrom4(a4)

	eul := n + o
	hi := hi64(r.IPv6Prefix.Addr())
	if o > 0 {
		hi |= ea << (64 - eul)
	}
	var a16 [16]byte
	binary.BigEndian.PutUint64(a16[:8], hi)
	end := netip.PrefixFrom(netip.AddrFrom16(a16), eul)

	return Line{
		Rule:          r,
		EndUserPrefix: end,
		IPv4:          ipv4,
		IPv4Prefix:    netip.PrefixFrom(ipv4, v4len),
		PSID:          psid,
		PSIDLen:       max(k, 0),
		CE:            r.CEAddress(end, ipv4, psid),
	}
}

// CEAddress returns the CE's MAP IPv6 address (RFC 7597 section 6): the
// end-user prefix, a zero subnet ID up to /64, and the interface identifier
// in r.IID's layout. For an IPv4 prefix pass its first address and PSID 0.
func (r Rule) CEAddress(endUser netip.Prefix, v4 netip.Addr, psid uint16) netip.Addr {
	var a [16]byte
	if endUser.Addr().Is6() {
		bits := min(endUser.Bits(), 64)
		binary.BigEndian.PutUint64(a[:8], hi64(endUser.Addr())&^mask(64-bits))
	}
	var v4b [4]byte
	if v4.Is4() {
		v4b = v4.As4()
	}
	switch r.IID {
	case IIDRFC7597:
		// 16 zero bits | IPv4 | PSID.
		copy(a[10:14], v4b[:])
		binary.BigEndian.PutUint16(a[14:16], psid)
	default:
		// draft-ietf-softwire-map-03: 8 zero bits | IPv4 | PSID | 8 zero bits.
		copy(a[9:13], v4b[:])
		binary.BigEndian.PutUint16(a[13:15], psid)
	}
	return netip.AddrFrom16(a)
}

// PSIDOf returns the PSID whose port set holds port (RFC 7597 section 5.1:
// the k bits after the first a bits). ok is false for ports below 2^(16-a)
// when a > 0: those belong to no set. When the rule shares no ports
// (PSIDLen <= 0) every port belongs to the line: PSID 0, ok true.
func (r Rule) PSIDOf(port uint16) (psid uint16, ok bool) {
	return psidOf(r.PSIDOffset, r.PSIDLen(), port)
}

func psidOf(a, k int, port uint16) (uint16, bool) {
	if k <= 0 {
		return 0, true
	}
	if !shape(a, k) {
		return 0, false
	}
	if a > 0 && port>>(16-a) == 0 {
		return 0, false
	}
	m := 16 - a - k
	return uint16((uint64(port) >> m) & mask(k)), true
}

// PortRange is an inclusive range of ports.
type PortRange struct{ First, Last uint16 }

// String formats the range as "4112-4127" (or "4112" for a single port).
func (p PortRange) String() string {
	if p.First == p.Last {
		return fmt.Sprint(p.First)
	}
	return fmt.Sprintf("%d-%d", p.First, p.Last)
}

// shape reports whether PSID offset a and PSID length k > 0 describe a port
// set (RFC 7597 5.1); the methods of an invalid Rule or Line return empty
// results instead of panicking.
func shape(a, k int) bool { return a >= 0 && a <= 15 && k <= 16 && a+k <= 16 }

// k returns the PSID length the line's port set is built from.
func (l Line) k() int {
	if l.PSIDLen > 0 {
		return l.PSIDLen
	}
	return max(l.Rule.PSIDLen(), 0)
}

// PortRanges returns the line's port set in ascending order (RFC 7597
// section 5.1): for a > 0, ranges A<<(16-a) | PSID<<m | j for A = 1..2^a-1 and
// j = 0..2^m-1; for a = 0 the one range PSID<<m | j. Without sharing
// (k = 0) it is every port, 0-65535.
func (l Line) PortRanges() []PortRange {
	k, a := l.k(), l.Rule.PSIDOffset
	if k == 0 {
		return []PortRange{{0, 65535}}
	}
	if !shape(a, k) {
		return nil
	}
	m := 16 - a - k
	psid := uint32(l.PSID) & uint32(mask(k))
	if a == 0 {
		first := psid << m
		return []PortRange{{uint16(first), uint16(first + 1<<m - 1)}}
	}
	out := make([]PortRange, 0, 1<<a-1)
	for A := uint32(1); A < 1<<a; A++ {
		first := A<<(16-a) | psid<<m
		out = append(out, PortRange{uint16(first), uint16(first + 1<<m - 1)})
	}
	return out
}

// PortCount returns the number of ports in the set: 2^(16-k) - 2^m when
// a > 0, 2^m when a = 0, 65536 without sharing.
func (l Line) PortCount() int {
	k, a := l.k(), l.Rule.PSIDOffset
	if k == 0 {
		return 65536
	}
	if !shape(a, k) {
		return 0
	}
	m := 16 - a - k
	if a == 0 {
		return 1 << m
	}
	return 1<<(16-k) - 1<<m
}

// HasPort reports whether port p is in the line's set.
func (l Line) HasPort(p uint16) bool {
	k := l.k()
	if k == 0 {
		return true
	}
	psid, ok := psidOf(l.Rule.PSIDOffset, k, p)
	return ok && psid == uint16(uint64(l.PSID)&mask(k))
}

// Shared reports whether the IPv4 address is shared with other lines (k > 0).
func (l Line) Shared() bool { return l.k() > 0 }

// hi64 returns the first 64 bits of an IPv6 address.
func hi64(a netip.Addr) uint64 {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8])
}

// eaBits returns the o EA bits of an address's first 64 bits (n + o <= 64).
func eaBits(r Rule, hi uint64) uint64 {
	eul := r.EndUserPrefixLen()
	if r.EALen == 0 {
		return 0
	}
	return (hi >> (64 - eul)) & mask(r.EALen)
}

// mask returns the low b bits set (b in 0..64).
func mask(b int) uint64 {
	if b <= 0 {
		return 0
	}
	if b >= 64 {
		return ^uint64(0)
	}
	return 1<<b - 1
}
