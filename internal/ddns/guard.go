package ddns

import (
	"errors"
	"net/netip"
)

var (
	cgnat   = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598 shared address space
	thisNet = netip.MustParsePrefix("0.0.0.0/8")     // RFC 1122 section 3.2.1.3
	ula     = netip.MustParsePrefix("fc00::/7")      // RFC 4193
	ipv4Map = netip.MustParsePrefix("::ffff:0:0/96") // RFC 4291 section 2.5.5.2
	v4Bcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})
)

// ErrNotPublishable is wrapped by every CheckPublishable refusal.
var ErrNotPublishable = errors.New("not publishable")

type guardError struct{ why string }

func (e *guardError) Error() string { return e.why }
func (e *guardError) Unwrap() error { return ErrNotPublishable }
func refuse(why string) error       { return &guardError{why} }
func isULA(ip netip.Addr) bool      { return ula.Contains(ip) }

// CheckPublishable refuses addresses that must never reach a public DNS
// record: unspecified, loopback, multicast, link-local (RFC 3927, RFC 4291),
// private IPv4 (RFC 1918), shared CGNAT space 100.64/10 (RFC 6598), "this
// network" 0/8, IPv4-mapped IPv6 and, unless allowULA, ULA (RFC 4193).
func CheckPublishable(ip netip.Addr, allowULA bool) error {
	switch {
	case !ip.IsValid():
		return refuse("no address")
	case ip.IsUnspecified():
		return refuse("unspecified address")
	case ip.IsLoopback():
		return refuse("loopback address")
	case ip.IsMulticast():
		return refuse("multicast address")
	case ip.IsLinkLocalUnicast():
		return refuse("link-local address")
	}
	if ip.Is4() {
		switch {
		case ip.IsPrivate():
			return refuse("private address (RFC 1918)")
		case cgnat.Contains(ip):
			return refuse("carrier-grade NAT address (RFC 6598, 100.64/10)")
		case thisNet.Contains(ip):
			return refuse("'this network' address (0/8)")
		case ip == v4Bcast:
			return refuse("broadcast address")
		}
		return nil
	}
	switch {
	case ipv4Map.Contains(ip):
		return refuse("IPv4-mapped IPv6 address")
	case isULA(ip) && !allowULA:
		return refuse("unique local address (RFC 4193, fc00::/7)")
	}
	return nil
}
