package config

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// SourceKind says where a DNS record's address comes from.
type SourceKind int

// Source kinds, as written in a ddns record's ipv4/ipv6 keys.
const (
	SourceNone      SourceKind = iota // "none" or empty: the family is not managed
	SourcePPPoE                       // "pppoe": the PPPoE session's IPv4 address
	SourceInterface                   // "interface:NAME"
	SourceHTTP                        // "http:URL": an echo service, asked through the chosen path
	SourceStatic                      // "static:ADDR"
	// SourceSeen ("seen" or "seen:NAME"): the address the provider sees a
	// request arrive from, the request sent from the interface's own
	// address by the normal route.
	SourceSeen
	// SourceTunnel ("tunnel"): the fixed IPv4 address of the config's
	// tunnel section (a fixed-IP IPv4-over-IPv6 service), as the daemon
	// pushes it; like pppoe, the request leaves from it.
	SourceTunnel
)

// Source is a ddns record's ipv4 or ipv6 value, parsed once when the file
// is decoded (ParseSource); the family comes from the key.
type Source struct {
	Kind   SourceKind
	Link   string     // interface name for SourceInterface; for SourceSeen, "" means the config's interface
	URL    string     // echo URL for SourceHTTP
	Static netip.Addr // SourceStatic
}

// String writes the source back in config syntax.
func (s Source) String() string {
	switch s.Kind {
	case SourcePPPoE:
		return "pppoe"
	case SourceTunnel:
		return "tunnel"
	case SourceInterface:
		return "interface:" + s.Link
	case SourceHTTP:
		return "http:" + s.URL
	case SourceStatic:
		return "static:" + s.Static.String()
	case SourceSeen:
		if s.Link != "" {
			return "seen:" + s.Link
		}
		return "seen"
	}
	return "none"
}

// IsSet reports whether the source manages its family (not none).
func (s Source) IsSet() bool { return s.Kind != SourceNone }

var sourceKinds = []string{"pppoe", "tunnel", "interface", "http", "static", "seen", "none"}

// ParseSource parses an ipv4 (v6 false) or ipv6 (v6 true) value:
// pppoe | tunnel | interface:NAME | http:URL | static:ADDR | seen[:NAME] | none.
// "http:URL" keeps the whole URL: "http:https://api.example/ip" and
// "http://..." both work. Errors speak both languages (msg.Err) and say
// what to write instead. Whether the file has the pppoe or tunnel section a
// source needs is Validate's business.
func ParseSource(s string, v6 bool) (Source, error) {
	s = strings.TrimSpace(s)
	kind, arg, _ := strings.Cut(s, ":")
	fail := func(en, ja string, args ...any) (Source, error) { return Source{}, msg.Err(msg.T(en, ja, args...)) }
	link := func(k SourceKind) (Source, error) {
		switch {
		case len(arg) > 15:
			return fail("%q is longer than 15 characters, the Linux limit for interface names", "%q は15文字を超えています（Linux のインターフェース名の上限）", arg)
		case arg != "" && !validIfname(arg):
			return fail("%q is not a valid interface name", "%q はインターフェース名として使えません", arg)
		}
		return Source{Kind: k, Link: arg}, nil
	}
	switch kind {
	case "", "none":
		if arg != "" {
			break
		}
		return Source{}, nil
	case "pppoe":
		if v6 {
			return fail("pppoe gives only IPv4 here: use interface:NAME for the AAAA record", "pppoe からは IPv4 しか得られません。AAAA レコードには interface:NAME を使ってください")
		}
		if arg != "" {
			return fail("pppoe takes no argument: write ipv4: pppoe", "pppoe には引数がありません。「ipv4: pppoe」と書いてください")
		}
		return Source{Kind: SourcePPPoE}, nil
	case "tunnel":
		if v6 {
			return fail("tunnel gives only IPv4 (the fixed address): use interface:NAME for the AAAA record", "tunnel からは IPv4（固定アドレス）しか得られません。AAAA レコードには interface:NAME を使ってください")
		}
		if arg != "" {
			return fail("tunnel takes no argument: write ipv4: tunnel", "tunnel には引数がありません。「ipv4: tunnel」と書いてください")
		}
		return Source{Kind: SourceTunnel}, nil
	case "interface":
		if arg == "" {
			return fail("interface needs a name: write interface:NAME, e.g. interface:enp1s0", "interface には名前が必要です。interface:enp1s0 のように interface:NAME と書いてください")
		}
		return link(SourceInterface)
	case "seen":
		return link(SourceSeen)
	case "http", "https":
		raw := arg
		if kind == "https" || strings.HasPrefix(arg, "//") {
			raw = s // the whole value is the URL: "http://..." or "https://..."
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail("%q is not an http:// or https:// URL: write http:URL, e.g. http:https://api.example/ip", "%q は http:// か https:// の URL ではありません。http:https://api.example/ip のように http:URL と書いてください", raw)
		}
		return Source{Kind: SourceHTTP, URL: u.String()}, nil
	case "static":
		a, err := netip.ParseAddr(arg)
		if err != nil || a.Is4() == v6 || a.Is4In6() || a.Zone() != "" {
			fam := "IPv4"
			if v6 {
				fam = "IPv6"
			}
			return fail("%q is not an %s address", "%q は %s アドレスではありません", arg, fam)
		}
		return Source{Kind: SourceStatic, Static: a}, nil
	}
	return fail("%q is not an address source%s: use pppoe, tunnel, interface:NAME, http:URL, static:ADDR, seen or none",
		"%q はアドレスの取得元ではありません%s。pppoe、tunnel、interface:NAME、http:URL、static:ADDR、seen、none のどれかにしてください",
		s, msg.DidYouMean(kind, sourceKinds))
}
