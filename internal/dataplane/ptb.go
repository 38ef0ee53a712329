package dataplane

import (
	"github.com/dualpath/dualpath/internal/inetsum"

	"encoding/binary"
)

// packetTooBig builds the ICMP error that tells the local stack a packet
// from the TUN did not fit the session MTU, so path MTU discovery lowers
// the route's MTU (RFC 1191 section 4 for IPv4: Destination Unreachable,
// Fragmentation Needed, with the next-hop MTU; RFC 8201 / RFC 4443 section
// 3.2 for IPv6: Packet Too Big). It returns nil when no error is due: an
// IPv4 packet without DF (the stack would not resend it smaller), ICMP
// errors themselves, or malformed packets. The error's source is the
// original destination (the far side of the point-to-point link), its
// destination the original source. The result is written to b[Headroom:]
// and returned without the headroom.
func packetTooBig(b []byte, pkt []byte, mtu int) []byte {
	out := b[Headroom:Headroom]
	switch ipProto(pkt) {
	case ProtoIPv4:
		ihl := int(pkt[0]&0x0f) * 4
		if ihl < 20 || len(pkt) < ihl+8 || pkt[6]&0x40 == 0 { // DF
			return nil
		}
		if pkt[9] == 1 && pkt[ihl] != 0 && pkt[ihl] != 8 { // ICMP error: never answer one
			return nil
		}
		quote := pkt[:ihl+8] // RFC 792: IP header + 64 bits of data
		total := 20 + 8 + len(quote)
		out = append(out, 0x45, 0, byte(total>>8), byte(total), 0, 0, 0, 0, 64, 1, 0, 0)
		out = append(out, pkt[16:20]...) // source: the original destination
		out = append(out, pkt[12:16]...) // destination: the original source
		binary.BigEndian.PutUint16(out[10:], inetsum.Checksum(0, out[:20]))
		out = append(out, 3, 4, 0, 0, 0, 0, byte(mtu>>8), byte(mtu))
		out = append(out, quote...)
		binary.BigEndian.PutUint16(out[22:], inetsum.Checksum(0, out[20:]))
		return out
	case ProtoIPv6:
		if pkt[6] == 58 && len(pkt) > 40 && pkt[40] < 128 { // ICMPv6 error
			return nil
		}
		// RFC 4443 section 2.4 (c): as much of the packet as fits in the
		// minimum IPv6 MTU.
		quote := pkt
		if max := 1280 - 40 - 8; len(quote) > max {
			quote = quote[:max]
		}
		plen := 8 + len(quote)
		out = append(out, 0x60, 0, 0, 0, byte(plen>>8), byte(plen), 58, 64)
		out = append(out, pkt[24:40]...)
		out = append(out, pkt[8:24]...)
		out = append(out, 2, 0, 0, 0, byte(mtu>>24), byte(mtu>>16), byte(mtu>>8), byte(mtu))
		out = append(out, quote...)
		// checksum over the pseudo-header (RFC 8200 section 8.1)
		var pseudo [40]byte
		copy(pseudo[:32], out[8:40])
		binary.BigEndian.PutUint32(pseudo[32:], uint32(plen))
		pseudo[39] = 58
		s := uint32(inetsum.Fold(inetsum.Sum(0, pseudo[:]))) + uint32(inetsum.Fold(inetsum.Sum(0, out[40:])))
		for s > 0xffff {
			s = s>>16 + s&0xffff
		}
		binary.BigEndian.PutUint16(out[42:], ^uint16(s))
		return out
	}
	return nil
}
