// Package mapetun is the lab's MAP-E in userspace: a border relay (BR) for
// the ISP and a customer edge (CE) for the IPoE home router, each moving
// IPv4 packets between a TUN device and IPv4-in-IPv6 (RFC 2473, next header
// 4) carried by a raw IPv6 socket. The machine's kernel has no ip6tnl, so
// the lab does it here; the address and port mapping is package mape's.
//
// The decisions (which CE gets a packet, whether a packet may enter or
// leave) are pure functions over packet bytes, tested and fuzzed; the Linux
// glue is in tunnel_linux.go.
package mapetun

import (
	"github.com/dualpath/dualpath/internal/inetsum"

	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// IP protocol numbers used here.
const (
	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
)

// Flow is what MAP-E needs to know of an IPv4 packet: its addresses and the
// port that selects a port set on each side. For TCP and UDP these are the
// ports; for ICMP echo the identifier stands for both (RFC 7597 section 8.2
// treats the ICMP identifier as the port). For an ICMP error, the flow is the
// one of the packet it quotes, reversed (the error travels back along it).
type Flow struct {
	Proto    uint8
	Src, Dst netip.Addr
	SrcPort  uint16
	DstPort  uint16
	HasPorts bool // false for non-first fragments and other protocols
}

// Errors of ParseIPv4.
var (
	ErrShort    = errors.New("packet too short for an IPv4 header")
	ErrVersion  = errors.New("not an IPv4 packet")
	ErrHeader   = errors.New("bad IPv4 header length")
	ErrLength   = errors.New("IPv4 total length disagrees with the packet")
	ErrFragment = errors.New("non-first fragment: no ports to map")
)

// ParseIPv4 reads the flow of an IPv4 packet (RFC 791 section 3.1), checking
// the header and total lengths against the bytes at hand.
func ParseIPv4(p []byte) (Flow, error) {
	return parseIPv4(p, true)
}

func parseIPv4(p []byte, outer bool) (Flow, error) {
	if len(p) < 20 {
		return Flow{}, ErrShort
	}
	if p[0]>>4 != 4 {
		return Flow{}, ErrVersion
	}
	ihl := int(p[0]&0x0f) * 4
	if ihl < 20 || ihl > len(p) {
		return Flow{}, ErrHeader
	}
	total := int(binary.BigEndian.Uint16(p[2:4]))
	if total < ihl || (outer && total != len(p)) {
		return Flow{}, ErrLength
	}
	f := Flow{
		Proto: p[9],
		Src:   netip.AddrFrom4([4]byte(p[12:16])),
		Dst:   netip.AddrFrom4([4]byte(p[16:20])),
	}
	fragOff := binary.BigEndian.Uint16(p[6:8]) & 0x1fff
	if fragOff != 0 {
		return f, ErrFragment
	}
	l4 := p[ihl:]
	switch f.Proto {
	case protoTCP, protoUDP:
		if len(l4) < 4 {
			return f, fmt.Errorf("%s header truncated", protoName(f.Proto))
		}
		f.SrcPort = binary.BigEndian.Uint16(l4[0:2])
		f.DstPort = binary.BigEndian.Uint16(l4[2:4])
		f.HasPorts = true
	case protoICMP:
		if len(l4) < 8 {
			return f, errors.New("ICMP header truncated")
		}
		switch l4[0] {
		case 0, 8: // echo reply, echo request (RFC 792): the identifier
			f.SrcPort = binary.BigEndian.Uint16(l4[4:6])
			f.DstPort = f.SrcPort
			f.HasPorts = true
		case 3, 11, 12: // errors quoting the offending packet's header
			if !outer {
				return f, errors.New("ICMP error inside an ICMP error")
			}
			q, err := parseIPv4(l4[8:], false)
			if err != nil || !q.HasPorts {
				return f, fmt.Errorf("ICMP error quoting an unusable packet: %v", err)
			}
			// The quoted packet went from us to them: its source port is
			// our port.
			f.SrcPort, f.DstPort, f.HasPorts = q.DstPort, q.SrcPort, true
		}
	}
	return f, nil
}

func protoName(p uint8) string {
	switch p {
	case protoTCP:
		return "TCP"
	case protoUDP:
		return "UDP"
	case protoICMP:
		return "ICMP"
	}
	return fmt.Sprintf("protocol %d", p)
}

// Unreachable builds an ICMPv4 Destination Unreachable (RFC 792) with the
// given code from src about the packet orig (its header and 8 bytes).
func Unreachable(src netip.Addr, code uint8, orig []byte) []byte {
	ihl := int(orig[0]&0x0f) * 4
	quote := orig[:min(len(orig), ihl+8)]
	p := make([]byte, 20+8+len(quote))
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:4], uint16(len(p)))
	p[8] = 64
	p[9] = protoICMP
	s4 := src.As4()
	copy(p[12:16], s4[:])
	copy(p[16:20], orig[12:16]) // back to the sender
	binary.BigEndian.PutUint16(p[10:12], inetsum.Checksum(0, p[:20]))
	icmp := p[20:]
	icmp[0], icmp[1] = 3, code
	copy(icmp[8:], quote)
	binary.BigEndian.PutUint16(icmp[2:4], inetsum.Checksum(0, icmp))
	return p
}
