// Package probe holds doctor's active probes of the LAN: DHCPv4 DISCOVER
// (RFC 2131), ARP probe (RFC 5227), Router Solicitation (RFC 4861) and
// PPPoE PADI (RFC 2516). Each probe is a pure encoder of one request frame
// and a pure decoder of the answers (whole Ethernet frames, fuzzed), plus a
// thin Linux loop that sends, listens for a while and collects. No probe
// changes the host or opens a session: DHCP stops at OFFER, PPPoE at PADO.
package probe

import (
	"errors"
	"net"

	"github.com/dualpath/dualpath/pppoe"
)

// Ethernet types the probes use.
const (
	EtherTypeIPv4      = 0x0800
	EtherTypeARP       = 0x0806
	EtherTypeIPv6      = 0x86dd
	EtherTypePPPoEDisc = pppoe.EtherTypeDiscovery
)

const ethHeaderLen = pppoe.EthHeaderLen

// ErrNotForUs is returned by decoders for a well-formed frame that is not an
// answer to the probe (other protocol, other transaction).
var ErrNotForUs = errors.New("probe: not an answer to this probe")

// ErrShort is returned for a truncated frame.
var ErrShort = errors.New("probe: truncated frame")

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// appendEth is pppoe.AppendEthernet for the probes' net.HardwareAddr
// (6 bytes: the interface's own and well-known addresses).
func appendEth(b []byte, dst, src net.HardwareAddr, etherType uint16) []byte {
	return pppoe.AppendEthernet(b, pppoe.MAC(dst[:6]), pppoe.MAC(src[:6]), etherType)
}

// parseEth splits a frame into source MAC, EtherType and payload
// (pppoe.ParseEthernet: a single 802.1Q tag is skipped).
func parseEth(f []byte) (src net.HardwareAddr, etherType uint16, payload []byte, err error) {
	h, payload, err := pppoe.ParseEthernet(f)
	if err != nil {
		return nil, 0, nil, ErrShort
	}
	return h.Src.HardwareAddr(), h.EtherType, payload, nil
}
