package mapetun

import (
	"github.com/dualpath/dualpath/internal/inetsum"

	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/dualpath/dualpath/mape"
)

// The lab's rule: a=4, k=8, /40 -> /24, EA 16, draft-03 IIDs.
func labRule(t testing.TB) mape.Rule {
	r, err := mape.ParseRule("2001:db8:100::/40,198.51.100.0/24,16,4,2001:db8:ffff::1")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ipv4 builds an IPv4 packet with a TCP/UDP header (ports) or an ICMP header.
func ipv4(proto uint8, src, dst string, sport, dport uint16) []byte {
	p := make([]byte, 20+20)
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:4], uint16(len(p)))
	p[8] = 64
	p[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(p[12:], s[:])
	copy(p[16:], d[:])
	binary.BigEndian.PutUint16(p[10:12], inetsum.Checksum(0, p[:20]))
	switch proto {
	case protoICMP:
		p[20] = 8 // echo request
		binary.BigEndian.PutUint16(p[24:26], sport)
	default:
		binary.BigEndian.PutUint16(p[20:22], sport)
		binary.BigEndian.PutUint16(p[22:24], dport)
	}
	return p
}

// The router's line: EA bits 0x05 (IPv4 suffix) 0x12 (PSID), so ports
// A<<12 | 0x12<<4 | j: 4384-4399, 8480-8495, ...
var (
	ceAddr = netip.MustParseAddr("2001:db8:105:1200:c6:3364:500:1200") // draft-03: 00 | c6336405 | 0012 | 00
	shared = "198.51.100.5"
)

func TestBREncapFindsTheCEFromAddressAndPort(t *testing.T) {
	br := &BR{Rule: labRule(t)}
	for _, port := range []uint16{4384, 4399, 8480, 61743} {
		got, err := br.Encap(ipv4(protoTCP, "192.0.2.2", shared, 7007, port))
		if err != nil || got != ceAddr {
			t.Errorf("port %d: CE %v, %v; want %v", port, got, err, ceAddr)
		}
	}
	// Port 4400 has PSID 0x13: another customer's CE.
	other, err := br.Encap(ipv4(protoTCP, "192.0.2.2", shared, 7007, 4400))
	if err != nil || other == ceAddr {
		t.Errorf("port 4400 went to %v (%v), want another CE", other, err)
	}
	// Port 80 (and everything below 4096) belongs to nobody.
	if _, err := br.Encap(ipv4(protoTCP, "192.0.2.2", shared, 7007, 80)); err == nil {
		t.Error("port 80 of a shared address was mapped to a CE")
	}
	if _, err := br.Encap(ipv4(protoTCP, "192.0.2.2", "192.0.2.99", 7007, 4384)); err == nil {
		t.Error("an address outside the rule was mapped")
	}
}

func TestBRDecapChecksSourceAgainstCE(t *testing.T) {
	br := &BR{Rule: labRule(t)}
	if err := br.Decap(ceAddr, ipv4(protoUDP, shared, "192.0.2.2", 4390, 53)); err != nil {
		t.Errorf("own port refused: %v", err)
	}
	if err := br.Decap(ceAddr, ipv4(protoUDP, shared, "192.0.2.2", 4400, 53)); err == nil {
		t.Error("another customer's port accepted (spoofing)")
	}
	if err := br.Decap(netip.MustParseAddr("2001:db8:105:1200::99"), ipv4(protoUDP, shared, "192.0.2.2", 4390, 53)); err == nil {
		t.Error("packet from a non-CE address accepted")
	}
	if err := br.Decap(ceAddr, ipv4(protoTCP, shared, "192.0.2.2", 80, 53)); err == nil {
		t.Error("source port 80 accepted from a shared address")
	}
}

