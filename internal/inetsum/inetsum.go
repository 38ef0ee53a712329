// Package inetsum is the Internet checksum (RFC 1071) shared by every place
// that builds or rewrites IPv4, IPv6, TCP, UDP and ICMP headers: the data
// plane's MSS clamp and packet-too-big answers, the lab's MAP-E tunnel, and
// doctor's probes.
package inetsum

// Sum adds b to the running ones' complement sum as 16-bit big-endian words
// (an odd last byte is padded with zero). The result is not folded, so sums
// of several pieces (a pseudo-header, then the segment) chain.
func Sum(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
		if sum >= 0x80000000 {
			sum = sum&0xffff + sum>>16
		}
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

// Fold reduces a running sum to 16 bits with end-around carry.
func Fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}

// Checksum is the Internet checksum of b, continuing the running sum: the
// complement of the folded sum. A packet whose checksum field is right sums
// to 0 (Checksum(0, packet) == 0).
func Checksum(sum uint32, b []byte) uint16 { return ^Fold(Sum(sum, b)) }
