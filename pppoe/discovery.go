package pppoe

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"unicode"
)

// Code is the CODE field of a discovery packet (RFC 2516 section 5).
type Code uint8

// Discovery codes (RFC 2516 sections 5.1-5.5).
const (
	CodePADI Code = 0x09 // Initiation, broadcast by the host
	CodePADO Code = 0x07 // Offer, unicast by an access concentrator
	CodePADR Code = 0x19 // Request, unicast by the host to the chosen AC
	CodePADS Code = 0x65 // Session-confirmation, carries the new SESSION_ID
	CodePADT Code = 0xa7 // Terminate, sent by either side
)

// String returns the packet name ("PADI", ...).
func (c Code) String() string {
	switch c {
	case CodePADI:
		return "PADI"
	case CodePADO:
		return "PADO"
	case CodePADR:
		return "PADR"
	case CodePADS:
		return "PADS"
	case CodePADT:
		return "PADT"
	case CodeSession:
		return "session"
	}
	return fmt.Sprintf("code-%#02x", uint8(c))
}

// TagType is the TAG_TYPE of a discovery tag (RFC 2516 appendix A, RFC 4638).
type TagType uint16

// Tag types.
const (
	TagEndOfList        TagType = 0x0000 // no further tags (appendix A; optional)
	TagServiceName      TagType = 0x0101 // UTF-8 service name; empty = any service
	TagACName           TagType = 0x0102 // the AC's name, UTF-8
	TagHostUniq         TagType = 0x0103 // opaque; echoed by the AC to match replies
	TagACCookie         TagType = 0x0104 // opaque; the host echoes it in PADR
	TagVendorSpecific   TagType = 0x0105 // 4-byte vendor id (0, IANA enterprise) + data
	TagRelaySessionID   TagType = 0x0110 // added by relays; echoed by both ends
	TagPPPMaxPayload    TagType = 0x0120 // RFC 4638: 2-byte maximum PPP payload
	TagServiceNameError TagType = 0x0201 // UTF-8 text: the requested service is refused
	TagACSystemError    TagType = 0x0202 // UTF-8 text: AC failed (e.g. no resources)
	TagGenericError     TagType = 0x0203 // UTF-8 text: any other error
)

// String returns the RFC 2516 name of the tag ("AC-Name", ...).
func (t TagType) String() string {
	switch t {
	case TagEndOfList:
		return "End-Of-List"
	case TagServiceName:
		return "Service-Name"
	case TagACName:
		return "AC-Name"
	case TagHostUniq:
		return "Host-Uniq"
	case TagACCookie:
		return "AC-Cookie"
	case TagVendorSpecific:
		return "Vendor-Specific"
	case TagRelaySessionID:
		return "Relay-Session-Id"
	case TagPPPMaxPayload:
		return "PPP-Max-Payload"
	case TagServiceNameError:
		return "Service-Name-Error"
	case TagACSystemError:
		return "AC-System-Error"
	case TagGenericError:
		return "Generic-Error"
	}
	return fmt.Sprintf("tag-%#04x", uint16(t))
}

// IsError reports whether the tag is one of the three error tags.
func (t TagType) IsError() bool {
	return t == TagServiceNameError || t == TagACSystemError || t == TagGenericError
}

// Tag is one TLV of a discovery packet. Value aliases the parsed frame.
type Tag struct {
	Type  TagType
	Value []byte
}

// MaxPayloadDefault is the largest PPP payload over plain Ethernet: 1500 minus
// the 6-byte PPPoE header and 2-byte PPP protocol (RFC 2516 section 7).
const MaxPayloadDefault = 1492

// Packet is a discovery-stage PPPoE packet (EtherType 0x8863).
type Packet struct {
	Code      Code
	SessionID uint16 // zero except in PADS (on success) and PADT
	Tags      []Tag
}

