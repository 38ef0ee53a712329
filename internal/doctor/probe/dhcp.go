package probe

import (
	"github.com/dualpath/dualpath/internal/inetsum"

	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// DHCP (RFC 2131 section 2, RFC 2132) constants the probe needs.
const (
	dhcpServerPort = 67
	dhcpClientPort = 68
	bootRequest    = 1
	bootReply      = 2
	dhcpFixedLen   = 236 // op .. file, before the magic cookie
	dhcpDiscover   = 1
	dhcpOffer      = 2

	optPad        = 0
	optSubnetMask = 1
	optRouter     = 3
	optDNS        = 6
	optLeaseTime  = 51
	optMsgType    = 53
	optServerID   = 54
	optParamReq   = 55
	optMaxSize    = 57
	optEnd        = 255
)

var magicCookie = []byte{99, 130, 83, 99} // RFC 2131 section 3

// Offer is one DHCPOFFER heard on the LAN: which server offered what.
type Offer struct {
	ServerMAC  net.HardwareAddr // Ethernet source of the offer
	ServerIP   netip.Addr       // option 54 Server Identifier, else the IP source
	YourIP     netip.Addr       // the address offered
	SubnetMask netip.Addr       // option 1, if given
	Routers    []netip.Addr     // option 3
	DNS        []netip.Addr     // option 6
	LeaseSecs  uint32           // option 51
}

// BuildDiscover returns a whole Ethernet frame holding a DHCPDISCOVER from
// mac with transaction id xid: 0.0.0.0:68 -> 255.255.255.255:67, broadcast
// flag set (RFC 2131 section 4.1) so servers broadcast their offers back to
// an interface that has no address yet.
func BuildDiscover(mac net.HardwareAddr, xid uint32) []byte {
	// BOOTP message.
	m := make([]byte, dhcpFixedLen, 300)
	m[0], m[1], m[2] = bootRequest, 1, 6 // op, htype Ethernet, hlen
	binary.BigEndian.PutUint32(m[4:], xid)
	binary.BigEndian.PutUint16(m[10:], 0x8000) // flags: broadcast
	copy(m[28:34], mac)
	m = append(m, magicCookie...)
	m = append(m, optMsgType, 1, dhcpDiscover)
	m = append(m, optParamReq, 3, optSubnetMask, optRouter, optDNS)
	m = append(m, optMaxSize, 2, 0x05, 0xdc) // 1500
	m = append(m, optEnd)
	for len(m) < 300 { // BOOTP minimum (RFC 1542 section 3.1.2 / RFC 951)
		m = append(m, optPad)
	}
	// UDP.
	udp := make([]byte, 8, 8+len(m))
	binary.BigEndian.PutUint16(udp[0:], dhcpClientPort)
	binary.BigEndian.PutUint16(udp[2:], dhcpServerPort)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(m)))
	udp = append(udp, m...)
	src, dst := [4]byte{}, [4]byte{255, 255, 255, 255}
	var ps uint32 // pseudo-header (RFC 768)
	ps += uint32(dst[0])<<8 | uint32(dst[1])
	ps += uint32(dst[2])<<8 | uint32(dst[3])
	ps += 17 + uint32(len(udp))
	cs := inetsum.Checksum(ps, udp)
	if cs == 0 {
		cs = 0xffff
	}
	binary.BigEndian.PutUint16(udp[6:], cs)
	// IPv4.
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
	ip[8], ip[9] = 64, 17 // TTL, UDP
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:], inetsum.Checksum(0, ip))
	f := appendEth(make([]byte, 0, ethHeaderLen+len(ip)+len(udp)), broadcastMAC, mac, EtherTypeIPv4)
	f = append(f, ip...)
	return append(f, udp...)
}

// ParseOffer decodes a frame as a DHCPOFFER answering transaction xid for
// client mac. Other frames give ErrNotForUs (or a parse error).
func ParseOffer(frame []byte, mac net.HardwareAddr, xid uint32) (Offer, error) {
	var o Offer
	src, et, p, err := parseEth(frame)
	if err != nil {
		return o, err
	}
	if et != EtherTypeIPv4 {
		return o, ErrNotForUs
	}
	if len(p) < 20 {
		return o, ErrShort
	}
	ihl := int(p[0]&0x0f) * 4
	if p[0]>>4 != 4 || ihl < 20 || len(p) < ihl+8 {
		return o, ErrShort
	}
	total := int(binary.BigEndian.Uint16(p[2:4]))
	if total < ihl+8 || total > len(p) {
		return o, fmt.Errorf("probe: IPv4 length %d of %d", total, len(p))
	}
	if p[9] != 17 || binary.BigEndian.Uint16(p[6:8])&0x3fff != 0 { // UDP, not a fragment
		return o, ErrNotForUs
	}
	ipSrc := netip.AddrFrom4([4]byte(p[12:16]))
	udp := p[ihl:total]
	if binary.BigEndian.Uint16(udp[0:]) != dhcpServerPort || binary.BigEndian.Uint16(udp[2:]) != dhcpClientPort {
		return o, ErrNotForUs
	}
	ul := int(binary.BigEndian.Uint16(udp[4:]))
	if ul < 8 || ul > len(udp) {
		return o, fmt.Errorf("probe: UDP length %d of %d", ul, len(udp))
	}
	m := udp[8:ul]
	if len(m) < dhcpFixedLen+4 {
		return o, ErrShort
	}
	if m[0] != bootReply || binary.BigEndian.Uint32(m[4:8]) != xid || m[2] != 6 || !macEqual(m[28:34], mac) {
		return o, ErrNotForUs
	}
	if string(m[dhcpFixedLen:dhcpFixedLen+4]) != string(magicCookie) {
		return o, fmt.Errorf("probe: DHCP reply without magic cookie")
	}
	o.ServerMAC = src
	o.YourIP = netip.AddrFrom4([4]byte(m[16:20]))
	msgType := 0
	opts := m[dhcpFixedLen+4:]
	for len(opts) > 0 {
		code := opts[0]
		if code == optPad {
			opts = opts[1:]
			continue
		}
		if code == optEnd {
			break
		}
		if len(opts) < 2 || len(opts) < 2+int(opts[1]) {
			return o, fmt.Errorf("probe: DHCP option %d overruns the message", code)
		}
		v := opts[2 : 2+int(opts[1])]
		switch code {
		case optMsgType:
			if len(v) == 1 {
				msgType = int(v[0])
			}
		case optServerID:
			if len(v) == 4 {
				o.ServerIP = netip.AddrFrom4([4]byte(v))
			}
		case optSubnetMask:
			if len(v) == 4 {
				o.SubnetMask = netip.AddrFrom4([4]byte(v))
			}
		case optRouter:
			o.Routers = addrList(v)
		case optDNS:
			o.DNS = addrList(v)
		case optLeaseTime:
			if len(v) == 4 {
				o.LeaseSecs = binary.BigEndian.Uint32(v)
			}
		}
		opts = opts[2+len(v):]
	}
	if msgType != dhcpOffer {
		return o, ErrNotForUs
	}
	if !o.ServerIP.IsValid() {
		o.ServerIP = ipSrc
	}
	return o, nil
}

func addrList(v []byte) []netip.Addr {
	var out []netip.Addr
	for len(v) >= 4 {
		out = append(out, netip.AddrFrom4([4]byte(v[:4])))
		v = v[4:]
	}
	return out
}

func macEqual(a []byte, b net.HardwareAddr) bool {
	return len(b) == 6 && string(a[:6]) == string(b)
}
