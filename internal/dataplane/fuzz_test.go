package dataplane

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/dualpath/dualpath/internal/inetsum"
	"github.com/dualpath/dualpath/pppoe"
)

// FuzzParseSessionFrame: any bytes decode without panicking, and an
// accepted frame's PPP frame is exactly LENGTH bytes inside the frame.
func FuzzParseSessionFrame(f *testing.F) {
	f.Add(BuildSessionFrame(macB, macA, 1, append([]byte{0x00, 0x21}, ipv4TCPSyn(nil)...)))
	f.Add(BuildSessionFrame(macB, macA, 1, []byte{0xc0, 0x21, 1, 1, 0, 4}))
	f.Fuzz(func(t *testing.T, frame []byte) {
		in, r := ParseSessionFrame(frame)
		if r != dropNone {
			return
		}
		if l := int(binary.BigEndian.Uint16(frame[18:20])); len(in.PPP) != l || 20+l > len(frame) {
			t.Fatalf("PPP %d bytes, LENGTH %d, frame %d", len(in.PPP), l, len(frame))
		}
		if !bytes.Equal(frame[20:20+len(in.PPP)], in.PPP) {
			t.Fatal("PPP does not alias the frame payload")
		}
	})
}

// FuzzClientInbound drives the client's receive path with arbitrary frames
// against a live session: no panic, IP packets come out at Headroom with
// the bytes of the frame's payload (MSS clamping aside), everything else
// is a control frame or a counted drop.
func FuzzClientInbound(f *testing.F) {
	f.Add(BuildSessionFrame(macA, macB, 0x1234, append([]byte{0x00, 0x21}, ipv4TCPSyn([]byte{2, 4, 5, 0xb4})...)))
	f.Add(BuildSessionFrame(macA, macB, 0x1234, append([]byte{0x57}, ipv6TCPSyn([]byte{1, 2, 4, 5, 0xa0, 0})...)))
	f.Add(BuildSessionFrame(macA, macB, 0x1234, []byte{0xc0, 0x21, 9, 1, 0, 8, 1, 2, 3, 4}))
	f.Fuzz(func(t *testing.T, frame []byte) {
		var control [][]byte
		c := NewClient(ClientConfig{OnControl: func(p []byte) { control = append(control, p) }})
		if err := c.SetSession(Session{ID: 0x1234, Local: macA, Peer: macB, MTU: 1454}); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, rxBufSize)
		n := copy(buf, frame)
		out := c.e.inbound(buf, n)
		s := c.Stats()
		var drops uint64
		for _, v := range s.Drops {
			drops += v
		}
		if got := s.RxPackets + uint64(len(control)) + drops; got != 1 {
			t.Fatalf("frame accounted %d times: %+v control=%d", got, s, len(control))
		}
		if out != nil {
			if len(out) < Headroom+20 || (out[Headroom]>>4 != 4 && out[Headroom]>>4 != 6) {
				t.Fatalf("bad packet out: % x", out)
			}
		}
	})
}

// FuzzACInbound drives the AC's receive path (frames from any client on
// the LAN) against two sessions: no panic, and every frame is accounted for
// exactly once.
func FuzzACInbound(f *testing.F) {
	f.Add(BuildSessionFrame(macA, macB, 9, append([]byte{0x00, 0x21}, ipv4TCPSyn([]byte{2, 4, 5, 0xb4})...)))
	f.Add(BuildSessionFrame(macA, macB, 10, []byte{0xc2, 0x23, 2, 1, 0, 4}))
	f.Fuzz(func(t *testing.T, frame []byte) {
		var control int
		a := NewAC(ACConfig{OnControl: func(uint16, pppoe.MAC, []byte) { control++ }})
		for _, id := range []uint16{9, 10} {
			if err := a.AddSession(Session{ID: id, Local: macA, Peer: macB, MTU: 1492}); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, rxBufSize)
		out := a.e.inbound(buf, copy(buf, frame))
		s := a.Stats()
		var drops uint64
		for _, v := range s.Drops {
			drops += v
		}
		if got := s.RxPackets + uint64(control) + drops; got != 1 {
			t.Fatalf("frame accounted %d times", got)
		}
		if (out != nil) != (s.RxPackets == 1) {
			t.Fatalf("packet out %v but RxPackets %d", out != nil, s.RxPackets)
		}
	})
}