// ParseDiscovery decodes the Ethernet payload of an 0x8863 frame. It checks
// VER/TYPE = 1/1, that CODE is a discovery code, that LENGTH fits the frame
// (bytes after LENGTH are Ethernet padding and ignored, section 4), and that
// every tag lies inside the payload. Parsing stops at an End-Of-List tag.
// The tag values alias b.
func ParseDiscovery(b []byte) (*Packet, error) {
	if len(b) < SessionHeaderLen {
		return nil, ErrShort
	}
	if b[0] != verType {
		return nil, ErrVersion
	}
	p := &Packet{Code: Code(b[1]), SessionID: binary.BigEndian.Uint16(b[2:4])}
	switch p.Code {
	case CodePADI, CodePADO, CodePADR, CodePADS, CodePADT:
	default:
		return nil, ErrCode
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if SessionHeaderLen+n > len(b) {
		return nil, ErrLength
	}
	rest := b[SessionHeaderLen : SessionHeaderLen+n]
	for len(rest) > 0 {
		if len(rest) < 4 {
			return nil, ErrMalformed
		}
		t := TagType(binary.BigEndian.Uint16(rest[0:2]))
		l := int(binary.BigEndian.Uint16(rest[2:4]))
		if 4+l > len(rest) {
			return nil, ErrMalformed
		}
		if t == TagEndOfList {
			break
		}
		p.Tags = append(p.Tags, Tag{Type: t, Value: rest[4 : 4+l : 4+l]})
		rest = rest[4+l:]
	}
	return p, nil
}

// Len is the encoded length of the payload (the LENGTH field).
func (p *Packet) Len() int {
	n := 0
	for _, t := range p.Tags {
		n += 4 + len(t.Value)
	}
	return n
}

// Append encodes p after b. It fails if a tag value or the payload exceeds
// the 16-bit length fields or the packet would not fit a 1500-byte Ethernet
// payload.
func (p *Packet) Append(b []byte) ([]byte, error) {
	n := p.Len()
	if SessionHeaderLen+n > 1500 {
		return nil, fmt.Errorf("pppoe: %v of %d bytes does not fit an Ethernet frame", p.Code, SessionHeaderLen+n)
	}
	b = append(b, verType, byte(p.Code), byte(p.SessionID>>8), byte(p.SessionID), byte(n>>8), byte(n))
	for _, t := range p.Tags {
		b = append(b, byte(t.Type>>8), byte(t.Type), byte(len(t.Value)>>8), byte(len(t.Value)))
		b = append(b, t.Value...)
	}
	return b, nil
}

// Marshal encodes p into a new slice.
func (p *Packet) Marshal() ([]byte, error) {
	return p.Append(make([]byte, 0, SessionHeaderLen+p.Len()))
}

// Tag returns the value of the first tag of type t.
func (p *Packet) Tag(t TagType) (value []byte, ok bool) {
	for _, tag := range p.Tags {
		if tag.Type == t {
			return tag.Value, true
		}
	}
	return nil, false
}

// Count returns how many tags of type t the packet carries.
func (p *Packet) Count(t TagType) int {
	n := 0
	for _, tag := range p.Tags {
		if tag.Type == t {
			n++
		}
	}
	return n
}

// Add appends a tag and returns p, for building packets.
func (p *Packet) Add(t TagType, value []byte) *Packet {
	p.Tags = append(p.Tags, Tag{Type: t, Value: value})
	return p
}

// ServiceName returns the first Service-Name tag's text.
func (p *Packet) ServiceName() (string, bool) {
	v, ok := p.Tag(TagServiceName)
	return string(v), ok
}

// ACName returns the AC-Name tag's text.
func (p *Packet) ACName() (string, bool) {
	v, ok := p.Tag(TagACName)
	return string(v), ok
}

// MaxPayload returns the RFC 4638 PPP-Max-Payload value, if the packet has a
// well-formed (2-byte) tag.
func (p *Packet) MaxPayload() (uint16, bool) {
	v, ok := p.Tag(TagPPPMaxPayload)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// TagError is an error tag found in a discovery packet, with its text.
type TagError struct {
	Code Code    // packet it came in
	Type TagType // Service-Name-Error, AC-System-Error or Generic-Error
	Text string  // the tag's UTF-8 value; may be empty (RFC 2516 appendix A)
}

// Error renders the tag and its (sanitised) text.
func (e *TagError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("%v with %v", e.Code, e.Type)
	}
	return fmt.Sprintf("%v with %v: %s", e.Code, e.Type, Printable(e.Text))
}

// SafeText returns Text with control characters replaced and its length
// bounded: the peer's words, fit for a terminal or a log line.
func (e *TagError) SafeText() string { return Printable(e.Text) }

// Errors returns the error tags of the packet.
func (p *Packet) Errors() []*TagError {
	var errs []*TagError
	for _, t := range p.Tags {
		if t.Type.IsError() {
			errs = append(errs, &TagError{Code: p.Code, Type: t.Type, Text: string(t.Value)})
		}
	}
	return errs
}

// String renders the packet for logs and test failures.
func (p *Packet) String() string {
	s := fmt.Sprintf("%v session=%#04x", p.Code, p.SessionID)
	for _, t := range p.Tags {
		switch t.Type {
		case TagServiceName, TagACName, TagServiceNameError, TagACSystemError, TagGenericError:
			s += fmt.Sprintf(" %v=%q", t.Type, Printable(string(t.Value)))
		default:
			s += fmt.Sprintf(" %v=%s", t.Type, hex.EncodeToString(t.Value))
		}
	}
	return s
}

// Printable makes peer-supplied text (AC-Name, Service-Name, error tags)
// safe to show to a user or write to a log: control characters (C0, C1),
// bidirectional overrides and other non-printing runes become '?', and the
// text is cut to 200 runes, so an access concentrator cannot rewrite a
// terminal line or flood a log.
func Printable(s string) string {
	out := make([]rune, 0, min(len(s), 200))
	for _, r := range s {
		if !unicode.IsPrint(r) {
			r = '?'
		}
		out = append(out, r)
		if len(out) >= 200 {
			break
		}
	}
	return string(out)
}

// MAC is an Ethernet address, comparable so it can key maps.
type MAC [6]byte

// Broadcast is ff:ff:ff:ff:ff:ff, the destination of a PADI.
var Broadcast = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// MACFrom converts a net.HardwareAddr of 6 bytes.
func MACFrom(hw net.HardwareAddr) (MAC, error) {
	var m MAC
	if len(hw) != 6 {
		return m, fmt.Errorf("pppoe: %q is not an Ethernet (EUI-48) address", hw.String())
	}
	copy(m[:], hw)
	return m, nil
}

// HardwareAddr returns m as a net.HardwareAddr.
func (m MAC) HardwareAddr() net.HardwareAddr { return net.HardwareAddr(append([]byte(nil), m[:]...)) }

// String returns "aa:bb:cc:dd:ee:ff".
func (m MAC) String() string { return net.HardwareAddr(m[:]).String() }

// IsZero reports whether m is 00:00:00:00:00:00.
func (m MAC) IsZero() bool { return m == MAC{} }

// MarshalText encodes m as "aa:bb:cc:dd:ee:ff" (used by StaleSession's JSON).
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses "aa:bb:cc:dd:ee:ff".
func (m *MAC) UnmarshalText(b []byte) error {
	hw, err := net.ParseMAC(string(b))
	if err != nil {
		return err
	}
	v, err := MACFrom(hw)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Frame is a discovery packet to send: the Ethernet destination and the
// Ethernet payload (EtherType 0x8863). The source is the sender's own MAC.
type Frame struct {
	Dst     MAC
	Payload []byte
}

// NewPADT builds a PADT for the session (RFC 2516 section 5.5). text, when
// not empty, goes into a Generic-Error tag explaining why.
func NewPADT(sessionID uint16, text string) []byte {
	p := &Packet{Code: CodePADT, SessionID: sessionID}
	if text != "" {
		if len(text) > 200 {
			text = text[:200]
		}
		p.Add(TagGenericError, []byte(text))
	}
	b, _ := p.Marshal() // cannot fail: bounded size
	return b
}
