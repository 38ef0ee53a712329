package probe

import (
	"github.com/dualpath/dualpath/internal/inetsum"

	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/dualpath/dualpath/pppoe"
)

var (
	clientMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x10}
	serverMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
)

// offerFrame builds a DHCPOFFER the way a server would (RFC 2131 4.3.1).
func offerFrame(xid uint32, server, yiaddr netip.Addr, extra ...byte) []byte {
	m := make([]byte, dhcpFixedLen)
	m[0], m[1], m[2] = bootReply, 1, 6
	binary.BigEndian.PutUint32(m[4:], xid)
	y := yiaddr.As4()
	copy(m[16:], y[:])
	copy(m[28:], clientMAC)
	m = append(m, magicCookie...)
	s := server.As4()
	m = append(m, optMsgType, 1, dhcpOffer, optServerID, 4, s[0], s[1], s[2], s[3])
	m = append(m, optRouter, 4, s[0], s[1], s[2], s[3], optSubnetMask, 4, 255, 255, 255, 0)
	m = append(m, optLeaseTime, 4, 0, 0, 0x0e, 0x10)
	m = append(m, extra...)
	m = append(m, optEnd)
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[0:], 67)
	binary.BigEndian.PutUint16(udp[2:], 68)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(m)))
	udp = append(udp, m...)
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
	ip[8], ip[9] = 64, 17
	copy(ip[12:], s[:])
	copy(ip[16:], []byte{255, 255, 255, 255})
	f := appendEth(nil, broadcastMAC, serverMAC, EtherTypeIPv4)
	return append(append(f, ip...), udp...)
}

func TestDiscover(t *testing.T) {
	f := BuildDiscover(clientMAC, 0xdeadbeef)
	src, et, p, err := parseEth(f)
	if err != nil || et != EtherTypeIPv4 || !bytes.Equal(src, clientMAC) || !bytes.Equal(f[:6], broadcastMAC) {
		t.Fatalf("ethernet: %v %x %v", err, et, src)
	}
	if inetsum.Checksum(0, p[:20]) != 0 {
		t.Fatal("IPv4 header checksum wrong")
	}
	udp := p[20:]
	var ps uint32 = 0xffff + 0xffff + 17 + uint32(len(udp))
	if inetsum.Checksum(ps, udp) != 0 {
		t.Fatal("UDP checksum wrong")
	}
	m := udp[8:]
	if len(m) < 300 || m[0] != bootRequest || binary.BigEndian.Uint32(m[4:]) != 0xdeadbeef ||
		binary.BigEndian.Uint16(m[10:]) != 0x8000 || !bytes.Equal(m[28:34], clientMAC) ||
		!bytes.Equal(m[236:240], magicCookie) || m[240] != optMsgType || m[242] != dhcpDiscover {
		t.Fatalf("BOOTP message wrong: % x", m[:250])
	}
}

func TestParseOffer(t *testing.T) {
	srv, y := netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("192.168.1.150")
	o, err := ParseOffer(offerFrame(7, srv, y, optDNS, 8, 192, 168, 1, 1, 192, 168, 1, 2), clientMAC, 7)
	if err != nil {
		t.Fatal(err)
	}
	if o.ServerIP != srv || o.YourIP != y || o.ServerMAC.String() != serverMAC.String() || o.LeaseSecs != 3600 ||
		len(o.Routers) != 1 || len(o.DNS) != 2 || o.SubnetMask.String() != "255.255.255.0" {
		t.Fatalf("offer: %+v", o)
	}
	if _, err := ParseOffer(offerFrame(8, srv, y), clientMAC, 7); err != ErrNotForUs {
		t.Fatalf("other xid: %v", err)
	}
	if _, err := ParseOffer(offerFrame(7, srv, y), serverMAC, 7); err != ErrNotForUs {
		t.Fatalf("other client: %v", err)
	}
	// An ACK is not an offer.
	f := offerFrame(7, srv, y)
	f[14+20+8+dhcpFixedLen+4+2] = 5
	if _, err := ParseOffer(f, clientMAC, 7); err != ErrNotForUs {
		t.Fatalf("ACK: %v", err)
	}
	// Overrunning option.
	bad := offerFrame(7, srv, y, 12, 200)
	if _, err := ParseOffer(bad, clientMAC, 7); err == nil {
		t.Fatal("accepted an overrunning option")
	}
	if _, err := ParseOffer(f[:40], clientMAC, 7); err == nil {
		t.Fatal("accepted a truncated frame")
	}
}

