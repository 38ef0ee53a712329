package ddns

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// DynDNS2URL is the historical dyndns2 endpoint (members.dyndns.org); No-IP,
// Dynu and others speak the same protocol under their own base URL.
const DynDNS2URL = "https://members.dyndns.org"

// DynDNS2 speaks the dyndns2 protocol: GET /nic/update?hostname=&myip= with
// HTTP Basic, answered by a return code per hostname (good, nochg, badauth,
// !donator, notfqdn, nohost, numhost, abuse, badagent, dnserr, 911).
// Both families go in myip, comma separated, as No-IP and Dynu accept.
type DynDNS2 struct {
	Hostname string
	Username string
	Password string
	BaseURL  string // default DynDNS2URL
}

// Kind implements Provider.
func (d *DynDNS2) Kind() string { return "dyndns2" }

// DynDNS2Answer is one decoded dyndns2 return line.
type DynDNS2Answer struct {
	Code  string       // good, nochg, badauth, ...
	Addrs []netip.Addr // the addresses after good/nochg
}

// ParseDynDNS2Answer decodes the first line of a dyndns2 answer.
func ParseDynDNS2Answer(body []byte) (DynDNS2Answer, error) {
	line := strings.TrimSpace(strings.SplitN(strings.TrimSpace(string(body)), "\n", 2)[0])
	if line == "" {
		return DynDNS2Answer{}, fmt.Errorf("empty answer")
	}
	f := strings.Fields(line)
	a := DynDNS2Answer{Code: f[0]}
	switch a.Code {
	case "good", "nochg":
		for _, s := range f[1:] {
			for _, p := range strings.Split(s, ",") {
				ip, err := netip.ParseAddr(strings.TrimSpace(p))
				if err != nil {
					return a, fmt.Errorf("bad address in %s answer %s", a.Code, snippet([]byte(line)))
				}
				a.Addrs = append(a.Addrs, ip)
			}
		}
	case "badauth", "!donator", "notfqdn", "nohost", "numhost", "abuse", "badagent", "dnserr", "911", "badsys", "!yours", "nofqdn":
		if len(f) > 1 && a.Code != "911" && a.Code != "dnserr" {
			return a, fmt.Errorf("unexpected text after %s", a.Code)
		}
	default:
		return a, fmt.Errorf("unknown return code %s", snippet([]byte(line)))
	}
	return a, nil
}

func (d *DynDNS2) url(u Update) (*url.URL, error) {
	ep, err := endpoint(def(d.BaseURL, DynDNS2URL), "/nic/update")
	if err != nil {
		return nil, err
	}
	var ips []string
	if u.IPv4.IsValid() {
		ips = append(ips, u.IPv4.String())
	}
	if u.IPv6.IsValid() {
		ips = append(ips, u.IPv6.String())
	}
	q := url.Values{"hostname": {d.Hostname}, "myip": {strings.Join(ips, ",")}}
	ep.RawQuery = q.Encode()
	return ep, nil
}

// Update implements Provider.
func (d *DynDNS2) Update(ctx context.Context, u Update) error {
	ep, err := d.url(u)
	if err != nil {
		return perr("dyndns2", KindBadRequest, "%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.String(), nil)
	if err != nil {
		return perr("dyndns2", KindBadRequest, "%s: %v", redactURL(ep), err)
	}
	req.SetBasicAuth(d.Username, d.Password)
	body, ferr := getOK("dyndns2", newClient("tcp", netip.Addr{}), req, d.Password)
	if ferr != nil {
		return ferr
	}
	a, err := ParseDynDNS2Answer(body)
	if err != nil {
		return perr("dyndns2", KindTemporary, "%v", err)
	}
	e := func(k ErrorKind, msg string) error { return perr("dyndns2", k, "%s: %s", a.Code, msg) }
	switch a.Code {
	case "good", "nochg":
		for _, want := range []netip.Addr{u.IPv4, u.IPv6} {
			if want.IsValid() && len(a.Addrs) > 0 && !containsAddr(a.Addrs, want) {
				return perr("dyndns2", KindVerify, "%s answered %v, not %s", a.Code, a.Addrs, want)
			}
		}
		return nil
	case "badauth":
		return e(KindAuth, "username or password rejected")
	case "!donator", "badagent", "notfqdn", "nofqdn", "numhost", "badsys":
		return e(KindBadRequest, "the server refused the request")
	case "nohost", "!yours":
		return e(KindNoHost, fmt.Sprintf("hostname %q not in this account", d.Hostname))
	case "abuse":
		// Blocked for abuse: do not hammer; wait long.
		return &Error{Provider: "dyndns2", Kind: KindRateLimited, RetryAfter: time.Hour, Msg: "abuse: updates blocked by the provider"}
	default: // 911, dnserr
		return e(KindTemporary, "server-side problem")
	}
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, x := range as {
		if x.Unmap() == a.Unmap() {
			return true
		}
	}
	return false
}

// DryRun implements Provider.
func (d *DynDNS2) DryRun(u Update) []string {
	ep, err := d.url(u)
	if err != nil {
		return []string{err.Error()}
	}
	return []string{fmt.Sprintf("GET %s (Basic %s:***)", ep, d.Username)}
}
