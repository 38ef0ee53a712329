package pppoe

import (
	"encoding/binary"
	"errors"
)

// Ethernet framing (IEEE 802.3), the one vocabulary of MAC addresses and
// headers that the session, the data plane and doctor's probes share.
const (
	// EthHeaderLen is the length of an untagged Ethernet header:
	// destination, source, EtherType.
	EthHeaderLen = 14
	// EtherTypeVLAN is the TPID of an IEEE 802.1Q tag: 4 bytes (TPID, then
	// PCP/DEI/VLAN ID) between the source address and the EtherType.
	EtherTypeVLAN = 0x8100
)

// ErrShortFrame is returned for a frame shorter than its Ethernet header.
var ErrShortFrame = errors.New("ethernet: truncated frame")

// EthernetHeader is a decoded Ethernet header.
type EthernetHeader struct {
	Dst, Src  MAC
	EtherType uint16 // after the 802.1Q tag, when there is one
	// Tagged says the frame carried an 802.1Q tag; VLAN is its 12-bit
	// VLAN ID.
	Tagged bool
	VLAN   uint16
}

// AppendEthernet appends an untagged Ethernet header to b.
func AppendEthernet(b []byte, dst, src MAC, etherType uint16) []byte {
	b = append(b, dst[:]...)
	b = append(b, src[:]...)
	return binary.BigEndian.AppendUint16(b, etherType)
}

// ParseEthernet splits a frame into its header and payload. One 802.1Q tag
// is understood (Tagged, VLAN); the payload then starts after it.
func ParseEthernet(f []byte) (h EthernetHeader, payload []byte, err error) {
	if len(f) < EthHeaderLen {
		return h, nil, ErrShortFrame
	}
	copy(h.Dst[:], f[0:6])
	copy(h.Src[:], f[6:12])
	h.EtherType = binary.BigEndian.Uint16(f[12:14])
	payload = f[EthHeaderLen:]
	if h.EtherType == EtherTypeVLAN {
		if len(payload) < 4 {
			return EthernetHeader{}, nil, ErrShortFrame
		}
		h.Tagged, h.VLAN = true, binary.BigEndian.Uint16(payload[0:2])&0x0fff
		h.EtherType = binary.BigEndian.Uint16(payload[2:4])
		payload = payload[4:]
	}
	return h, payload, nil
}
