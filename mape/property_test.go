package mape

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// randomRule returns a valid rule with a PSID (k >= 1), random n, p, k, a.
func randomRule(rng *rand.Rand) Rule {
	n := 16 + rng.IntN(33)             // 16..48
	k := 1 + rng.IntN(min(16, 64-n))   // 1..16
	p := rng.IntN(min(32, 64-n-k) + 1) // 0..32
	a := rng.IntN(min(15, 16-k) + 1)   // 0..15, a + k <= 16
	v6 := randomIn(rng, netip.MustParsePrefix("2000::/3"))
	v4 := netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
	p6, _ := v6.Prefix(n)
	p4, _ := v4.Prefix(32 - p)
	r := Rule{IPv6Prefix: p6, IPv4Prefix: p4, EALen: p + k, PSIDOffset: a, IID: IIDFormat(rng.IntN(2))}
	return r
}

// decodeIID reads IPv4 and PSID back from a CE address, independently of
// CEAddress (RFC 7597 section 6 / draft-03 layouts).
func decodeIID(a netip.Addr, f IIDFormat) (netip.Addr, uint16) {
	b := a.As16()
	if f == IIDRFC7597 {
		return netip.AddrFrom4([4]byte(b[10:14])), binary.BigEndian.Uint16(b[14:16])
	}
	return netip.AddrFrom4([4]byte(b[9:13])), binary.BigEndian.Uint16(b[13:15])
}

func TestPropertyPortSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7597, 3))
	for i := range 300 {
		r := randomRule(rng)
		if err := r.Validate(); err != nil {
			t.Fatalf("rule %d %s: %v", i, r, err)
		}
		k, a := r.PSIDLen(), r.PSIDOffset
		m := 16 - a - k
		wantCount := 1<<(16-k) - 1<<m
		if a == 0 {
			wantCount = 1 << m
		}
		l, err := r.Line(randomIn(rng, r.IPv6Prefix))
		if err != nil {
			t.Fatal(err)
		}
		if l.PortCount() != wantCount {
			t.Fatalf("%s: PortCount %d, want %d", r, l.PortCount(), wantCount)
		}
		sum := 0
		for _, pr := range l.PortRanges() {
			sum += int(pr.Last-pr.First) + 1
		}
		if sum != wantCount {
			t.Fatalf("%s: ranges hold %d ports, want %d", r, sum, wantCount)
		}
		if k > 12 {
			continue // enumerating 2^k sets: the cheaper rules cover the property
		}
		// Sets of different PSIDs are disjoint and together cover every
		// port >= 2^(16-a) (every port when a = 0), and no other.
		owner := make([]int32, 65536)
		for psid := range 1 << k {
			pl := Line{Rule: r, PSID: uint16(psid), PSIDLen: k}
			for _, pr := range pl.PortRanges() {
				for p := int(pr.First); p <= int(pr.Last); p++ {
					if owner[p] != 0 {
						t.Fatalf("%s: port %d in the sets of PSIDs %d and %d", r, p, owner[p]-1, psid)
					}
					owner[p] = int32(psid) + 1
				}
			}
		}
		low := 0
		if a > 0 {
			low = 1 << (16 - a)
		}
		for p := range 65536 {
			psid, ok := r.PSIDOf(uint16(p))
			switch {
			case p < low && (owner[p] != 0 || ok):
				t.Fatalf("%s: port %d below 2^(16-a) is in a set", r, p)
			case p >= low && (owner[p] == 0 || !ok || int32(psid) != owner[p]-1):
				t.Fatalf("%s: port %d: owner %d, PSIDOf %d %v", r, p, owner[p]-1, psid, ok)
			}
			if l.HasPort(uint16(p)) != (owner[p]-1 == int32(l.PSID)) {
				t.Fatalf("%s: HasPort(%d) disagrees with the ranges", r, p)
			}
		}
	}
}

// address -> line -> (IPv4, port) -> BR direction -> same line and CE; the
// CE address carries the line's IPv4 and PSID.
func TestPropertyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7597, 4))
	for range 3000 {
		r := randomRule(rng)
		if rng.IntN(4) == 0 {
			// Some rules without sharing or with an IPv4 prefix.
			r.EALen = rng.IntN(32-r.IPv4Prefix.Bits()+1) + 0
			r.EALen = min(r.EALen, 64-r.IPv6Prefix.Bits())
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		a := randomIn(rng, r.IPv6Prefix)
		l, err := r.Line(a)
		if err != nil {
			t.Fatal(err)
		}
		if !l.EndUserPrefix.Contains(a) || l.EndUserPrefix.Bits() != r.EndUserPrefixLen() {
			t.Fatalf("%s: end-user prefix %s does not hold %s", r, l.EndUserPrefix, a)
		}
		if !l.EndUserPrefix.Contains(l.CE) || !r.IPv4Prefix.Contains(l.IPv4) || !l.IPv4Prefix.Contains(l.IPv4) {
			t.Fatalf("%s: line %+v", r, l)
		}
		v4, psid := decodeIID(l.CE, r.IID)
		if v4 != l.IPv4 || psid != l.PSID {
			t.Fatalf("%s: CE %s decodes to %s/%d, line has %s/%d", r, l.CE, v4, psid, l.IPv4, l.PSID)
		}
		rs := l.PortRanges()
		pr := rs[rng.IntN(len(rs))]
		port := pr.First + uint16(rng.IntN(int(pr.Last-pr.First)+1))
		// Any address of the line's IPv4 block with any port of its set.
		dst := randomIn(rng, l.IPv4Prefix)
		back, err := r.LineFor(dst, port)
		if err != nil {
			t.Fatalf("%s: LineFor(%s, %d): %v", r, dst, port, err)
		}
		if back != l {
			t.Fatalf("%s: LineFor(%s, %d) = %+v, want %+v", r, dst, port, back, l)
		}
		if l2, err := r.Line(back.CE); err != nil || l2 != l {
			t.Fatalf("%s: Line(CE %s) = %+v, %v", r, back.CE, l2, err)
		}
	}
}
