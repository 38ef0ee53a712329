package ddns

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// V6Choice tunes how a stable IPv6 address is chosen for an AAAA record.
type V6Choice struct {
	Include  []netip.Prefix // only addresses inside one of these (empty: any)
	Exclude  []netip.Prefix // never addresses inside one of these
	AllowULA bool           // allow fc00::/7 (RFC 4193); off by default
	// Suffix, when valid, replaces the host part (the bits after the
	// address's prefix length) of the chosen address: a fixed ::10 on a
	// prefix that changes.
	Suffix netip.Addr
}

// ChooseIPv6 picks the address to publish from an interface's addresses, as
// ddclient and RFC 6724 suggest for a server: skip temporary (RFC 8981),
// deprecated, tentative and dadfailed addresses (RFC 4862 section 5.5.4),
// link-local and, unless allowed, ULA; among the rest prefer permanent
// (hand-configured) addresses, then the longest preferred lifetime, then the
// lowest address for determinism. The reason explains an empty answer.
func ChooseIPv6(addrs []hostnet.Addr, c V6Choice) (netip.Addr, error) {
	var cands []hostnet.Addr
	var skipped []msg.Text
	for _, a := range addrs {
		ip := a.Prefix.Addr()
		if !ip.Is6() || ip.Is4In6() {
			continue
		}
		var why msg.Text
		switch {
		case a.Flags&hostnet.AddrTemporary != 0:
			why = msg.T("temporary", "一時アドレス")
		case a.Flags&hostnet.AddrDeprecated != 0 || a.PreferredLft == 0:
			why = msg.T("deprecated", "非推奨")
		case a.Flags&hostnet.AddrTentative != 0:
			why = msg.T("tentative", "重複確認中")
		case a.Flags&hostnet.AddrDADFailed != 0:
			why = msg.T("dadfailed", "重複検出で失敗")
		case ip.IsLinkLocalUnicast() || a.Scope == 253:
			why = msg.T("link-local", "リンクローカル")
		case ip.IsLoopback() || a.Scope == 254:
			why = msg.T("host scope", "ホスト内スコープ")
		case isULA(ip) && !c.AllowULA:
			why = msg.T("ULA (set allow_ula to publish it)", "ULA（公開するには allow_ula を設定）")
		case len(c.Include) > 0 && !inAny(ip, c.Include):
			why = msg.T("outside ipv6_include", "ipv6_include の外")
		case inAny(ip, c.Exclude):
			why = msg.T("inside ipv6_exclude", "ipv6_exclude の中")
		}
		if !why.IsZero() {
			skipped = append(skipped, msg.T("%s (%s)", "%s（%s）", ip, why))
			continue
		}
		if err := CheckPublishable(ip, c.AllowULA); err != nil {
			skipped = append(skipped, msg.T("%s (%v)", "%s（%v）", ip, err))
			continue
		}
		cands = append(cands, a)
	}
	if len(cands) == 0 {
		if len(skipped) == 0 {
			return netip.Addr{}, msg.Err(msg.T("no global IPv6 address on the interface", "インターフェースにグローバル IPv6 アドレスがありません"))
		}
		return netip.Addr{}, msg.Err(msg.T("no stable global IPv6 address: skipped %s", "安定したグローバル IPv6 アドレスがありません。除外したもの: %s", skippedList(skipped)))
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		ap, bp := a.Flags&hostnet.AddrPermanent != 0, b.Flags&hostnet.AddrPermanent != 0
		if ap != bp {
			return ap
		}
		if a.PreferredLft != b.PreferredLft {
			return a.PreferredLft > b.PreferredLft
		}
		return a.Prefix.Addr().Less(b.Prefix.Addr())
	})
	best := cands[0].Prefix
	if c.Suffix.IsValid() {
		return WithSuffix(best, c.Suffix), nil
	}
	return best.Addr(), nil
}

// WithSuffix keeps the first p.Bits() bits of p's address and takes the rest
// from suffix: WithSuffix(2001:db8:1:2::abcd/64, ::10) = 2001:db8:1:2::10.
func WithSuffix(p netip.Prefix, suffix netip.Addr) netip.Addr {
	a, s := p.Addr().As16(), suffix.As16()
	bits := p.Bits()
	for i := 0; i < 16; i++ {
		keep := bits - i*8 // bits of this byte taken from the prefix
		switch {
		case keep >= 8:
		case keep <= 0:
			a[i] = s[i]
		default:
			mask := byte(0xff << (8 - keep))
			a[i] = a[i]&mask | s[i]&^mask
		}
	}
	return netip.AddrFrom16(a)
}

// ChooseIPv4 picks the primary global IPv4 address of an interface: the
// first address that is not secondary and passes CheckPublishable.
func ChooseIPv4(addrs []hostnet.Addr) (netip.Addr, error) {
	var skipped []msg.Text
	for pass := 0; pass < 2; pass++ {
		for _, a := range addrs {
			ip := a.Prefix.Addr()
			if !ip.Is4() {
				continue
			}
			if pass == 0 && a.Flags&hostnet.AddrSecondary != 0 {
				continue // primaries first, secondaries as a fallback
			}
			if pass == 1 && a.Flags&hostnet.AddrSecondary == 0 {
				continue
			}
			if err := CheckPublishable(ip, false); err != nil {
				skipped = append(skipped, msg.T("%s (%v)", "%s（%v）", ip, err))
				continue
			}
			return ip, nil
		}
	}
	if len(skipped) == 0 {
		return netip.Addr{}, errNoIPv4
	}
	return netip.Addr{}, msg.Err(msg.T("no publishable IPv4 address: skipped %s", "公開できる IPv4 アドレスがありません。除外したもの: %s", skippedList(skipped)))
}

var errNoIPv4 = msg.Err(msg.T("no IPv4 address on the interface", "インターフェースに IPv4 アドレスがありません"))

// skippedList is the addresses a choice skipped, and why: "[a (why) b
// (why)]" as fmt prints a list, 「a（理由）、b（理由）」.
func skippedList(ts []msg.Text) msg.Text {
	en := make([]string, len(ts))
	for i, t := range ts {
		en[i] = t.EN
	}
	return msg.Text{EN: fmt.Sprint(en), JA: msg.Join(ts, msg.Comma).JA}
}

func inAny(ip netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
