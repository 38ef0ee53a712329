package ddns

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
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
	q := url.Values{"hostname": {d.Hostname}}
	if len(ips) > 0 {
		q.Set("myip", strings.Join(ips, ","))
	}
	ep.RawQuery = q.Encode()
	return ep, nil
}

// Update implements Provider.
func (d *DynDNS2) Update(ctx context.Context, u Update) error {
	_, err := d.send(ctx, u, "tcp", netip.Addr{})
	return err
}

// UpdateSeen implements SeenProvider: a request without myip, sent over
// the seen family from its local address; the server records the address
// of the connection ("defaults to the best IP address the server can
// determine") and says it after good/nochg. Only one family can be seen,
// and then the record publishes no other (ValidateConfig): a myip for the
// other family would turn the detection off.
func (d *DynDNS2) UpdateSeen(ctx context.Context, u SeenUpdate) (Recorded, error) {
	var rec Recorded
	if !u.Seen4 && !u.Seen6 {
		return rec, d.Update(ctx, u.Update)
	}
	if (u.Seen4 && (u.Seen6 || u.IPv6.IsValid())) || (u.Seen6 && u.IPv4.IsValid()) {
		return rec, perr("dyndns2", KindBadRequest, "a seen record publishes one family only")
	}
	network, local := "tcp4", u.IPv4Local
	if u.Seen6 {
		network, local = "tcp6", u.IPv6Local
	}
	a, err := d.send(ctx, Update{Name: u.Name}, network, local)
	if err != nil {
		return rec, err
	}
	for _, x := range a.Addrs {
		if x.Unmap().Is4() && u.Seen4 {
			rec.IPv4 = x.Unmap()
		} else if x.Is6() && !x.Is4In6() && u.Seen6 {
			rec.IPv6 = x
		}
	}
	return rec, nil
}

// send sends one update over network, from local when valid, and checks
// that a good/nochg answer lists the addresses u asked for.
func (d *DynDNS2) send(ctx context.Context, u Update, network string, local netip.Addr) (DynDNS2Answer, error) {
	ep, err := d.url(u)
	if err != nil {
		return DynDNS2Answer{}, perr("dyndns2", KindBadRequest, "%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.String(), nil)
	if err != nil {
		return DynDNS2Answer{}, perr("dyndns2", KindBadRequest, "%s: %v", redactURL(ep), err)
	}
	req.SetBasicAuth(d.Username, d.Password)
	body, ferr := getOK("dyndns2", newClient(network, local), req, d.Password)
	if ferr != nil {
		return DynDNS2Answer{}, ferr
	}
	a, err := ParseDynDNS2Answer(body)
	if err != nil {
		return a, perr("dyndns2", KindTemporary, "%v", err)
	}
	return a, d.judge(a, u)
}

// judge turns a decoded answer into nil or the provider's error.
func (d *DynDNS2) judge(a DynDNS2Answer, u Update) error {
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

// DryRunSeen implements SeenProvider.
func (d *DynDNS2) DryRunSeen(u SeenUpdate) []msg.Text {
	if !u.Seen4 && !u.Seen6 {
		return d.DryRun(u.Update)
	}
	ep, err := d.url(Update{Name: u.Name})
	if err != nil {
		return []msg.Text{msg.ErrorText(err)}
	}
	local, want := u.IPv4Local, u.IPv4
	if u.Seen6 {
		local, want = u.IPv6Local, u.IPv6
	}
	return []msg.Text{msg.T("GET %s (Basic %s:***)\n%s; the server records the address it arrives from%s",
		"GET %s (Basic %s:***)\n%s送ります。サーバーは届いた送信元のアドレスを記録します%s",
		ep, d.Username, seenFrom(local), seenExpect(want))}
}

// DryRun implements Provider.
func (d *DynDNS2) DryRun(u Update) []msg.Text {
	ep, err := d.url(u)
	if err != nil {
		return []msg.Text{msg.ErrorText(err)}
	}
	return []msg.Text{msg.Same(fmt.Sprintf("GET %s (Basic %s:***)", ep, d.Username))}
}
