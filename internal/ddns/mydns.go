package ddns

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"

	"github.com/dualpath/dualpath/internal/msg"
)

// MyDNS endpoints as documented on https://www.mydns.jp/ ("IP address
// notification": HTTP Basic with the MasterID; the address notified is the
// source address of the request).
const (
	MyDNSIPv4URL     = "https://ipv4.mydns.jp/login.html"
	MyDNSIPv6URL     = "https://ipv6.mydns.jp/login.html"
	MyDNSDirectIPURL = "https://www.mydns.jp/directip.html"
)

// MyDNS notifies mydns.jp. Login mode (the default) sends no address: MyDNS
// records where the request came from, so the IPv4 request is sent from the
// PPPoE address (Update.IPv4Local) and the IPv6 one from the chosen stable
// address. DirectIP mode sends the addresses explicitly (credentials then
// travel in the query string: only when asked for).
type MyDNS struct {
	MasterID string
	Password string
	IPv4URL  string // default MyDNSIPv4URL
	IPv6URL  string // default MyDNSIPv6URL
	DirectIP bool
	// DirectIPURL is used when DirectIP is set; default MyDNSDirectIPURL.
	DirectIPURL string
}

// Kind implements Provider.
func (m *MyDNS) Kind() string { return "mydns" }

// MyDNSAnswer is what a MyDNS notification page says.
type MyDNSAnswer struct {
	OK         bool       // "login_status = 1" or "Login and IP address notify OK"
	Status     string     // the login_status value, "" when absent
	RemoteAddr netip.Addr // "REMOTE ADDRESS" as MyDNS saw it, when shown
}

var (
	reMyDNSStatus = regexp.MustCompile(`(?i)login_status\s*=\s*([0-9]+)`)
	reMyDNSRemote = regexp.MustCompile(`(?is)REMOTE\s+ADDRESS\s*:?\s*(?:<[^>]{0,40}>\s*){0,4}([0-9a-fA-F:.]{2,45})`)
)

// ParseMyDNSAnswer decodes the body of login.html / directip.html. MyDNS
// answers 200 even when the password is wrong, so success is read from the
// body: "login_status = 1" or "Login and IP address notify OK".
func ParseMyDNSAnswer(body []byte) MyDNSAnswer {
	var a MyDNSAnswer
	if m := reMyDNSStatus.FindSubmatch(body); m != nil {
		a.Status = string(m[1])
	}
	notifyOK := bytes.Contains(bytes.ToLower(body), []byte("login and ip address notify ok"))
	a.OK = a.Status == "1" || (a.Status == "" && notifyOK)
	if m := reMyDNSRemote.FindSubmatch(body); m != nil {
		if ip, err := netip.ParseAddr(string(m[1])); err == nil {
			a.RemoteAddr = ip.Unmap()
		}
	}
	return a
}

// Update implements Provider: one notification per family present in u.
func (m *MyDNS) Update(ctx context.Context, u Update) error {
	if m.DirectIP {
		return m.direct(ctx, u)
	}
	_, err := m.UpdateSeen(ctx, SeenUpdate{Update: u})
	return err
}

// UpdateSeen implements SeenProvider: login mode never sends an address,
// so a seen family is a login like any other, its expected address
// possibly unknown; the answer's REMOTE ADDRESS is what MyDNS recorded.
func (m *MyDNS) UpdateSeen(ctx context.Context, u SeenUpdate) (Recorded, error) {
	var rec Recorded
	if m.DirectIP {
		if u.Seen4 || u.Seen6 {
			return rec, perr("mydns", KindBadRequest, "direct_ip sends explicit addresses: a seen source needs login mode")
		}
		return rec, m.direct(ctx, u.Update)
	}
	if u.IPv4.IsValid() || u.Seen4 {
		a, err := m.login(ctx, "tcp4", def(m.IPv4URL, MyDNSIPv4URL), u.IPv4, u.IPv4Local)
		if err != nil {
			return rec, err
		}
		rec.IPv4 = a.RemoteAddr
	}
	if u.IPv6.IsValid() || u.Seen6 {
		a, err := m.login(ctx, "tcp6", def(m.IPv6URL, MyDNSIPv6URL), u.IPv6, u.IPv6Local)
		if err != nil {
			return rec, err
		}
		rec.IPv6 = a.RemoteAddr
	}
	return rec, nil
}

