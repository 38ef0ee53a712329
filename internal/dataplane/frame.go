package dataplane

import (
	"encoding/binary"

	"github.com/dualpath/dualpath/pppoe"
)

// Frame layout of a PPPoE session frame carrying an IP packet:
//
//	0  destination MAC
//	6  source MAC
//	12 EtherType 0x8864
//	14 VER/TYPE 0x11, CODE 0x00, SESSION_ID, LENGTH (RFC 2516 section 4)
//	20 PPP protocol (RFC 1661 section 2)
//	22 IP packet
const (
	ethHeaderLen = pppoe.EthHeaderLen
	// Headroom is the space the engine keeps in front of every IP packet
	// for the Ethernet, PPPoE and PPP headers.
	Headroom = ethHeaderLen + pppoe.SessionHeaderLen + 2

	// minEthFrame is the shortest Ethernet frame without FCS; shorter
	// payloads arrive padded up to it (RFC 2516 section 4: LENGTH excludes
	// the padding).
	minEthFrame = 60
)

// PPP protocol numbers (RFC 1661 section 2, RFC 1332, RFC 5072).
const (
	ProtoIPv4 = 0x0021
	ProtoIPv6 = 0x0057
)

// DropReason says why a frame or packet was not forwarded.
type DropReason int

// Drop reasons, each with its own counter in Stats.
const (
	dropNone DropReason = iota
	// DropShort: a frame too short for the Ethernet, PPPoE and PPP headers.
	DropShort
	// DropNotSession: EtherType is not 0x8864.
	DropNotSession
	// DropBadHeader: VER/TYPE or CODE wrong.
	DropBadHeader
	// DropBadLength: the PPPoE LENGTH field does not match the frame.
	DropBadLength
	// DropUnknownSession: session ID or source MAC is not a live session.
	DropUnknownSession
	// DropBadIP: a PPP IPv4/IPv6 payload that is not an IP packet of that
	// version, or an unknown packet from the TUN.
	DropBadIP
	// DropTooBig: a packet from the TUN larger than the session MTU.
	DropTooBig
	// DropNoSession: a packet from the TUN while no session is up (client),
	// or for a destination no session owns (AC).
	DropNoSession
	// DropIO: a read or write error on the link or the TUN.
	DropIO
	// DropForeign: a tunnel packet that is not IPv4 of the tunnel's own
	// addresses (from the TUN: its source; from the link: its destination,
	// or a source inside our own block).
	DropForeign
	numDropReasons
)

var dropNames = [...]string{
	dropNone:           "none",
	DropShort:          "short",
	DropNotSession:     "not_session",
	DropBadHeader:      "bad_header",
	DropBadLength:      "bad_length",
	DropUnknownSession: "unknown_session",
	DropBadIP:          "bad_ip",
	DropTooBig:         "too_big",
	DropNoSession:      "no_session",
	DropIO:             "io_error",
	DropForeign:        "foreign_address",
}

// String returns the reason's metric label, e.g. "bad_length".
func (r DropReason) String() string {
	if r >= 0 && int(r) < len(dropNames) {
		return dropNames[r]
	}
	return "unknown"
}

// Inbound is a decoded PPPoE session frame.
type Inbound struct {
	Src       pppoe.MAC // source MAC
	SessionID uint16
	// Proto is the PPP protocol field (0x0021 IPv4, 0x0057 IPv6, 0xc021
	// LCP, ...).
	Proto uint16
	// PPP is the PPP frame (protocol field first) inside the PPPoE payload,
	// without Ethernet padding; Payload is the part after the protocol
	// field (the IP packet for IPv4/IPv6). Both alias the frame.
	PPP, Payload []byte
}

// ParseSessionFrame decodes an Ethernet frame carrying a PPPoE session
// payload. It checks the EtherType, VER/TYPE and CODE (RFC 2516 section 6),
// and that LENGTH matches the frame: it may be shorter only by the padding
// that brings a frame up to the Ethernet minimum (section 4). A one-byte
// (compressed, RFC 1661 section 6.5) protocol field is accepted. For IPv4
// and IPv6 the payload's version nibble must match the protocol.
func ParseSessionFrame(frame []byte) (Inbound, DropReason) {
	var in Inbound
	if len(frame) < ethHeaderLen+pppoe.SessionHeaderLen+1 {
		return in, DropShort
	}
	if binary.BigEndian.Uint16(frame[12:14]) != pppoe.EtherTypeSession {
		return in, DropNotSession
	}
	copy(in.Src[:], frame[6:12])
	id, ppp, err := pppoe.ParseSessionHeader(frame[ethHeaderLen:])
	switch err {
	case nil:
	case pppoe.ErrLength, pppoe.ErrShort:
		return in, DropBadLength
	default:
		return in, DropBadHeader
	}
	if end := ethHeaderLen + pppoe.SessionHeaderLen + len(ppp); end < len(frame) && len(frame) > minEthFrame {
		return in, DropBadLength // trailing bytes that are not minimum-frame padding
	}
	in.SessionID = id
	in.PPP = ppp
	switch {
	case len(ppp) >= 1 && ppp[0]&1 == 1: // compressed protocol field
		in.Proto = uint16(ppp[0])
		in.Payload = ppp[1:]
	case len(ppp) >= 2:
		in.Proto = binary.BigEndian.Uint16(ppp[:2])
		in.Payload = ppp[2:]
	default:
		return in, DropShort
	}
	switch in.Proto {
	case ProtoIPv4:
		if len(in.Payload) < 20 || in.Payload[0]>>4 != 4 {
			return in, DropBadIP
		}
	case ProtoIPv6:
		if len(in.Payload) < 40 || in.Payload[0]>>4 != 6 {
			return in, DropBadIP
		}
	}
	return in, dropNone
}

// putSessionHeaders writes the Ethernet, PPPoE and PPP headers into the
// Headroom bytes in front of an IP packet of length n at b[Headroom:] and
// returns the whole frame.
func putSessionHeaders(b []byte, dst, src pppoe.MAC, id uint16, proto uint16, n int) []byte {
	pppoe.AppendEthernet(b[:0], dst, src, pppoe.EtherTypeSession)
	pppoe.AppendSessionHeader(b[ethHeaderLen:ethHeaderLen], id, n+2)
	binary.BigEndian.PutUint16(b[20:22], proto)
	return b[:Headroom+n]
}

// BuildSessionFrame returns a new Ethernet frame carrying the PPP frame ppp
// (protocol field first) in session id from src to dst. Control-plane
// frames use it.
func BuildSessionFrame(dst, src pppoe.MAC, id uint16, ppp []byte) []byte {
	b := pppoe.AppendEthernet(make([]byte, 0, ethHeaderLen+pppoe.SessionHeaderLen+len(ppp)), dst, src, pppoe.EtherTypeSession)
	b = pppoe.AppendSessionHeader(b, id, len(ppp))
	return append(b, ppp...)
}

// ipProto returns the PPP protocol for an IP packet from the TUN, or 0.
func ipProto(pkt []byte) uint16 {
	if len(pkt) == 0 {
		return 0
	}
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) >= 20 {
			return ProtoIPv4
		}
	case 6:
		if len(pkt) >= 40 {
			return ProtoIPv6
		}
	}
	return 0
}
