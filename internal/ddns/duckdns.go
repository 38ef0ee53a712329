package ddns

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// DuckDNSURL is the documented update endpoint (https://www.duckdns.org/spec.jsp).
const DuckDNSURL = "https://www.duckdns.org"

// DuckDNS updates a duckdns.org subdomain: GET /update?domains=&token=&ip=&ipv6=
// answered "OK" or "KO" (verbose adds the addresses and UPDATED/NOCHANGE).
// DuckDNS fills a missing ip= from the request's source address, so both
// families are always sent explicitly when known.
type DuckDNS struct {
	Domain  string // subdomain, with or without .duckdns.org
	Token   string
	BaseURL string // default DuckDNSURL
}

// Kind implements Provider.
func (d *DuckDNS) Kind() string { return "duckdns" }

// DuckDNSAnswer is a decoded DuckDNS answer.
type DuckDNSAnswer struct {
	OK         bool
	IPv4, IPv6 netip.Addr // verbose: the addresses of the update (either can be blank)
	Changed    string     // verbose: UPDATED or NOCHANGE
}

// ParseDuckDNSAnswer decodes a DuckDNS body; it errors on anything but OK/KO.
func ParseDuckDNSAnswer(body []byte) (DuckDNSAnswer, error) {
	lines := strings.Split(strings.TrimSpace(string(bytes.ReplaceAll(body, []byte("\r"), nil))), "\n")
	var a DuckDNSAnswer
	switch strings.TrimSpace(lines[0]) {
	case "OK":
		a.OK = true
	case "KO":
	default:
		return a, fmt.Errorf("unexpected answer %s", snippet(body))
	}
	if len(lines) >= 4 {
		a.Changed = strings.TrimSpace(lines[3])
		// The spec puts "the current IP address" on line 2 (which may be
		// an IPv6 address sent as ip=) and the IPv6 one on line 3.
		for _, l := range lines[1:3] {
			if ip, err := netip.ParseAddr(strings.TrimSpace(l)); err == nil {
				if ip.Unmap().Is4() {
					a.IPv4 = ip.Unmap()
				} else {
					a.IPv6 = ip
				}
			}
		}
	}
	return a, nil
}

func (d *DuckDNS) domain() string {
	return strings.TrimSuffix(strings.TrimSuffix(d.Domain, "."), ".duckdns.org")
}

func (d *DuckDNS) url(u Update) (*url.URL, error) {
	ep, err := endpoint(def(d.BaseURL, DuckDNSURL), "/update")
	if err != nil {
		return nil, err
	}
	q := url.Values{"domains": {d.domain()}, "token": {d.Token}, "verbose": {"true"}}
	if u.IPv4.IsValid() {
		q.Set("ip", u.IPv4.String())
	}
	if u.IPv6.IsValid() {
		q.Set("ipv6", u.IPv6.String())
	}
	ep.RawQuery = q.Encode()
	return ep, nil
}

// Update implements Provider.
func (d *DuckDNS) Update(ctx context.Context, u Update) error {
	_, err := d.send(ctx, u, "tcp", netip.Addr{})
	return err
}

// UpdateSeen implements SeenProvider for IPv4: a request with neither ip=
// nor ipv6= (DuckDNS then detects the IPv4 address it arrives from: "if
// you specify ipv6 then the autodetection for ip is not used"), sent over
// IPv4 from u.IPv4Local; an IPv6 address to publish goes in a second
// request of its own. DuckDNS does not detect IPv6.
func (d *DuckDNS) UpdateSeen(ctx context.Context, u SeenUpdate) (Recorded, error) {
	var rec Recorded
	if u.Seen6 {
		return rec, perr("duckdns", KindBadRequest, "DuckDNS detects only IPv4 from the request: use interface:NAME for ipv6")
	}
	if !u.Seen4 {
		return rec, d.Update(ctx, u.Update)
	}
	a, err := d.send(ctx, Update{Name: u.Name}, "tcp4", u.IPv4Local)
	if err != nil {
		return rec, err
	}
	rec.IPv4 = a.IPv4
	if u.IPv6.IsValid() {
		a, err := d.send(ctx, Update{Name: u.Name, IPv6: u.IPv6}, "tcp", netip.Addr{})
		if err != nil {
			return rec, err
		}
		rec.IPv6 = a.IPv6
	}
	return rec, nil
}

// send sends one update request over network, from local when valid.
func (d *DuckDNS) send(ctx context.Context, u Update, network string, local netip.Addr) (DuckDNSAnswer, error) {
	ep, err := d.url(u)
	if err != nil {
		return DuckDNSAnswer{}, perr("duckdns", KindBadRequest, "%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.String(), nil)
	if err != nil {
		return DuckDNSAnswer{}, perr("duckdns", KindBadRequest, "%s: %v", redactURL(ep), err)
	}
	body, ferr := getOK("duckdns", newClient(network, local), req, d.Token)
	if ferr != nil {
		return DuckDNSAnswer{}, ferr
	}
	a, err := ParseDuckDNSAnswer(body)
	if err != nil {
		return a, perr("duckdns", KindTemporary, "%v", err)
	}
	if !a.OK {
		// DuckDNS says only KO: a wrong token or a domain not in the account.
		return a, perr("duckdns", KindAuth, "KO for domain %q", d.domain())
	}
	return a, nil
}

// DryRunSeen implements SeenProvider.
func (d *DuckDNS) DryRunSeen(u SeenUpdate) []msg.Text {
	if !u.Seen4 {
		return d.DryRun(u.Update)
	}
	base := strings.TrimRight(def(d.BaseURL, DuckDNSURL), "/")
	out := []msg.Text{msg.T("GET %s/update?domains=%s&token=***&verbose=true\n%s; DuckDNS records the IPv4 address it arrives from%s",
		"GET %s/update?domains=%s&token=***&verbose=true\n%s送ります。DuckDNS は届いた送信元の IPv4 アドレスを記録します%s",
		base, d.domain(), seenFrom(u.IPv4Local), seenExpect(u.IPv4))}
	if u.IPv6.IsValid() {
		out = append(out, msg.Same(fmt.Sprintf("GET %s/update?domains=%s&token=***&ipv6=%s", base, d.domain(), u.IPv6)))
	}
	return out
}

// DryRun implements Provider.
func (d *DuckDNS) DryRun(u Update) []msg.Text {
	return []msg.Text{msg.Same(fmt.Sprintf("GET %s/update?domains=%s&token=***&ip=%s&ipv6=%s",
		strings.TrimRight(def(d.BaseURL, DuckDNSURL), "/"), d.domain(), addrOrEmpty(u.IPv4), addrOrEmpty(u.IPv6)))}
}
