// Package mapepath looks at the server's own public IPv4 address (the
// PPPoE session's) from outside through the server's other IPv4 path: a
// TCP SYN from the server's LAN address, sent straight to the LAN gateway
// (the IPoE router, which carries it out by MAP-E), comes back in through
// the ISP and the PPPoE session exactly as a visitor's would. The kernel
// would route a connection to its own address over loopback, so the SYN
// is written as an Ethernet frame on the LAN interface and the answer
// (SYN-ACK: open, RST: closed, nothing: filtered) is read there too; the
// kernel drops that answer as a martian (its source is a local address),
// so no host state changes and nothing needs undoing. The probe stops at
// the SYN-ACK and resets the half-open connection.
//
// This file is the pure codec (RFC 791 IPv4, RFC 9293 TCP); the Linux
// loop is in probe_linux.go.
package mapepath

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"

	"github.com/dualpath/dualpath/internal/inetsum"
)

const (
	etherTypeIPv4 = 0x0800
	ethLen        = 14
	ipv4Len       = 20
	tcpLen        = 24 // with the MSS option
	protoTCP      = 6
	flagFIN       = 0x01
	flagSYN       = 0x02
	flagRST       = 0x04
	flagACK       = 0x10
)

// Errors of ParseAnswer.
var (
	ErrShort    = errors.New("mapepath: truncated frame")
	ErrNotForUs = errors.New("mapepath: not an answer to this probe")
)

// SYN is one probe: from Src (the LAN address) and SrcPort to Dst:DstPort.
type SYN struct {
	SrcMAC, DstMAC   net.HardwareAddr
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Seq              uint32
}

// Frame encodes the probe as an Ethernet frame: IPv4 (DF, TTL 64) and a
// TCP SYN with an MSS option of 1360 (small enough for MAP-E and PPPoE).
func (s SYN) Frame() []byte {
	return segment(s.SrcMAC, s.DstMAC, s.Src, s.Dst, s.SrcPort, s.DstPort, s.Seq, 0, flagSYN, true)
}

// Reset is the RST that ends a half-open connection after a SYN-ACK whose
// acknowledgement number was ack.
func (s SYN) Reset(ack uint32) []byte {
	return segment(s.SrcMAC, s.DstMAC, s.Src, s.Dst, s.SrcPort, s.DstPort, ack, 0, flagRST, false)
}

func segment(srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr, sport, dport uint16, seq, ack uint32, flags byte, mss bool) []byte {
	tl := tcpLen
	if !mss {
		tl = 20
	}
	b := make([]byte, ethLen+ipv4Len+tl)
	copy(b[0:6], dstMAC)
	copy(b[6:12], srcMAC)
	binary.BigEndian.PutUint16(b[12:14], etherTypeIPv4)
	ip := b[ethLen : ethLen+ipv4Len]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:4], uint16(ipv4Len+tl))
	binary.BigEndian.PutUint16(ip[6:8], 0x4000) // DF
	ip[8] = 64
	ip[9] = protoTCP
	s4, d4 := src.As4(), dst.As4()
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	binary.BigEndian.PutUint16(ip[10:12], inetsum.Checksum(0, ip))
	t := b[ethLen+ipv4Len:]
	binary.BigEndian.PutUint16(t[0:2], sport)
	binary.BigEndian.PutUint16(t[2:4], dport)
	binary.BigEndian.PutUint32(t[4:8], seq)
	binary.BigEndian.PutUint32(t[8:12], ack)
	t[12] = byte(tl/4) << 4
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:16], 64240) // window
	if mss {
		t[20], t[21] = 2, 4 // RFC 9293 section 3.2: MSS option
		binary.BigEndian.PutUint16(t[22:24], 1360)
	}
	binary.BigEndian.PutUint16(t[16:18], tcpChecksum(s4, d4, t))
	return b
}

// tcpChecksum is the TCP checksum with the IPv4 pseudo-header (RFC 9293
// section 3.1).
func tcpChecksum(src, dst [4]byte, seg []byte) uint16 {
	var ph [12]byte
	copy(ph[0:4], src[:])
	copy(ph[4:8], dst[:])
	ph[9] = protoTCP
	binary.BigEndian.PutUint16(ph[10:12], uint16(len(seg)))
	return inetsum.Checksum(inetsum.Sum(0, ph[:]), seg)
}

// Answer is what came back for one probe.
type Answer struct {
	DstPort uint16 // the probed port (the answer's source port)
	SrcPort uint16 // our port (the answer's destination port)
	Open    bool   // SYN-ACK; else RST (closed)
	Ack     uint32 // the answer's acknowledgement number
}

// ParseAnswer reads an Ethernet frame and returns the TCP answer it carries
// from from to to (our LAN address), or ErrNotForUs.
func ParseAnswer(frame []byte, from, to netip.Addr) (Answer, error) {
	if len(frame) < ethLen {
		return Answer{}, ErrShort
	}
	et := binary.BigEndian.Uint16(frame[12:14])
	p := frame[ethLen:]
	if et == 0x8100 { // one 802.1Q tag
		if len(p) < 4 {
			return Answer{}, ErrShort
		}
		et, p = binary.BigEndian.Uint16(p[2:4]), p[4:]
	}
	if et != etherTypeIPv4 {
		return Answer{}, ErrNotForUs
	}
	if len(p) < ipv4Len {
		return Answer{}, ErrShort
	}
	ihl := int(p[0]&0x0f) * 4
	if p[0]>>4 != 4 || ihl < ipv4Len || len(p) < ihl+20 {
		return Answer{}, ErrShort
	}
	total := int(binary.BigEndian.Uint16(p[2:4]))
	if total < ihl+20 || total > len(p) {
		return Answer{}, ErrShort
	}
	if p[9] != protoTCP || binary.BigEndian.Uint16(p[6:8])&0x1fff != 0 {
		return Answer{}, ErrNotForUs // not TCP, or a later fragment
	}
	src, _ := netip.AddrFromSlice(p[12:16])
	dst, _ := netip.AddrFromSlice(p[16:20])
	if src != from.Unmap() || dst != to.Unmap() {
		return Answer{}, ErrNotForUs
	}
	t := p[ihl:total]
	flags := t[13]
	a := Answer{DstPort: binary.BigEndian.Uint16(t[0:2]), SrcPort: binary.BigEndian.Uint16(t[2:4]), Ack: binary.BigEndian.Uint32(t[8:12])}
	switch {
	case flags&flagSYN != 0 && flags&flagACK != 0 && flags&(flagRST|flagFIN) == 0:
		a.Open = true
	case flags&flagRST != 0:
	default:
		return Answer{}, ErrNotForUs
	}
	return a, nil
}
