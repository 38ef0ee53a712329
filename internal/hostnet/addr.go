package hostnet

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Addr is one address of an interface as netlink reports it, with the
// flags and lifetimes that net.Interface.Addrs() does not give: what an
// updater needs to tell a stable IPv6 address from a temporary, deprecated
// or tentative one.
type Addr struct {
	Prefix       netip.Prefix  // address and prefix length
	Flags        AddrFlags     // IFA_F_*, from IFA_FLAGS
	Scope        uint8         // RT_SCOPE_*: 0 universe (global), 253 link, 254 host
	PreferredLft time.Duration // AddrForever when infinite; 0 means deprecated
	ValidLft     time.Duration // AddrForever when infinite
}

// AddrForever is the lifetime of an address that never expires
// (0xffffffff s in netlink).
const AddrForever = time.Duration(1<<63 - 1)

// AddrFlags are the kernel's IFA_F_* address flags.
type AddrFlags uint32

// Address flags (values of linux/if_addr.h).
const (
	AddrSecondary  AddrFlags = 0x01 // IPv4: not the primary address of its subnet
	AddrTemporary  AddrFlags = 0x01 // IPv6: RFC 8981 temporary (privacy) address
	AddrNoDAD      AddrFlags = 0x02
	AddrOptimistic AddrFlags = 0x04
	AddrDADFailed  AddrFlags = 0x08
	AddrDeprecated AddrFlags = 0x20 // preferred lifetime ran out (RFC 4862 section 5.5.4)
	AddrTentative  AddrFlags = 0x40 // duplicate address detection still running
	AddrPermanent  AddrFlags = 0x80 // configured by hand, not by SLAAC
	AddrMngTmpAddr AddrFlags = 0x100
	AddrStablePriv AddrFlags = 0x800 // RFC 7217 stable privacy address (still stable)
)

// LinkAddr is one address of the host with the name of its interface.
type LinkAddr struct {
	Link   string
	Prefix netip.Prefix
}

// HostAddrs lists every address of every interface in the current network
// namespace (through net.Interfaces: names and prefixes, no flags).
func HostAddrs() ([]LinkAddr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %v", err)
	}
	var out []LinkAddr
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				ones, _ := ipn.Mask.Size()
				out = append(out, LinkAddr{ifc.Name, netip.PrefixFrom(ip.Unmap(), ones)})
			}
		}
	}
	return out, nil
}

// IsHostAddr reports whether a is an address of this host (in the current
// network namespace).
func IsHostAddr(a netip.Addr) bool {
	addrs, err := HostAddrs()
	if err != nil {
		return false
	}
	for _, x := range addrs {
		if x.Prefix.Addr() == a.Unmap() {
			return true
		}
	}
	return false
}
