// Package sockets finds which TCP and UDP ports this host listens on, per
// address family, for doctor's "does nginx listen on IPv6 too?" check. It
// reads the kernel's socket tables (/proc/net/tcp, tcp6, udp, udp6) and, on
// Linux, asks sock_diag for each IPv6 socket's IPV6_V6ONLY flag: a [::]:80
// socket with v6only=0 also takes IPv4 (RFC 3493 section 5.3), nginx's
// `listen [::]:80` sets v6only=1 by default, so the /proc tables alone cannot
// tell. UDP has no LISTEN state: a bound, unconnected UDP socket is the
// listener (the kernel shows it in state 07, TCP_CLOSE).
package sockets

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Listener is one listening TCP socket or bound, unconnected UDP socket.
type Listener struct {
	Addr  netip.AddrPort // local address; 0.0.0.0 / :: for wildcard
	Inode uint64
	// V6Only applies to IPv6 sockets: true when the socket takes IPv6 only.
	// V6OnlyKnown is false when it had to be guessed.
	V6Only      bool
	V6OnlyKnown bool
}

// IPv6 reports whether the socket is an AF_INET6 socket.
func (l Listener) IPv6() bool { return l.Addr.Addr().Is6() && !l.Addr.Addr().Is4In6() }

// Socket states in the kernel's numbering (include/net/tcp_states.h), which
// /proc/net/udp and sock_diag use for UDP too.
const (
	tcpListen = 0x0A // TCP_LISTEN: a listening TCP socket
	// udpUnconnected is TCP_CLOSE: a UDP socket that is bound but not
	// connect()ed, so it takes datagrams from any peer. A connected UDP
	// socket (TCP_ESTABLISHED) only hears its one peer and is no server.
	udpUnconnected = 0x07
)

// ParseProcNet parses /proc/net/tcp or /proc/net/tcp6 and returns the
// listening sockets. ipv6 selects the address width (8 or 32 hex digits). The
// kernel prints each 32-bit word of the address in host byte order; this
// decoder assumes a little-endian host (every machine dualpath targets).
func ParseProcNet(data []byte, ipv6 bool) ([]Listener, error) {
	return parseProcNet(data, ipv6, tcpListen)
}

// ParseProcNetUDP parses /proc/net/udp or /proc/net/udp6 (same layout as the
// TCP tables) and returns the bound, unconnected sockets: UDP's listeners.
func ParseProcNetUDP(data []byte, ipv6 bool) ([]Listener, error) {
	return parseProcNet(data, ipv6, udpUnconnected)
}

func parseProcNet(data []byte, ipv6 bool, want uint64) ([]Listener, error) {
	var out []Listener
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 4096), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if strings.Contains(line, "local_address") {
				continue
			}
		}
		f := strings.Fields(line)
		if len(f) < 10 {
			if len(f) == 0 {
				continue
			}
			return nil, fmt.Errorf("sockets: short line %q", line)
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("sockets: bad state %q", f[3])
		}
		if st != want {
			continue
		}
		ap, err := parseHexAddrPort(f[1], ipv6)
		if err != nil {
			return nil, err
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sockets: bad inode %q", f[9])
		}
		out = append(out, Listener{Addr: ap, Inode: inode})
	}
	return out, sc.Err()
}

func parseHexAddrPort(s string, ipv6 bool) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	want := 8
	if ipv6 {
		want = 32
	}
	if !ok || len(a) != want || len(p) != 4 {
		return netip.AddrPort{}, fmt.Errorf("sockets: bad address %q", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("sockets: bad address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("sockets: bad port %q", s)
	}
	// Each 32-bit word is in host (little-endian) order: reverse per word.
	for i := 0; i+4 <= len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	var addr netip.Addr
	if ipv6 {
		addr = netip.AddrFrom16([16]byte(raw))
	} else {
		addr = netip.AddrFrom4([4]byte(raw))
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// Coverage says how a TCP or UDP port is reachable, per family.
type Coverage struct {
	Port uint16
	// IPv4 / IPv6: some socket takes connections to a non-loopback address.
	IPv4, IPv6 bool
	// LoopbackOnly4/6: the only sockets of that family are on loopback.
	LoopbackOnly4, LoopbackOnly6 bool
	// ViaDualStack: IPv4 is served by an IPv6 socket with v6only off.
	ViaDualStack bool
	// Guessed: a v6only flag had to be guessed (sock_diag unavailable).
	Guessed bool
	// Sockets lists the matching sockets, e.g. "0.0.0.0:80", "[::]:80 v6only".
	Sockets []string
}

// CoverageOf sums up the listeners on port.
func CoverageOf(ls []Listener, port uint16) Coverage {
	c := Coverage{Port: port}
	var lo4, lo6 bool
	for _, l := range ls {
		if l.Addr.Port() != port {
			continue
		}
		a := l.Addr.Addr()
		desc := l.Addr.String()
		switch {
		case !l.IPv6(): // AF_INET socket (or a v4-mapped bind)
			if a.Unmap().IsLoopback() {
				lo4 = true
			} else {
				c.IPv4 = true
			}
		default:
			if l.V6Only {
				desc += " v6only"
			}
			if !l.V6OnlyKnown {
				c.Guessed = true
			}
			if a.IsLoopback() {
				lo6 = true
				break
			}
			c.IPv6 = true
			if a.IsUnspecified() && !l.V6Only {
				if !c.IPv4 {
					c.ViaDualStack = true
				}
				c.IPv4 = true
			}
		}
		c.Sockets = append(c.Sockets, desc)
	}
	c.LoopbackOnly4 = lo4 && !c.IPv4
	c.LoopbackOnly6 = lo6 && !c.IPv6
	return c
}
