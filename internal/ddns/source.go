package ddns

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// SourceKind says where a record's address comes from.
type SourceKind int

// Source kinds, as written in the config's ipv4/ipv6 keys.
const (
	SourceNone      SourceKind = iota // "none" or empty: the family is not managed
	SourcePPPoE                       // "pppoe": the PPPoE session's IPv4 address
	SourceInterface                   // "interface:NAME"
	SourceHTTP                        // "http:URL": an echo service, asked through the chosen path
	SourceStatic                      // "static:ADDR"
	// SourceSeen ("seen" or "seen:NAME"): the address the provider sees a
	// request arrive from, the request sent from the interface's own
	// address by the normal route (seen.go).
	SourceSeen
	// SourceTunnel ("tunnel"): the fixed IPv4 address of the config's
	// tunnel section (a fixed-IP IPv4-over-IPv6 service), as the daemon
	// pushes it; like pppoe, the request leaves from it.
	SourceTunnel
)

// Source is a parsed ipv4/ipv6 config value.
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

// ParseSource parses an ipv4 (v6 false) or ipv6 (v6 true) config value:
// pppoe | tunnel | interface:NAME | http:URL | static:ADDR | seen[:NAME] | none.
// "http:URL" keeps
// the whole URL: "http:https://api.example/ip" and "http://..." both work.
func ParseSource(s string, v6 bool) (Source, error) {
	s = strings.TrimSpace(s)
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "", "none":
		return Source{}, nil
	case "pppoe":
		if v6 {
			return Source{}, fmt.Errorf("pppoe gives only the IPv4 address: use interface:NAME for IPv6")
		}
		if arg != "" {
			return Source{}, fmt.Errorf("pppoe takes no argument (the TUN device is pppoe.tun)")
		}
		return Source{Kind: SourcePPPoE}, nil
	case "tunnel":
		if v6 {
			return Source{}, fmt.Errorf("tunnel gives only the fixed IPv4 address: use interface:NAME for IPv6")
		}
		if arg != "" {
			return Source{}, fmt.Errorf("tunnel takes no argument (the TUN device is tunnel.tun)")
		}
		return Source{Kind: SourceTunnel}, nil
	case "interface":
		if arg == "" || len(arg) > 15 || strings.ContainsAny(arg, "/ \t") {
			return Source{}, fmt.Errorf("interface:%s: want interface:NAME, e.g. interface:enp1s0", arg)
		}
		return Source{Kind: SourceInterface, Link: arg}, nil
	case "http", "https":
		raw := arg
		if kind == "https" || strings.HasPrefix(arg, "//") {
			raw = s // the whole value is the URL: "http://..." or "https://..."
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Source{}, fmt.Errorf("%s: want http:URL with an http:// or https:// echo URL", s)
		}
		return Source{Kind: SourceHTTP, URL: u.String()}, nil
	case "static":
		a, err := netip.ParseAddr(arg)
		if err != nil || a.Is4() == v6 || a.Is4In6() {
			fam := "IPv4"
			if v6 {
				fam = "IPv6"
			}
			return Source{}, fmt.Errorf("static:%s: want an %s address", arg, fam)
		}
		return Source{Kind: SourceStatic, Static: a}, nil
	case "seen":
		if arg != "" && (len(arg) > 15 || strings.ContainsAny(arg, "/ \t")) {
			return Source{}, fmt.Errorf("seen:%s: want seen or seen:NAME, e.g. seen:enp1s0", arg)
		}
		return Source{Kind: SourceSeen, Link: arg}, nil
	}
	return Source{}, fmt.Errorf("%q: want pppoe, tunnel, interface:NAME, http:URL, static:ADDR, seen or none", s)
}

var reIPToken = regexp.MustCompile(`[0-9A-Fa-f:.]{2,45}`)

// ParseEchoAnswer finds the address in an echo service's answer: a bare
// address ("203.0.113.7\n"), or the first address-looking token of a short
// text or HTML page ("Current IP Address: 203.0.113.7").
func ParseEchoAnswer(body []byte, v6 bool) (netip.Addr, error) {
	s := strings.TrimSpace(string(body))
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		if a.Is6() != v6 {
			return netip.Addr{}, msg.Err(msg.T("echo answered %s, wrong family", "echo の答えは %s で、アドレスの種類が違います", a))
		}
		return a, nil
	}
	for _, tok := range reIPToken.FindAllString(s, 20) {
		tok = strings.Trim(tok, ".:")
		a, err := netip.ParseAddr(tok)
		if err == nil && a.Unmap().Is6() == v6 && (v6 || a.Is4()) {
			return a.Unmap(), nil
		}
	}
	return netip.Addr{}, msg.Err(msg.T("echo answer has no address: %s", "echo の答えにアドレスがありません: %s", snippet(body)))
}

// echo asks an echo URL which address the request came from, over the
// family's network, bound to local when valid (the PPPoE address, so the
// request leaves by PPPoE).
func echo(ctx context.Context, rawURL string, v6 bool, local netip.Addr) (netip.Addr, error) {
	network := "tcp4"
	if v6 {
		network = "tcp6"
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return netip.Addr{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return netip.Addr{}, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := newClient(network, local).Do(req)
	if err != nil {
		return netip.Addr{}, netError("echo", u, err)
	}
	defer resp.Body.Close()
	body, _ := readBody(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, httpStatusError("echo", resp, body)
	}
	return ParseEchoAnswer(body, v6)
}
