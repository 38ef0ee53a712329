// Package dataplane is dualpath's hot path: it forwards IP packets between a
// TUN device and a raw Ethernet link, adding and removing the PPPoE session
// header (RFC 2516 section 4) and the PPP protocol field (RFC 1661 section
// 2; 0x0021 IPv4, 0x0057 IPv6).
//
// Three roles share one engine:
//
//   - Client holds one session (the PPPoE client that dualpath runs on a home
//     server). Its parameters can be swapped at run time, so a reconnect keeps
//     the TUN device.
//   - AC holds many sessions on one link (the access concentrator of the
//     lab's simulated ISP); packets from the TUN pick their session by
//     destination address.
//   - Tunnel is the server's end of a fixed-IP IPv4-over-IPv6 service (RFC
//     2473 IPv4-in-IPv6 to the provider's border relay): the link is a raw
//     IPv6 socket (hostnet.IPIP6Conn) carrying bare IPv4 packets, and only
//     packets of the fixed address or block cross.
//
// Session frames that are not IPv4/IPv6 (LCP, PAP, CHAP, IPCP, ...) go to a
// control callback; the control plane sends its frames back with
// SendControl. Discovery frames (EtherType 0x8863) go to a second callback
// when a discovery link is given.
//
// The engine reads and writes in batches: TUN devices opened with virtio-net
// offloads (golang.zx2c4.com/wireguard/tun, as hostnet.Journal.CreateTUN
// does) hand over TCP/UDP GSO super-packets already split into segments of
// the size the kernel chose from the TUN MTU, and coalesce written TCP
// segments (GRO); the link side uses recvmmsg/sendmmsg (hostnet.PacketConn).
// TCP SYNs are MSS-clamped in both directions to the session MTU minus the
// IP and TCP headers; a packet from the TUN over the session MTU is dropped
// and answered with an ICMP/ICMPv6 "packet too big" so path MTU discovery
// adapts. Every drop is counted by reason (Stats), and Stats.DropsByName
// gives metric labels.
//
// Frames with a PPPoE LENGTH that does not match the frame (beyond
// minimum-size padding), or whose session ID, source MAC or destination MAC
// is not a live session's, are dropped.
package dataplane