func TestARP(t *testing.T) {
	target := netip.MustParseAddr("192.168.1.1")
	probe := BuildARPProbe(clientMAC, target)
	if len(probe) != 60 || !bytes.Equal(probe[14+14:14+18], []byte{0, 0, 0, 0}) {
		t.Fatalf("probe must carry sender IP 0.0.0.0: % x", probe)
	}
	// Another host probing the same address (RFC 5227 2.1.1).
	a, err := ParseARP(probe)
	if err != nil || a.Addr != target || !a.Probe {
		t.Fatalf("probe as seen by others: %+v %v", a, err)
	}
	// A reply from the owner.
	reply := append([]byte(nil), probe...)
	copy(reply[0:6], clientMAC)
	copy(reply[6:12], serverMAC)
	reply[14+7] = arpReply
	copy(reply[14+8:], serverMAC)
	copy(reply[14+14:], []byte{192, 168, 1, 1})
	copy(reply[14+18:], clientMAC)
	copy(reply[14+24:], []byte{0, 0, 0, 0})
	a, err = ParseARP(reply)
	if err != nil || a.Addr != target || a.Probe || a.MAC.String() != serverMAC.String() {
		t.Fatalf("reply: %+v %v", a, err)
	}
	if _, err := ParseARP(reply[:30]); err == nil {
		t.Fatal("accepted truncated ARP")
	}
}

// raFrame builds an RA from fe80::1 with a prefix and an SLLAO.
func raFrame(hop byte) []byte {
	src, dst := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::1")
	msg := []byte{icmpv6RA, 0, 0, 0, 64, 0x40, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}
	msg = append(msg, ndOptSourceLL, 1)
	msg = append(msg, serverMAC...)
	pi := make([]byte, 32)
	pi[0], pi[1], pi[2], pi[3] = ndOptPrefixInfo, 4, 64, 0xc0
	binary.BigEndian.PutUint32(pi[4:], 86400)
	binary.BigEndian.PutUint32(pi[8:], 14400)
	p := netip.MustParseAddr("2001:db8:12:3400::").As16()
	copy(pi[16:], p[:])
	msg = append(msg, pi...)
	msg = append(msg, ndOptMTU, 1, 0, 0, 0, 0, 0x05, 0xaa)
	binary.BigEndian.PutUint16(msg[2:], icmpv6Checksum(src, dst, msg))
	f := appendEth(nil, net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, serverMAC, EtherTypeIPv6)
	f = append(f, 0x60, 0, 0, 0)
	f = binary.BigEndian.AppendUint16(f, uint16(len(msg)))
	f = append(f, nextHeaderICMP6, hop)
	s, d := src.As16(), dst.As16()
	f = append(append(f, s[:]...), d[:]...)
	return append(f, msg...)
}

