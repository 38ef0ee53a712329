package ppp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Control packet codes shared by LCP, IPCP and IPv6CP (RFC 1661 section 5;
// NCPs use codes 1-7 only, RFC 1332 section 2).
const (
	CodeConfigureRequest uint8 = 1
	CodeConfigureAck     uint8 = 2
	CodeConfigureNak     uint8 = 3
	CodeConfigureReject  uint8 = 4
	CodeTerminateRequest uint8 = 5
	CodeTerminateAck     uint8 = 6
	CodeCodeReject       uint8 = 7
	CodeProtocolReject   uint8 = 8  // LCP only
	CodeEchoRequest      uint8 = 9  // LCP only
	CodeEchoReply        uint8 = 10 // LCP only
	CodeDiscardRequest   uint8 = 11 // LCP only
)

// headerLen is the size of the Code, Identifier and Length fields.
const headerLen = 4

// Packet is one LCP, NCP, PAP or CHAP packet (RFC 1661 section 5, RFC 1334
// section 2.2, RFC 1994 section 4): all of them share the Code, Identifier
// and Length header.
type Packet struct {
	Code uint8
	ID   uint8
	// Data is everything after the 4-byte header, up to Length. For
	// Configure-* packets it holds the options (see ParseOptions).
	Data []byte
}

// Errors returned by the decoders.
var (
	ErrShort     = errors.New("ppp: packet too short")
	ErrBadLength = errors.New("ppp: length field does not match packet")
)

// ParsePacket decodes the header of a control packet. Octets beyond the
// Length field are padding and are ignored (RFC 1661 section 5); a Length
// smaller than the header or larger than the buffer is an error. Data
// aliases b.
func ParsePacket(b []byte) (Packet, error) {
	if len(b) < headerLen {
		return Packet{}, ErrShort
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < headerLen || n > len(b) {
		return Packet{}, fmt.Errorf("%w: length %d, have %d bytes", ErrBadLength, n, len(b))
	}
	return Packet{Code: b[0], ID: b[1], Data: b[headerLen:n]}, nil
}

// Len is the encoded size of the packet.
func (p Packet) Len() int { return headerLen + len(p.Data) }

// Append appends the encoded packet to b. It panics if Data is longer than
// 65531 bytes, which no caller in this package produces.
func (p Packet) Append(b []byte) []byte {
	n := p.Len()
	if n > 0xffff {
		panic("ppp: packet too long")
	}
	b = append(b, p.Code, p.ID, byte(n>>8), byte(n))
	return append(b, p.Data...)
}

// Option is one configuration option (RFC 1661 section 6): Type, Length,
// Data, where Length counts the 2-byte header.
type Option struct {
	Type uint8
	Data []byte
}

// ErrBadOption reports a truncated option or an option Length below 2.
var ErrBadOption = errors.New("ppp: malformed configuration option")

// ParseOptions decodes the options of a Configure-Request, -Ack, -Nak or
// -Reject. Every option must have Length >= 2 and fit in b. The Data
// slices alias b.
func ParseOptions(b []byte) ([]Option, error) {
	var opts []Option
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("%w: %d trailing byte", ErrBadOption, len(b))
		}
		n := int(b[1])
		if n < 2 || n > len(b) {
			return nil, fmt.Errorf("%w: type %d length %d, %d bytes left", ErrBadOption, b[0], n, len(b))
		}
		opts = append(opts, Option{Type: b[0], Data: b[2:n]})
		b = b[n:]
	}
	return opts, nil
}

// AppendOption appends the encoded option to b. Data longer than 253
// bytes is truncated.
func AppendOption(b []byte, o Option) []byte {
	d := o.Data
	if len(d) > 253 {
		d = d[:253]
	}
	b = append(b, o.Type, byte(len(d)+2))
	return append(b, d...)
}

// AppendOptions appends all options to b.
func AppendOptions(b []byte, opts []Option) []byte {
	for _, o := range opts {
		b = AppendOption(b, o)
	}
	return b
}

// ParseFrame splits a PPP frame as carried by PPPoE into its protocol and
// information field. A compressed 1-byte protocol field (RFC 1661 section
// 6.5: the low bit of the first byte is set) is accepted as well.
func ParseFrame(frame []byte) (proto uint16, info []byte, err error) {
	if len(frame) < 1 {
		return 0, nil, ErrShort
	}
	if frame[0]&1 == 1 {
		return uint16(frame[0]), frame[1:], nil
	}
	if len(frame) < 2 {
		return 0, nil, ErrShort
	}
	proto = binary.BigEndian.Uint16(frame)
	if proto&1 == 0 {
		// RFC 1661 section 2: valid protocol numbers have an even most
		// significant octet (checked above) and an odd least
		// significant octet.
		return 0, nil, fmt.Errorf("ppp: invalid protocol field 0x%04x", proto)
	}
	return proto, frame[2:], nil
}

// AppendFrame appends the 2-byte protocol field and the packet to b.
func AppendFrame(b []byte, proto uint16, p Packet) []byte {
	b = append(b, byte(proto>>8), byte(proto))
	return p.Append(b)
}

func u16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func u32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func put16(v uint16) []byte {
	return []byte{byte(v >> 8), byte(v)}
}
func put32(v uint32) []byte {
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}
