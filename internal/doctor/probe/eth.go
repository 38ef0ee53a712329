// Package probe holds doctor's active probes of the LAN: DHCPv4 DISCOVER
// (RFC 2131), ARP probe (RFC 5227), Router Solicitation (RFC 4861) and
// PPPoE PADI (RFC 2516). Each probe is a pure encoder of one request frame
// and a pure decoder of the answers (whole Ethernet frames, fuzzed), plus a
// thin Linux loop that sends, listens for a while and collects. No probe
// changes the host or opens a session: DHCP stops at OFFER, PPPoE at PADO.
package probe

import (
	"encoding/binary"
	"errors"
	"net"
)

// Ethernet types the probes use.
const (
	EtherTypeIPv4      = 0x0800
	EtherTypeARP       = 0x0806
	EtherTypeIPv6      = 0x86dd
	EtherTypePPPoEDisc = 0x8863
)

const ethHeaderLen = 14

// ErrNotForUs is returned by decoders for a well-formed frame that is not an
// answer to the probe (other protocol, other transaction).
var ErrNotForUs = errors.New("probe: not an answer to this probe")

// ErrShort is returned for a truncated frame.
var ErrShort = errors.New("probe: truncated frame")

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func appendEth(b []byte, dst, src net.HardwareAddr, etherType uint16) []byte {
	b = append(b, dst[:6]...)
	b = append(b, src[:6]...)
	return binary.BigEndian.AppendUint16(b, etherType)
}

// parseEth splits a frame into source MAC, EtherType and payload. A single
// 802.1Q tag is skipped.
func parseEth(f []byte) (src net.HardwareAddr, etherType uint16, payload []byte, err error) {
	if len(f) < ethHeaderLen {
		return nil, 0, nil, ErrShort
	}
	src = net.HardwareAddr(append([]byte(nil), f[6:12]...))
	etherType = binary.BigEndian.Uint16(f[12:14])
	payload = f[14:]
	if etherType == 0x8100 {
		if len(payload) < 4 {
			return nil, 0, nil, ErrShort
		}
		etherType = binary.BigEndian.Uint16(payload[2:4])
		payload = payload[4:]
	}
	return src, etherType, payload, nil
}
