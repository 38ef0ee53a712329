// Package pppoe implements PPP over Ethernet (RFC 2516) without doing any I/O:
// the discovery-stage codec (PADI, PADO, PADR, PADS, PADT and their tags,
// including RFC 4638 PPP-Max-Payload), the session-stage header, and the
// discovery state machines for both roles (client and access concentrator).
//
// Callers feed received Ethernet payloads and the current time in, and get
// frames to send, events and the next deadline out. The same package backs a
// userspace PPPoE client (internal/session) and the lab's access concentrator.
package pppoe

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EtherTypes of the two PPPoE stages (RFC 2516 section 4).
const (
	EtherTypeDiscovery = 0x8863 // PADI, PADO, PADR, PADS, PADT
	EtherTypeSession   = 0x8864 // PPP frames of an established session
)

// SessionHeaderLen is the size of the PPPoE header that precedes every
// payload: VER/TYPE (1), CODE (1), SESSION_ID (2), LENGTH (2).
const SessionHeaderLen = 6

// verType is VER=1, TYPE=1 packed into one byte (RFC 2516 section 4).
const verType = 0x11

// CodeSession is the CODE of session-stage frames (RFC 2516 section 6).
const CodeSession = 0x00

// Errors returned by the header parsers.
var (
	ErrShort      = errors.New("pppoe: frame shorter than its header")
	ErrVersion    = errors.New("pppoe: unsupported VER/TYPE (want 1/1)")
	ErrCode       = errors.New("pppoe: unexpected CODE")
	ErrLength     = errors.New("pppoe: LENGTH field exceeds the frame")
	ErrMalformed  = errors.New("pppoe: malformed tag list")
	ErrNoSession  = errors.New("pppoe: session ID must be zero in this packet")
	ErrNeedSessID = errors.New("pppoe: session ID must not be zero in this packet")
)

// AppendSessionHeader appends a session-stage PPPoE header (VER=1, TYPE=1,
// CODE=0x00, RFC 2516 section 6) for a payload of payloadLen bytes to b and
// returns the extended slice. The payload (2-byte PPP protocol + information)
// follows the header. It panics if payloadLen does not fit the 16-bit field.
func AppendSessionHeader(b []byte, sessionID uint16, payloadLen int) []byte {
	if payloadLen < 0 || payloadLen > 0xffff {
		panic(fmt.Sprintf("pppoe: payload length %d out of range", payloadLen))
	}
	return append(b, verType, CodeSession, byte(sessionID>>8), byte(sessionID), byte(payloadLen>>8), byte(payloadLen))
}

// ParseSessionHeader parses the session-stage header at the start of b (the
// Ethernet payload of an 0x8864 frame). It checks VER/TYPE = 1/1 and
// CODE = 0x00, and that LENGTH fits the frame. payload is exactly LENGTH
// bytes: trailing Ethernet padding is ignored (RFC 2516 sections 4 and 7).
// payload aliases b.
func ParseSessionHeader(b []byte) (sessionID uint16, payload []byte, err error) {
	if len(b) < SessionHeaderLen {
		return 0, nil, ErrShort
	}
	if b[0] != verType {
		return 0, nil, ErrVersion
	}
	if b[1] != CodeSession {
		return 0, nil, ErrCode
	}
	sessionID = binary.BigEndian.Uint16(b[2:4])
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if SessionHeaderLen+n > len(b) {
		return 0, nil, ErrLength
	}
	return sessionID, b[SessionHeaderLen : SessionHeaderLen+n], nil
}
