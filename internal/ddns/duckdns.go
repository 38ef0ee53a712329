package ddns

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
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
	OK      bool
	Changed string // verbose: UPDATED or NOCHANGE
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
	ep, err := d.url(u)
	if err != nil {
		return perr("duckdns", KindBadRequest, "%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.String(), nil)
	if err != nil {
		return perr("duckdns", KindBadRequest, "%s: %v", redactURL(ep), err)
	}
	body, ferr := getOK("duckdns", newClient("tcp", netip.Addr{}), req, d.Token)
	if ferr != nil {
		return ferr
	}
	a, err := ParseDuckDNSAnswer(body)
	if err != nil {
		return perr("duckdns", KindTemporary, "%v", err)
	}
	if !a.OK {
		// DuckDNS says only KO: a wrong token or a domain not in the account.
		return perr("duckdns", KindAuth, "KO for domain %q", d.domain())
	}
	return nil
}

// DryRun implements Provider.
func (d *DuckDNS) DryRun(u Update) []string {
	return []string{fmt.Sprintf("GET %s/update?domains=%s&token=***&ip=%s&ipv6=%s",
		strings.TrimRight(def(d.BaseURL, DuckDNSURL), "/"), d.domain(), addrOrEmpty(u.IPv4), addrOrEmpty(u.IPv6))}
}
