package mape

import (
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"testing"
)

// vectorFile mirrors testdata/vectors.json (RFC 7597 Appendix A and
// draft-ietf-softwire-map-03 interface-identifier vectors).
type vectorFile struct {
	Vectors []struct {
		Name               string `json:"name"`
		EndUserPrefix      string `json:"end_user_prefix"`
		RuleIPv6           string `json:"rule_ipv6"`
		RuleIPv4           string `json:"rule_ipv4"`
		EALen              int    `json:"ea_len"`
		PSIDOffset         int    `json:"psid_offset"`
		IIDFormat          string `json:"iid_format"`
		PSIDProvisioned    *int   `json:"psid_provisioned"`
		PSIDLenProvisioned *int   `json:"psid_len_provisioned"`
		Expected           struct {
			IPv4 string `json:"ipv4"`
			PSID int    `json:"psid"`
			CE   string `json:"ce"`
		} `json:"expected"`
		Computed struct {
			PSIDLen     int      `json:"psid_len"`
			RangesCount int      `json:"port_ranges_count"`
			First       []uint16 `json:"first_range"`
			Second      []uint16 `json:"second_range"`
			Last        []uint16 `json:"last_range"`
			Total       int      `json:"total_ports"`
		} `json:"computed"`
	} `json:"vectors"`
}

func TestVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(b, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Vectors) < 5 {
		t.Fatalf("only %d vectors", len(vf.Vectors))
	}
	for _, v := range vf.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			r := Rule{
				IPv6Prefix: netip.MustParsePrefix(v.RuleIPv6),
				IPv4Prefix: netip.MustParsePrefix(v.RuleIPv4),
				EALen:      v.EALen,
				PSIDOffset: v.PSIDOffset,
				IID:        IIDDraft03,
			}
			if v.IIDFormat == "RFC7597" {
				r.IID = IIDRFC7597
			}
			eu := netip.MustParsePrefix(v.EndUserPrefix)
			var l Line
			if v.PSIDProvisioned != nil {
				l, err = r.LineProvisioned(eu.Addr(), *v.PSIDLenProvisioned, uint16(*v.PSIDProvisioned))
			} else {
				l, err = r.Line(eu.Addr())
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := l.IPv4, netip.MustParseAddr(v.Expected.IPv4); got != want {
				t.Errorf("IPv4 = %s, want %s", got, want)
			}
			if int(l.PSID) != v.Expected.PSID {
				t.Errorf("PSID = %d, want %d", l.PSID, v.Expected.PSID)
			}
			if got, want := l.CE, netip.MustParseAddr(v.Expected.CE); got != want {
				t.Errorf("CE = %s, want %s", got, want)
			}
			if l.EndUserPrefix != eu {
				t.Errorf("end-user prefix = %s, want %s", l.EndUserPrefix, eu)
			}
			// A /64 SLAAC address inside the prefix gives the same line.
			slaac := eu.Addr().As16()
			slaac[7] |= 0x01
			slaac[15] = 0x42
			if l2, err := r.Line(netip.AddrFrom16(slaac)); v.PSIDProvisioned == nil && (err != nil || l2 != l) {
				t.Errorf("line of SLAAC address %s = %+v, %v; want %+v", netip.AddrFrom16(slaac), l2, err, l)
			}
			rs := l.PortRanges()
			if v.Computed.RangesCount == 0 {
				// The vector file counts "no port set" as 0 ranges; with
				// no sharing the CE owns every port (RFC 7597 5.2, o+r=32).
				if l.Shared() || l.PortCount() != 65536 || !slices.Equal(rs, []PortRange{{0, 65535}}) {
					t.Errorf("unshared line: ranges %v count %d", rs, l.PortCount())
				}
				return
			}
			if l.PSIDLen != v.Computed.PSIDLen {
				t.Errorf("PSID length = %d, want %d", l.PSIDLen, v.Computed.PSIDLen)
			}
			if len(rs) != v.Computed.RangesCount {
				t.Fatalf("%d ranges, want %d", len(rs), v.Computed.RangesCount)
			}
			for _, c := range []struct {
				got  PortRange
				want []uint16
			}{{rs[0], v.Computed.First}, {rs[1], v.Computed.Second}, {rs[len(rs)-1], v.Computed.Last}} {
				if c.got != (PortRange{c.want[0], c.want[1]}) {
					t.Errorf("range %v, want %v", c.got, c.want)
				}
			}
			if l.PortCount() != v.Computed.Total {
				t.Errorf("port count %d, want %d", l.PortCount(), v.Computed.Total)
			}
			// BR direction: every port of the set maps back to this line.
			for _, pr := range []PortRange{rs[0], rs[len(rs)-1]} {
				back, err := r.LineFor(l.IPv4, pr.Last)
				if err != nil {
					t.Fatal(err)
				}
				if v.PSIDProvisioned == nil && back != l {
					t.Errorf("LineFor(%s, %d) = %+v, want %+v", l.IPv4, pr.Last, back, l)
				}
			}
		})
	}
}

