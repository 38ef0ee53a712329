// Package lab builds the whole house and an ISP in network namespaces on one
// machine: the newcomer's demo (`dualpath lab demo`) and dualpath's end-to-end
// test (`dualpath lab test`).
//
// The ISP namespace holds a BRAS (internal/session's AccessConcentrator,
// made of dualpath's own pppoe, ppp and dataplane packages), a MAP-E border
// relay in userspace (package mapetun), IPv6 routing with a /56 per customer, an
// authoritative BIND 9 for the lab zone and a MyDNS-compatible update
// service that writes to it. The house holds an IPoE router (MAP-E CE in
// userspace with NAPT restricted to its port set, PPPoE passthrough,
// DHCPv4 and router advertisements from dnsmasq), a PC and a server running
// nginx and dualpath; the two-routers scenario adds the article's second
// router holding the PPPoE session. Every name the lab creates starts with
// a prefix (default "dpl-"), so several labs can run side by side; programs
// the lab runs inside its namespaces are `dualpath lab-node ...` (node.go)
// or real ones (nginx, dnsmasq, named, busybox udhcpc).
//
// Only documentation address space is used (RFC 3849 2001:db8::/32, RFC 5737
// 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24).
package lab

import (
	"net/netip"
	"regexp"

	"github.com/dualpath/dualpath/internal/msg"
)

// Scenario names.
const (
	// ScenarioServerPPPoE is the set-up dualpath is made for: the server holds
	// its own PPPoE session through the IPoE router's PPPoE passthrough.
	ScenarioServerPPPoE = "server-pppoe"
	// ScenarioTwoRouters is the article's set-up dualpath replaces: a second
	// router holds the PPPoE session and forwards 80/443 to the server.
	ScenarioTwoRouters = "two-routers"
)

// DefaultPrefix starts every namespace name of the lab.
const DefaultPrefix = "dpl-"

// Node names (the namespace is Prefix+node).
const (
	NodeISP     = "isp"
	NodeInet4   = "inet4"
	NodeInet6   = "inet6"
	NodeRouter  = "router"
	NodeRouter2 = "router2"
	NodePC      = "pc"
	NodeServer  = "server"
)

// AllNodes lists every node any scenario may create, in creation order; down
// removes each of them if present.
var AllNodes = []string{NodeISP, NodeInet4, NodeInet6, NodeRouter, NodeRouter2, NodePC, NodeServer}

// Nodes returns the nodes of a scenario.
func Nodes(scenario string) []string {
	if scenario == ScenarioTwoRouters {
		return AllNodes
	}
	return []string{NodeISP, NodeInet4, NodeInet6, NodeRouter, NodePC, NodeServer}
}

// ValidScenario reports whether s names a scenario.
func ValidScenario(s string) bool {
	return s == ScenarioServerPPPoE || s == ScenarioTwoRouters || s == ScenarioIPIPFixed
}

var prefixRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,11}$`)

// CheckPrefix validates a namespace prefix: lower-case letters, digits and
// dashes, at most 12 characters (namespace names stay short and unambiguous).
func CheckPrefix(p string) error {
	if !prefixRE.MatchString(p) {
		return msg.Errorf("lab prefix %q: use 1-12 lower-case letters, digits or '-', e.g. dpl-", "ラボの接頭辞 %q は使えません。小文字の英字、数字、「-」の 1〜12 文字にしてください（例 dpl-）", p)
	}
	return nil
}

// The address plan. Everything is documentation space.
var (
	// MAPERule is shaped like a real Japanese rule (v6プラス style): a /40
	// rule prefix, 8 IPv4 bits and 8 PSID bits of EA (EA length 16, k=8),
	// PSID offset a=4, so an end-user /56 owns 240 ports in 15 ranges of 16.
	MAPERule = "2001:db8:100::/40,198.51.100.0/24,16,4"
	// MAPEIPv6Prefix, MAPEIPv4Prefix, MAPEEALen, MAPEPSIDOffset are the
	// rule's parts.
	MAPEIPv6Prefix = netip.MustParsePrefix("2001:db8:100::/40")
	MAPEIPv4Prefix = netip.MustParsePrefix("198.51.100.0/24")
	MAPEEALen      = 16
	MAPEPSIDOffset = 4
	// BRAddr is the MAP-E border relay's IPv6 address (on the ISP's loopback).
	BRAddr = netip.MustParseAddr("2001:db8:ffff::1")
	// RouterPrefix is the IPoE router's delegated /56: EA bits 0x05 0x12,
	// that is shared IPv4 198.51.100.5 with PSID 0x12.
	RouterPrefix = netip.MustParsePrefix("2001:db8:105:1200::/56")
	// RouterLAN6 is the /64 the router announces on its LAN.
	RouterLAN6 = netip.MustParsePrefix("2001:db8:105:1200::/64")
	// RouterLAN6Addr is the router's address on its LAN.
	RouterLAN6Addr = netip.MustParseAddr("2001:db8:105:1200::1")
	// SharedIPv4 is the router's shared MAP-E IPv4 address.
	SharedIPv4 = netip.MustParseAddr("198.51.100.5")

	// Access network between the ISP and the router's WAN port (IPoE).
	AccessISP    = netip.MustParsePrefix("2001:db8:ff00:1::1/64")
	AccessRouter = netip.MustParsePrefix("2001:db8:ff00:1::2/64")

	// The IPv4 internet: the ISP and the IPv4-only visitor.
	Inet4ISP   = netip.MustParsePrefix("192.0.2.1/28")
	Inet4Addr  = netip.MustParsePrefix("192.0.2.2/28")
	Inet6ISP   = netip.MustParsePrefix("2001:db8:f6::1/64")
	Inet6Addr  = netip.MustParsePrefix("2001:db8:f6::2/64")
	DNS4       = netip.MustParseAddr("192.0.2.53")
	DNS6       = netip.MustParseAddr("2001:db8:53::53")
	MyDNS4     = netip.MustParseAddr("192.0.2.80")
	MyDNS6     = netip.MustParseAddr("2001:db8:53::80")
	PPPoEPool  = netip.MustParsePrefix("203.0.113.0/24")
	PPPoELocal = netip.MustParseAddr("203.0.113.1")

	// The home LAN.
	LAN4         = netip.MustParsePrefix("192.168.1.0/24")
	RouterLAN4   = netip.MustParseAddr("192.168.1.1")
	Router2LAN4  = netip.MustParseAddr("192.168.1.2")
	ServerLAN4   = netip.MustParseAddr("192.168.1.10")
	DHCPFirst    = netip.MustParseAddr("192.168.1.100")
	DHCPLast     = netip.MustParseAddr("192.168.1.200")
	ServerSuffix = "::10" // the server's stable IPv6 host part (static, as users set it)
)

// Zone is the lab's DNS zone, served by BIND in the ISP; Name is the
// server's name in it.
const (
	Zone = "lab.example."
	Name = "www.lab.example."
	// WhoamiPort is where the visitors run a service that tells a client
	// which address and port it was seen from.
	WhoamiPort = 7007
	// DecoyPort is where the server runs decoy services, on TCP and on UDP
	// (one that answers any datagram), that must NOT be reachable on the
	// PPPoE address (the firewall opens only the configured ports); on the
	// LAN they are, which shows a scan can see them.
	DecoyPort = 8022
)

// ServerIPv6 is the server's stable global IPv6 address.
func ServerIPv6() netip.Addr {
	return netip.MustParseAddr("2001:db8:105:1200" + ServerSuffix)
}
