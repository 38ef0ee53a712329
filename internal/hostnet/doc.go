// Package hostnet is dualpath's thin glue to the Linux networking stack:
// addresses, policy rules and routes (netlink), sysctls, TUN and macvlan
// devices, one nftables table, and raw AF_PACKET sockets.
//
// Every change dualpath makes to a host goes through a Journal. The journal
// writes what it is about to change to a file (JSON lines, fsync'd) before it
// changes it, so that UndoAll can put the host back as it was on a clean exit,
// and OpenJournal can find and remove the leftovers of a run that crashed or
// was killed.
//
// All operations act on the network namespace that was current when the
// Journal (or PacketConn) was opened: the journal keeps a handle to that
// namespace and uses it from any goroutine. Tests use InNamespace to open a
// journal inside a throw-away namespace.
//
// A PPPoE session is wired up like this (errors elided):
//
//	j, _ := hostnet.OpenJournal("/var/lib/dualpath/journal") // cleans a crashed run
//	for _, c := range j.Recovered() { log.Print("cleaned up: ", c) }
//	_ = j.ApplyFirewall(hostnet.FirewallSpec{Interface: "dp-ppp0", TCP: []uint16{80, 443}, ICMPEcho: true})
//	mac, _ := j.CreateMacvlan("enp1s0", "dp-mv0")             // optional own MAC
//	dev, _ := j.CreateTUN("dp-ppp0", 1454)
//	link, _ := hostnet.OpenPacketConn("dp-mv0", 0x8864)      // session frames
//	disc, _ := hostnet.OpenPacketConn("dp-mv0", 0x8863)      // discovery frames
//	// ... discovery + PPP (packages pppoe, ppp) over dataplane.Client ...
//	_ = j.AddAddress("dp-ppp0", netip.PrefixFrom(addr, 32))
//	_ = j.SetSysctl("net.ipv4.conf.dp-ppp0.rp_filter", "2")
//	_ = j.AddRoute(4242, netip.MustParsePrefix("0.0.0.0/0"), "dp-ppp0")
//	_ = j.AddRule(addr, 4242, 10000)
//	// address changed: j.ReplaceRuleAddress(old, new), j.RemoveAddress + AddAddress
//	_ = j.UndoAll() // on exit: everything above, newest first
//	_ = j.Close()
//
// Errors a user can act on: a missing interface reads "interface enp9s0 not
// found (ip link shows: lo, enp1s0)" (errors.Is ErrInterfaceNotFound);
// missing privileges name CAP_NET_ADMIN and CAP_NET_RAW (errors.Is
// ErrPermission); a refusal with both held names the filter (ErrFiltered).
//
// Tests: open journals and packet conns inside InNamespace(ns.Name, ...)
// with namespaces from internal/netnstest; or run a child test binary with
// `ip netns exec` (see TestJournalCleansUpAfterSIGKILL) when a whole
// process must live in the namespace.
//
// On operating systems other than Linux every entry point returns
// ErrUnsupportedOS, so that the rest of dualpath still builds.
package hostnet

import (
	"errors"

	"github.com/dualpath/dualpath/internal/msg"
)

// ErrUnsupportedOS is returned by every operation on systems other than Linux.
var ErrUnsupportedOS = errors.New("hostnet: this needs Linux (netlink, TUN, AF_PACKET, nftables)")

// FirewallSpec describes the inbound policy on the PPPoE face: the nftables
// table owned by dualpath accepts, on packets arriving through Interface,
// established/related traffic, the listed ports and (optionally) ICMP echo,
// and drops everything else. Traffic on other interfaces is not touched.
type FirewallSpec struct {
	// Interface is the name of the PPPoE TUN device (e.g. "dp-ppp0"). It
	// need not exist yet: the rules match by name, so the firewall can be in
	// place before the session comes up (fail-closed).
	Interface string
	// TCP and UDP list the destination ports open to the outside.
	TCP []uint16
	UDP []uint16
	// ICMPEcho allows ICMP and ICMPv6 echo requests (ping).
	ICMPEcho bool
}

// FirewallTable is the nftables table (family inet) that dualpath owns. It is
// always created and deleted whole; nothing else in the ruleset is touched.
const FirewallTable = "dualpath"

// Change is one host change as recorded in the journal, for reports such as
// "cleaned up after a crash".
type Change struct {
	// Kind is one of "address", "rule", "route", "sysctl", "tun", "macvlan",
	// "nftables".
	Kind string
	// What describes the change in `ip`-like words, e.g.
	// "address 203.0.113.7/32 dev dp-ppp0".
	What string
}

func (c Change) String() string { return c.What }

// ErrPermission marks errors caused by missing privileges; the message tells
// the user what to do.
var ErrPermission = msg.Err(msg.T("needs CAP_NET_ADMIN and CAP_NET_RAW (run as root or grant them)",
	"CAP_NET_ADMIN と CAP_NET_RAW が必要です（root で実行するか、この 2 つを与えてください）"))

// ErrFiltered marks a refusal although the process holds CAP_NET_ADMIN and
// CAP_NET_RAW: a system call filter or a security policy said no.
var ErrFiltered = msg.Err(msg.T("refused although CAP_NET_ADMIN and CAP_NET_RAW are held: "+
	"a system call filter or security policy (systemd SystemCallFilter=, seccomp, AppArmor) forbids it; allow it there",
	"CAP_NET_ADMIN と CAP_NET_RAW があるのに拒否されました。システムコールのフィルタかセキュリティポリシー（systemd の SystemCallFilter=、seccomp、AppArmor）が禁じています。そこで許可してください"))

// ErrInterfaceNotFound marks errors about a network interface that does not
// exist; the message lists the interfaces that do.
var ErrInterfaceNotFound = errors.New("interface not found")
