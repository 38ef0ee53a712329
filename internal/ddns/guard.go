package ddns

import (
	"errors"
	"net/netip"

	"github.com/dualpath/dualpath/internal/msg"
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

type guardError struct{ why msg.Text }

func (e *guardError) Error() string           { return e.why.EN }
func (e *guardError) In(lang msg.Lang) string { return e.why.In(lang) }
func (e *guardError) Unwrap() error           { return ErrNotPublishable }
func refuse(why msg.Text) error               { return &guardError{why} }
func isULA(ip netip.Addr) bool                { return ula.Contains(ip) }

// CheckPublishable refuses addresses that must never reach a public DNS
// record: unspecified, loopback, multicast, link-local (RFC 3927, RFC 4291),
// private IPv4 (RFC 1918), shared CGNAT space 100.64/10 (RFC 6598), "this
// network" 0/8, IPv4-mapped IPv6 and, unless allowULA, ULA (RFC 4193).
func CheckPublishable(ip netip.Addr, allowULA bool) error {
	switch {
	case !ip.IsValid():
		return refuse(msg.T("no address", "アドレスなし"))
	case ip.IsUnspecified():
		return refuse(msg.T("unspecified address", "未指定アドレス"))
	case ip.IsLoopback():
		return refuse(msg.T("loopback address", "ループバックアドレス"))
	case ip.IsMulticast():
		return refuse(msg.T("multicast address", "マルチキャストアドレス"))
	case ip.IsLinkLocalUnicast():
		return refuse(msg.T("link-local address", "リンクローカルアドレス"))
	}
	if ip.Is4() {
		switch {
		case ip.IsPrivate():
			return refuse(msg.T("private address (RFC 1918)", "プライベートアドレス（RFC 1918）"))
		case cgnat.Contains(ip):
			return refuse(msg.T("carrier-grade NAT address (RFC 6598, 100.64/10)", "キャリアグレード NAT のアドレス（RFC 6598、100.64/10）"))
		case thisNet.Contains(ip):
			return refuse(msg.T("'this network' address (0/8)", "「このネットワーク」のアドレス（0/8）"))
		case ip == v4Bcast:
			return refuse(msg.T("broadcast address", "ブロードキャストアドレス"))
		}
		return nil
	}
	switch {
	case ipv4Map.Contains(ip):
		return refuse(msg.T("IPv4-mapped IPv6 address", "IPv4 射影 IPv6 アドレス"))
	case isULA(ip) && !allowULA:
		return refuse(msg.T("unique local address (RFC 4193, fc00::/7)", "ユニークローカルアドレス（RFC 4193、fc00::/7）"))
	}
	return nil
}