func TestCEOnlyItsPortSetCrosses(t *testing.T) {
	r := labRule(t)
	line, err := r.Line(netip.MustParseAddr("2001:db8:105:1200::"))
	if err != nil {
		t.Fatal(err)
	}
	if line.CE != ceAddr {
		t.Fatalf("mape gives CE %v, the test expects %v", line.CE, ceAddr)
	}
	br := netip.MustParseAddr("2001:db8:ffff::1")
	ce := &CE{Line: line, BR: br}
	if dst, err := ce.Encap(ipv4(protoTCP, shared, "192.0.2.2", 8490, 7007)); err != nil || dst != br {
		t.Errorf("NATed packet: %v %v", dst, err)
	}
	if _, err := ce.Encap(ipv4(protoTCP, "192.168.1.100", "192.0.2.2", 8490, 7007)); err == nil {
		t.Error("un-NATed private source sent to the BR")
	}
	if _, err := ce.Encap(ipv4(protoTCP, shared, "192.0.2.2", 40000, 7007)); err == nil {
		t.Error("source port outside the set sent to the BR")
	}
	if err := ce.Decap(br, ipv4(protoTCP, "192.0.2.2", shared, 7007, 8490)); err != nil {
		t.Errorf("reply refused: %v", err)
	}
	if err := ce.Decap(netip.MustParseAddr("2001:db8::66"), ipv4(protoTCP, "192.0.2.2", shared, 7007, 8490)); err == nil {
		t.Error("IPv4-in-IPv6 from a stranger accepted")
	}
	if err := ce.Decap(br, ipv4(protoTCP, "192.0.2.2", shared, 7007, 80)); err == nil {
		t.Error("port 80 delivered to the CE")
	}
}

func TestICMPEchoUsesIdentifierAndErrorsUseQuotedPorts(t *testing.T) {
	br := &BR{Rule: labRule(t)}
	if got, err := br.Encap(ipv4(protoICMP, "192.0.2.2", shared, 4385, 0)); err != nil || got != ceAddr {
		t.Errorf("echo with id 4385: %v %v", got, err)
	}
	// Port unreachable from the visitor about a UDP packet the line sent
	// from port 4386.
	quoted := ipv4(protoUDP, shared, "192.0.2.2", 4386, 9)
	e := Unreachable(netip.MustParseAddr("192.0.2.2"), 3, quoted)
	f, err := ParseIPv4(e)
	if err != nil || f.Dst.String() != shared || f.DstPort != 4386 {
		t.Fatalf("ICMP error flow %+v, %v", f, err)
	}
	if got, err := br.Encap(e); err != nil || got != ceAddr {
		t.Errorf("ICMP error routed to %v, %v", got, err)
	}
}

func TestUnreachableChecksums(t *testing.T) {
	e := Unreachable(netip.MustParseAddr("192.0.2.1"), 13, ipv4(protoTCP, "192.0.2.2", shared, 7007, 80))
	if inetsum.Checksum(0, e[:20]) != 0 || inetsum.Checksum(0, e[20:]) != 0 {
		t.Error("bad checksum")
	}
	if e[20] != 3 || e[21] != 13 || netip.AddrFrom4([4]byte(e[16:20])).String() != "192.0.2.2" {
		t.Errorf("wrong ICMP %x", e[:24])
	}
}

func TestParseIPv4RejectsBadHeaders(t *testing.T) {
	good := ipv4(protoTCP, "192.0.2.2", shared, 1, 2)
	bad := map[string][]byte{
		"short":   good[:19],
		"version": append([]byte{0x65}, good[1:]...),
		"ihl":     append([]byte{0x4f}, good[1:]...),
		"length":  good[:30],
	}
	for name, p := range bad {
		if _, err := ParseIPv4(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	frag := append([]byte(nil), good...)
	frag[7] = 1
	if _, err := ParseIPv4(frag); err != ErrFragment {
		t.Errorf("fragment: %v", err)
	}
}

func FuzzParseIPv4(f *testing.F) {
	f.Add(ipv4(protoTCP, "192.0.2.2", shared, 7007, 4384))
	f.Add(ipv4(protoICMP, "192.0.2.2", shared, 4385, 0))
	f.Add(Unreachable(netip.MustParseAddr("192.0.2.2"), 3, ipv4(protoUDP, shared, "192.0.2.2", 4386, 9)))
	br := &BR{Rule: labRule(f)}
	f.Fuzz(func(t *testing.T, p []byte) {
		fl, err := ParseIPv4(p)
		if err == nil && (!fl.Src.Is4() || !fl.Dst.Is4()) {
			t.Fatal("parsed without addresses")
		}
		_, _ = br.Encap(p)
		_ = br.Decap(ceAddr, p)
	})
}
