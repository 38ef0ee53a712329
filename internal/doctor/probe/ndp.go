package probe

import (
	"github.com/dualpath/dualpath/internal/inetsum"

	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// ICMPv6 / NDP (RFC 4861 section 4) constants.
const (
	icmpv6RS        = 133
	icmpv6RA        = 134
	ndOptSourceLL   = 1
	ndOptPrefixInfo = 3
	ndOptMTU        = 5
	ndOptRDNSS      = 25 // RFC 8106
	nextHeaderICMP6 = 58
)

var allRouters = netip.MustParseAddr("ff02::2")

// RouterAdvert is one Router Advertisement heard on the LAN.
type RouterAdvert struct {
	Source   netip.Addr       // the router's link-local address
	MAC      net.HardwareAddr // Ethernet source
	LLAddr   net.HardwareAddr // Source Link-Layer Address option, if any
	Lifetime time.Duration    // router lifetime: 0 = not a default router
	Managed  bool             // M flag: addresses by DHCPv6
	Other    bool             // O flag: other configuration by DHCPv6
	Prefixes []RAPrefix
	MTU      uint32
	RDNSS    []netip.Addr
}

// RAPrefix is a Prefix Information option (RFC 4861 section 4.6.2).
type RAPrefix struct {
	Prefix     netip.Prefix
	OnLink     bool
	Autonomous bool // SLAAC
	Valid      time.Duration
	Preferred  time.Duration
}

// BuildRS returns a Router Solicitation frame from mac (RFC 4861 section
// 4.1) with the unspecified source address (allowed before the host has an
// address, section 6.3.7; then it carries no Source Link-Layer option and
// routers answer by multicast to all nodes). Hop limit 255 as section 6.1.1
// requires of the receiver.
func BuildRS(mac net.HardwareAddr) []byte {
	icmp := make([]byte, 8) // type, code, checksum, reserved
	icmp[0] = icmpv6RS
	src := netip.IPv6Unspecified()
	cs := icmpv6Checksum(src, allRouters, icmp)
	binary.BigEndian.PutUint16(icmp[2:], cs)
	f := appendEth(make([]byte, 0, 62), net.HardwareAddr{0x33, 0x33, 0, 0, 0, 2}, mac, EtherTypeIPv6)
	f = append(f, 0x60, 0, 0, 0)
	f = binary.BigEndian.AppendUint16(f, uint16(len(icmp)))
	f = append(f, nextHeaderICMP6, 255)
	s, d := src.As16(), allRouters.As16()
	f = append(f, s[:]...)
	f = append(f, d[:]...)
	return append(f, icmp...)
}

// icmpv6Checksum covers the IPv6 pseudo-header (RFC 8200 section 8.1).
func icmpv6Checksum(src, dst netip.Addr, msg []byte) uint16 {
	var sum uint32
	for _, a := range []netip.Addr{src, dst} {
		b := a.As16()
		for i := 0; i < 16; i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
	}
	sum += uint32(len(msg)) >> 16
	sum += uint32(len(msg)) & 0xffff
	sum += nextHeaderICMP6
	return inetsum.Checksum(sum, msg)
}

// ParseRA decodes a frame as a Router Advertisement. It enforces RFC 4861
// section 6.1.2: hop limit 255, link-local source, code 0, a valid
// checksum, and options of non-zero length inside the message.
func ParseRA(frame []byte) (RouterAdvert, error) {
	var ra RouterAdvert
	src, et, p, err := parseEth(frame)
	if err != nil {
		return ra, err
	}
	if et != EtherTypeIPv6 {
		return ra, ErrNotForUs
	}
	if len(p) < 40 {
		return ra, ErrShort
	}
	if p[0]>>4 != 6 || p[6] != nextHeaderICMP6 {
		return ra, ErrNotForUs
	}
	plen := int(binary.BigEndian.Uint16(p[4:6]))
	if 40+plen > len(p) {
		return ra, fmt.Errorf("probe: IPv6 payload length %d of %d", plen, len(p)-40)
	}
	msg := p[40 : 40+plen]
	if len(msg) < 16 || msg[0] != icmpv6RA {
		return ra, ErrNotForUs
	}
	ipSrc := netip.AddrFrom16([16]byte(p[8:24]))
	ipDst := netip.AddrFrom16([16]byte(p[24:40]))
	if p[7] != 255 || !ipSrc.IsLinkLocalUnicast() || msg[1] != 0 {
		return ra, fmt.Errorf("probe: invalid RA (hop limit %d, source %s, code %d)", p[7], ipSrc, msg[1])
	}
	if icmpv6Checksum(ipSrc, ipDst, msg) != 0 {
		return ra, fmt.Errorf("probe: RA checksum mismatch")
	}
	ra.Source, ra.MAC = ipSrc, src
	ra.Managed = msg[5]&0x80 != 0
	ra.Other = msg[5]&0x40 != 0
	ra.Lifetime = time.Duration(binary.BigEndian.Uint16(msg[6:8])) * time.Second
	opts := msg[16:]
	for len(opts) > 0 {
		if len(opts) < 2 || opts[1] == 0 || len(opts) < int(opts[1])*8 {
			return ra, fmt.Errorf("probe: bad RA option length")
		}
		o := opts[:int(opts[1])*8]
		switch o[0] {
		case ndOptSourceLL:
			if len(o) >= 8 {
				ra.LLAddr = net.HardwareAddr(append([]byte(nil), o[2:8]...))
			}
		case ndOptPrefixInfo:
			if len(o) == 32 && o[2] <= 128 {
				pfx, err := netip.AddrFrom16([16]byte(o[16:32])).Prefix(int(o[2]))
				if err == nil {
					ra.Prefixes = append(ra.Prefixes, RAPrefix{
						Prefix: pfx, OnLink: o[3]&0x80 != 0, Autonomous: o[3]&0x40 != 0,
						Valid:     time.Duration(binary.BigEndian.Uint32(o[4:8])) * time.Second,
						Preferred: time.Duration(binary.BigEndian.Uint32(o[8:12])) * time.Second,
					})
				}
			}
		case ndOptMTU:
			if len(o) == 8 {
				ra.MTU = binary.BigEndian.Uint32(o[4:8])
			}
		case ndOptRDNSS:
			for a := o[8:]; len(a) >= 16; a = a[16:] {
				ra.RDNSS = append(ra.RDNSS, netip.AddrFrom16([16]byte(a[:16])))
			}
		}
		opts = opts[len(o):]
	}
	return ra, nil
}