// RFC 7597 Appendix A, examples 1-3 and 4, written out from the RFC text.
func TestRFC7597AppendixA(t *testing.T) {
	bmr := Rule{
		IPv6Prefix: netip.MustParsePrefix("2001:db8::/40"),
		IPv4Prefix: netip.MustParsePrefix("192.0.2.0/24"),
		EALen:      16,
		PSIDOffset: 6,
		IID:        IIDRFC7597,
	}
	// Example 1: end-user prefix 2001:db8:0012:3400::/56.
	l, err := bmr.Line(netip.MustParseAddr("2001:db8:12:3400::"))
	if err != nil {
		t.Fatal(err)
	}
	if l.IPv4 != netip.MustParseAddr("192.0.2.18") || l.PSID != 0x34 || l.PSIDLen != 8 {
		t.Errorf("example 1: IPv4 %s PSID %#x k %d", l.IPv4, l.PSID, l.PSIDLen)
	}
	if l.CE != netip.MustParseAddr("2001:db8:12:3400:0:c000:212:34") {
		t.Errorf("example 1: CE %s", l.CE)
	}
	if l.EndUserPrefix != netip.MustParsePrefix("2001:db8:12:3400::/56") {
		t.Errorf("example 1: end-user prefix %s", l.EndUserPrefix)
	}
	// Example 1's port set: 1232-1235, 2256-2259, ..., 63696-63699, 64720-64723.
	rs := l.PortRanges()
	if rs[0] != (PortRange{1232, 1235}) || rs[1] != (PortRange{2256, 2259}) ||
		rs[len(rs)-2] != (PortRange{63696, 63699}) || rs[len(rs)-1] != (PortRange{64720, 64723}) {
		t.Errorf("example 1 ranges: %v", rs)
	}
	// Example 2 (BR): IPv4 192.0.2.18 port 1232 -> PSID 0x34 -> CE address
	// 2001:db8:0012:3400:0000:c000:0212:0034.
	br, err := bmr.LineFor(netip.MustParseAddr("192.0.2.18"), 1232)
	if err != nil {
		t.Fatal(err)
	}
	if br.CE != netip.MustParseAddr("2001:db8:12:3400:0:c000:212:34") || br.PSID != 0x34 {
		t.Errorf("example 2: CE %s PSID %#x", br.CE, br.PSID)
	}
	if psid, ok := bmr.PSIDOf(1232); !ok || psid != 0x34 {
		t.Errorf("PSIDOf(1232) = %d, %v", psid, ok)
	}
	if _, ok := bmr.PSIDOf(1023); ok {
		t.Error("PSIDOf(1023) is in a set with a = 6")
	}
	if _, err := bmr.LineFor(netip.MustParseAddr("192.0.2.18"), 80); err == nil {
		t.Error("LineFor port 80 with a = 6: no error")
	}
	// Example 3 (FMR): a CE of another rule sends to 192.0.2.18:1232; it
	// uses the same rule and reaches the same CE address.
	// Example 4: no EA bits, no sharing: 2001:db8:0012:3400::/56 with
	// 192.0.2.18/32 and o = 0.
	r4 := Rule{
		IPv6Prefix: netip.MustParsePrefix("2001:db8:12:3400::/56"),
		IPv4Prefix: netip.MustParsePrefix("192.0.2.18/32"),
		PSIDOffset: 6,
		IID:        IIDRFC7597,
	}
	l4, err := r4.Line(netip.MustParseAddr("2001:db8:12:3400::1"))
	if err != nil {
		t.Fatal(err)
	}
	if l4.IPv4 != netip.MustParseAddr("192.0.2.18") || l4.PSID != 0 || l4.Shared() ||
		l4.CE != netip.MustParseAddr("2001:db8:12:3400:0:c000:212:0") || !l4.HasPort(80) {
		t.Errorf("example 4: %+v", l4)
	}
}

// o < p: the rule hands out IPv4 prefixes (RFC 7597 5.2, o + r < 32).
func TestIPv4PrefixRule(t *testing.T) {
	r := Rule{
		IPv6Prefix: netip.MustParsePrefix("2001:db8::/48"),
		IPv4Prefix: netip.MustParsePrefix("198.51.100.0/24"),
		EALen:      4, // 198.51.100.0/28 per /52
		IID:        IIDRFC7597,
	}
	if r.PSIDLen() != -4 {
		t.Fatalf("PSIDLen = %d", r.PSIDLen())
	}
	l, err := r.Line(netip.MustParseAddr("2001:db8:0:5000::1"))
	if err != nil {
		t.Fatal(err)
	}
	if l.IPv4Prefix != netip.MustParsePrefix("198.51.100.80/28") || l.EndUserPrefix != netip.MustParsePrefix("2001:db8:0:5000::/52") {
		t.Errorf("line %+v", l)
	}
	if l.CE != netip.MustParseAddr("2001:db8:0:5000:0:c633:6450:0") || l.PortCount() != 65536 {
		t.Errorf("CE %s ports %d", l.CE, l.PortCount())
	}
	back, err := r.LineFor(netip.MustParseAddr("198.51.100.93"), 80)
	if err != nil || back != l {
		t.Errorf("LineFor = %+v, %v; want %+v", back, err, l)
	}
}

func TestIIDFormats(t *testing.T) {
	r := Rule{IID: IIDDraft03}
	eu := netip.MustParsePrefix("2001:db8:5555:5500::/56")
	v4 := netip.MustParseAddr("10.1.85.85")
	if got := r.CEAddress(eu, v4, 21); got != netip.MustParseAddr("2001:db8:5555:5500:a:155:5500:1500") {
		t.Errorf("draft03 CE %s", got)
	}
	r.IID = IIDRFC7597
	if got := r.CEAddress(eu, v4, 21); got != netip.MustParseAddr("2001:db8:5555:5500:0:a01:5555:15") {
		t.Errorf("rfc7597 CE %s", got)
	}
	for _, f := range []IIDFormat{IIDDraft03, IIDRFC7597} {
		g, err := ParseIIDFormat(f.String())
		if err != nil || g != f {
			t.Errorf("ParseIIDFormat(%q) = %v, %v", f.String(), g, err)
		}
	}
	if _, err := ParseIIDFormat("eui64"); err == nil {
		t.Error("ParseIIDFormat(eui64): no error")
	}
}