// FuzzACOutbound drives the AC's send path with arbitrary packets from the
// TUN: no panic; a frame comes out only for a routed destination and then
// carries the packet unchanged apart from MSS clamping.
func FuzzACOutbound(f *testing.F) {
	f.Add(ipv4TCPSyn([]byte{2, 4, 0x05, 0xb4}))
	f.Add(ipv6TCPSyn(nil))
	f.Add([]byte{0x45})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > maxPacket {
			return
		}
		a := NewAC(ACConfig{})
		if err := a.AddSession(Session{ID: 9, Local: macA, Peer: macB, MTU: 1454},
			netip.MustParsePrefix("198.51.100.2/32"), netip.MustParsePrefix("2001:db8::/32")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, Headroom+maxPacket)
		n := copy(buf[Headroom:], pkt)
		frame := a.e.outbound(buf, n)
		if frame == nil {
			return
		}
		in, r := ParseSessionFrame(frame)
		if r != dropNone && !(r == DropBadLength && len(frame) <= minEthFrame) {
			t.Fatalf("own frame does not parse: %v", r)
		}
		if in.SessionID != 9 || in.Src != macA || len(in.Payload) != len(pkt) {
			t.Fatalf("frame %+v for packet of %d bytes", in, len(pkt))
		}
	})
}

// FuzzClampMSS: no panic, and a packet whose TCP checksum was right stays
// right.
func FuzzClampMSS(f *testing.F) {
	f.Add(ipv4TCPSyn([]byte{2, 4, 0x05, 0xb4}), 1454)
	f.Add(ipv4TCPSyn([]byte{1, 2, 4, 0x05, 0xb4, 0, 0, 0}), 1300)
	f.Add(ipv6TCPSyn([]byte{2, 4, 0x05, 0xa0}), 1454)
	f.Fuzz(func(t *testing.T, pkt []byte, mtu int) {
		valid := checksumOK(pkt)
		ClampMSS(pkt, mtu)
		if valid && !checksumOK(pkt) {
			t.Fatal("clamping broke a valid checksum")
		}
	})
}

// checksumOK reports whether pkt is a plain IPv4/IPv6 TCP packet (no
// extension headers) with a correct TCP checksum.
func checksumOK(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch p[0] >> 4 {
	case 4:
		if len(p) < 20 || p[9] != 6 {
			return false
		}
		ihl := int(p[0]&0xf) * 4
		if ihl < 20 || len(p) < ihl+20 {
			return false
		}
	case 6:
		if len(p) < 60 || p[6] != 6 {
			return false
		}
	default:
		return false
	}
	return tcpSum(p) == 0xffff
}

// FuzzPacketTooBig: any oversize packet from the TUN yields either no
// answer or a well-formed ICMP error of at most 1280 bytes.
func FuzzPacketTooBig(f *testing.F) {
	v4 := ipv4TCPSyn(make([]byte, 1480))
	v4[6] |= 0x40
	f.Add(v4)
	f.Add(ipv6TCPSyn(make([]byte, 1480)))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		buf := make([]byte, Headroom+1280)
		out := packetTooBig(buf, pkt, 1454)
		if out == nil {
			return
		}
		if len(out) > 1280 || ipProto(out) == 0 {
			t.Fatalf("bad ICMP error of %d bytes", len(out))
		}
		if out[0]>>4 == 4 && (inetsum.Fold(inetsum.Sum(0, out[:20])) != 0xffff || inetsum.Fold(inetsum.Sum(0, out[20:])) != 0xffff) {
			t.Fatal("bad IPv4/ICMP checksum")
		}
	})
}
