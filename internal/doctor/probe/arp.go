package probe

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// ARP (RFC 826) operation codes.
const (
	arpRequest = 1
	arpReply   = 2
)

// ARPAnswer is a host claiming an address: an ARP reply for it, or another
// host's ARP request/announcement sent from it (RFC 5227 section 2.1.1).
type ARPAnswer struct {
	Addr netip.Addr       // the address claimed
	MAC  net.HardwareAddr // sender hardware address in the ARP body
	Eth  net.HardwareAddr // Ethernet source (differs behind proxies)
	// Probe: another host's ARP probe for Addr (it wants the address, it
	// does not hold it yet).
	Probe bool
}

// BuildARPProbe returns an ARP probe for target from mac (RFC 5227 section
// 2.1.1): an ARP request with sender IP 0.0.0.0, so no host's ARP cache is
// changed by it, target hardware address zero, sent to broadcast.
func BuildARPProbe(mac net.HardwareAddr, target netip.Addr) []byte {
	f := appendEth(make([]byte, 0, 60), broadcastMAC, mac, EtherTypeARP)
	f = binary.BigEndian.AppendUint16(f, 1)      // htype Ethernet
	f = binary.BigEndian.AppendUint16(f, 0x0800) // ptype IPv4
	f = append(f, 6, 4)
	f = binary.BigEndian.AppendUint16(f, arpRequest)
	f = append(f, mac[:6]...)
	f = append(f, 0, 0, 0, 0) // sender IP 0.0.0.0: a probe
	f = append(f, 0, 0, 0, 0, 0, 0)
	t := target.As4()
	f = append(f, t[:]...)
	for len(f) < 60 { // minimum Ethernet frame without FCS
		f = append(f, 0)
	}
	return f
}

// ParseARP decodes a frame as an ARP packet that claims an IPv4 address: a
// reply (sender IP = the address), or a request/announcement whose sender IP
// is set. Probes (sender IP 0.0.0.0) from others claim nothing yet, but
// RFC 5227 section 2.1.1 counts a probe for the same target as a conflict;
// those are returned with Addr = the target and MAC = the prober.
func ParseARP(frame []byte) (ARPAnswer, error) {
	var a ARPAnswer
	src, et, p, err := parseEth(frame)
	if err != nil {
		return a, err
	}
	if et != EtherTypeARP {
		return a, ErrNotForUs
	}
	if len(p) < 28 {
		return a, ErrShort
	}
	if binary.BigEndian.Uint16(p[0:]) != 1 || binary.BigEndian.Uint16(p[2:]) != 0x0800 || p[4] != 6 || p[5] != 4 {
		return a, ErrNotForUs
	}
	op := binary.BigEndian.Uint16(p[6:])
	if op != arpRequest && op != arpReply {
		return a, ErrNotForUs
	}
	a.Eth = src
	a.MAC = net.HardwareAddr(append([]byte(nil), p[8:14]...))
	sender := netip.AddrFrom4([4]byte(p[14:18]))
	target := netip.AddrFrom4([4]byte(p[24:28]))
	switch {
	case !sender.IsUnspecified():
		a.Addr = sender
	case op == arpRequest:
		a.Addr, a.Probe = target, true // someone else probing the same address
	default:
		return a, ErrNotForUs
	}
	return a, nil
}