func TestRSAndRA(t *testing.T) {
	rs := BuildRS(clientMAC)
	p := rs[14:]
	if p[7] != 255 || p[6] != 58 || rs[54] != icmpv6RS {
		t.Fatalf("RS: % x", rs)
	}
	if icmpv6Checksum(netip.IPv6Unspecified(), allRouters, p[40:]) != 0 {
		t.Fatal("RS checksum wrong")
	}
	ra, err := ParseRA(raFrame(255))
	if err != nil {
		t.Fatal(err)
	}
	if ra.Source.String() != "fe80::1" || ra.Lifetime != 1800*time.Second || !ra.Other || ra.Managed ||
		ra.LLAddr.String() != serverMAC.String() || ra.MTU != 1450 || len(ra.Prefixes) != 1 ||
		ra.Prefixes[0].Prefix.String() != "2001:db8:12:3400::/64" || !ra.Prefixes[0].Autonomous {
		t.Fatalf("RA: %+v", ra)
	}
	if _, err := ParseRA(raFrame(64)); err == nil {
		t.Fatal("accepted an RA with hop limit 64 (RFC 4861 6.1.2)")
	}
	bad := raFrame(255)
	bad[len(bad)-1] ^= 1
	if _, err := ParseRA(bad); err == nil {
		t.Fatal("accepted a bad checksum")
	}
	if _, err := ParseRA(rs); err != ErrNotForUs {
		t.Fatalf("RS parsed as RA: %v", err)
	}
}

func padoFrame(hu []byte, name string, services ...string) []byte {
	p := &pppoe.Packet{Code: pppoe.CodePADO}
	p.Add(pppoe.TagACName, []byte(name))
	for _, s := range services {
		p.Add(pppoe.TagServiceName, []byte(s))
	}
	p.Add(pppoe.TagHostUniq, hu).Add(pppoe.TagACCookie, []byte{1, 2, 3, 4})
	b, _ := p.Marshal()
	return append(appendEth(nil, clientMAC, serverMAC, EtherTypePPPoEDisc), b...)
}

func TestPADI(t *testing.T) {
	hu := []byte("doctor01")
	f := BuildPADI(clientMAC, hu)
	p, err := pppoe.ParseDiscovery(f[14:])
	if err != nil || p.Code != pppoe.CodePADI || !bytes.Equal(f[:6], broadcastMAC) {
		t.Fatalf("PADI: %v %+v", err, p)
	}
	if v, ok := p.Tag(pppoe.TagHostUniq); !ok || !bytes.Equal(v, hu) {
		t.Fatal("PADI lacks Host-Uniq")
	}
	if _, ok := p.Tag(pppoe.TagServiceName); !ok {
		t.Fatal("PADI lacks Service-Name (RFC 2516 5.1: exactly one)")
	}
	ac, err := ParsePADO(padoFrame(hu, "rlab-ac", "rlab-svc", "other"), hu)
	if err != nil || ac.Name != "rlab-ac" || len(ac.ServiceNames) != 2 || !ac.Cookie || ac.MAC.String() != serverMAC.String() {
		t.Fatalf("PADO: %+v %v", ac, err)
	}
	if _, err := ParsePADO(padoFrame([]byte("someone"), "x"), hu); err != ErrNotForUs {
		t.Fatalf("foreign Host-Uniq: %v", err)
	}
}

func FuzzParseOffer(f *testing.F) {
	f.Add(offerFrame(7, netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("192.168.1.150")))
	f.Add(BuildDiscover(clientMAC, 7))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOffer(b, clientMAC, 7)
		if err == nil && (!o.ServerIP.IsValid() || !o.YourIP.Is4()) {
			t.Fatalf("accepted offer without addresses: %+v", o)
		}
	})
}

func FuzzParseARP(f *testing.F) {
	f.Add(BuildARPProbe(clientMAC, netip.MustParseAddr("192.168.1.1")))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseARP(b)
		if err == nil && !a.Addr.Is4() {
			t.Fatalf("claim without an IPv4 address: %+v", a)
		}
	})
}

func FuzzParseRA(f *testing.F) {
	f.Add(raFrame(255))
	f.Add(BuildRS(clientMAC))
	f.Fuzz(func(t *testing.T, b []byte) {
		ra, err := ParseRA(b)
		if err == nil && !ra.Source.IsLinkLocalUnicast() {
			t.Fatalf("RA from non-link-local %v", ra.Source)
		}
	})
}

func FuzzParsePADO(f *testing.F) {
	hu := []byte("doctor01")
	f.Add(padoFrame(hu, "rlab-ac", "rlab-svc"))
	f.Add(BuildPADI(clientMAC, hu))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParsePADO(b, hu)
	})
}