func (m *MyDNS) login(ctx context.Context, network, rawURL string, want, local netip.Addr) (MyDNSAnswer, error) {
	u, err := endpoint(rawURL, "")
	if err != nil {
		return MyDNSAnswer{}, perr("mydns", KindBadRequest, "%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return MyDNSAnswer{}, perr("mydns", KindBadRequest, "%s: %v", redactURL(u), err)
	}
	req.SetBasicAuth(m.MasterID, m.Password)
	return m.do(req, u, network, local, want)
}

func (m *MyDNS) direct(ctx context.Context, u Update) error {
	ep, err := endpoint(def(m.DirectIPURL, MyDNSDirectIPURL), "")
	if err != nil {
		return perr("mydns", KindBadRequest, "%v", err)
	}
	q := url.Values{"MID": {m.MasterID}, "PWD": {m.Password}}
	if u.IPv4.IsValid() {
		q.Set("IPV4ADDR", u.IPv4.String())
	}
	if u.IPv6.IsValid() {
		q.Set("IPV6ADDR", u.IPv6.String())
	}
	ep.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.String(), nil)
	if err != nil {
		return perr("mydns", KindBadRequest, "%s: %v", redactURL(ep), err)
	}
	_, err = m.do(req, ep, "tcp", netip.Addr{}, netip.Addr{})
	return err
}

func (m *MyDNS) do(req *http.Request, u *url.URL, network string, local, want netip.Addr) (MyDNSAnswer, error) {
	body, e := getOK("mydns", newClient(network, local), req, m.Password, m.MasterID)
	if e != nil {
		if (e.Kind == KindTemporary || e.Kind == KindUnreachable) && local.IsValid() {
			e.Msg += fmt.Sprintf(" (sent from %s)", local)
		}
		return MyDNSAnswer{}, e
	}
	a := ParseMyDNSAnswer(body)
	if !a.OK {
		if a.Status != "" {
			return a, perr("mydns", KindAuth, "%s: login_status = %s", redactURL(u), a.Status)
		}
		return a, perr("mydns", KindAuth, "%s: answer does not say \"Login and IP address notify OK\"", redactURL(u))
	}
	if want.IsValid() && a.RemoteAddr.IsValid() && a.RemoteAddr != want {
		return a, perr("mydns", KindVerify,
			"MyDNS recorded %s, not %s: the request did not leave through the intended path (check the policy rule for %s)",
			a.RemoteAddr, want, local)
	}
	return a, nil
}

// DryRunSeen implements SeenProvider.
func (m *MyDNS) DryRunSeen(u SeenUpdate) []msg.Text {
	out := m.DryRun(Update{Name: u.Name, IPv4: pick(!u.Seen4, u.IPv4), IPv6: pick(!u.Seen6, u.IPv6),
		IPv4Local: u.IPv4Local, IPv6Local: u.IPv6Local})
	for _, f := range []struct {
		seen        bool
		url, def    string
		want, local netip.Addr
	}{{u.Seen4, m.IPv4URL, MyDNSIPv4URL, u.IPv4, u.IPv4Local}, {u.Seen6, m.IPv6URL, MyDNSIPv6URL, u.IPv6, u.IPv6Local}} {
		if f.seen {
			out = append(out, msg.T("GET %s (Basic %s:***)\n%s; MyDNS records the address it arrives from%s",
				"GET %s (Basic %s:***)\n%s送ります。MyDNS は届いた送信元のアドレスを記録します%s",
				def(f.url, f.def), m.MasterID, seenFrom(f.local), seenExpect(f.want)))
		}
	}
	return out
}

// DryRun implements Provider.
func (m *MyDNS) DryRun(u Update) []msg.Text {
	var out []msg.Text
	if m.DirectIP {
		return []msg.Text{msg.Same(fmt.Sprintf("GET %s?MID=%s&PWD=***&IPV4ADDR=%s&IPV6ADDR=%s",
			def(m.DirectIPURL, MyDNSDirectIPURL), m.MasterID, addrOrEmpty(u.IPv4), addrOrEmpty(u.IPv6)))}
	}
	for _, f := range []struct {
		url, def    string
		addr, local netip.Addr
	}{{m.IPv4URL, MyDNSIPv4URL, u.IPv4, u.IPv4Local}, {m.IPv6URL, MyDNSIPv6URL, u.IPv6, u.IPv6Local}} {
		if !f.addr.IsValid() {
			continue
		}
		from := msg.T("the default route", "既定の経路")
		if f.local.IsValid() {
			from = msg.Same(f.local.String())
		}
		out = append(out, msg.T("GET %s (Basic %s:***)\nfrom %s, expecting MyDNS to record %s",
			"GET %s (Basic %s:***)\n%s から送ります。MyDNS は %s を記録するはずです",
			def(f.url, f.def), m.MasterID, from, f.addr))
	}
	return out
}

func def(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func addrOr(a netip.Addr, s string) string {
	if a.IsValid() {
		return a.String()
	}
	return s
}

func addrOrEmpty(a netip.Addr) string { return addrOr(a, "") }
