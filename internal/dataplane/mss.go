package dataplane

import (
	"encoding/binary"

	"github.com/dualpath/dualpath/internal/inetsum"
)

// ClampMSS lowers the TCP Maximum Segment Size option (RFC 9293 section
// 3.7.1) of a SYN (or SYN-ACK) in the IP packet pkt to at most mtu minus
// the IP and TCP base headers (40 bytes for IPv4, 60 for IPv6), fixing the
// TCP checksum incrementally (RFC 1624 eqn. 3) so a corrupt packet stays
// corrupt. It returns true if it changed the packet. Non-TCP packets,
// fragments other than the first, and SYNs whose MSS already fits pass
// unchanged.
func ClampMSS(pkt []byte, mtu int) bool {
	if len(pkt) < 1 {
		return false
	}
	var l4 int
	var max int
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < 20 {
			return false
		}
		ihl := int(pkt[0]&0x0f) * 4
		if ihl < 20 || pkt[9] != 6 || binary.BigEndian.Uint16(pkt[6:8])&0x1fff != 0 {
			return false // not TCP, or a non-first fragment
		}
		l4, max = ihl, mtu-40
	case 6:
		if len(pkt) < 40 {
			return false
		}
		// walk the common extension headers (RFC 8200 section 4)
		next, off := pkt[6], 40
		for next != 6 {
			switch next {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if len(pkt) < off+8 {
					return false
				}
				next, off = pkt[off], off+8+int(pkt[off+1])*8
			case 44: // fragment: only the first carries the TCP header
				if len(pkt) < off+8 || binary.BigEndian.Uint16(pkt[off+2:off+4])&0xfff8 != 0 {
					return false
				}
				next, off = pkt[off], off+8
			default:
				return false
			}
		}
		l4, max = off, mtu-60
	default:
		return false
	}
	if max <= 0 || len(pkt) < l4+20 {
		return false
	}
	tcp := pkt[l4:]
	if tcp[13]&0x02 == 0 { // SYN
		return false
	}
	doff := int(tcp[12]>>4) * 4
	if doff < 20 || doff > len(tcp) {
		return false
	}
	for i := 20; i < doff; {
		switch kind := tcp[i]; kind {
		case 0: // end of options
			return false
		case 1: // no-operation
			i++
			continue
		}
		if i+1 >= doff {
			return false
		}
		olen := int(tcp[i+1])
		if olen < 2 || i+olen > doff {
			return false
		}
		if tcp[i] == 2 && olen == 4 {
			mss := int(binary.BigEndian.Uint16(tcp[i+2:]))
			if mss <= max {
				return false
			}
			setChecked(tcp, 16, i+2, uint16(max))
			return true
		}
		i += olen
	}
	return false
}

// setChecked writes v big-endian at b[at:at+2] and updates the ones'
// complement checksum at b[csum:csum+2] for the change. at may be odd: the
// sum is taken over the aligned 16-bit words the two bytes touch.
func setChecked(b []byte, csum, at int, v uint16) {
	start := at &^ 1
	end := (at + 2 + 1) &^ 1
	if end > len(b) {
		// an odd field at the very end: pad with a virtual zero byte
		end = len(b)
	}
	old := inetsum.Fold(inetsum.Sum(0, b[start:end]))
	binary.BigEndian.PutUint16(b[at:], v)
	sum := uint32(^binary.BigEndian.Uint16(b[csum:])) + uint32(^old) + uint32(inetsum.Fold(inetsum.Sum(0, b[start:end])))
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[csum:], ^uint16(sum))
}
