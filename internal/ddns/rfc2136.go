package ddns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/msg"
)

// RFC2136 sends DNS UPDATE messages (RFC 2136) signed with TSIG (RFC 8945)
// to the zone's primary, and verifies by querying it.
type RFC2136 struct {
	Server string // host:port of the primary (port 53 when omitted)
	Zone   string
	Name   string
	TTL    int // default 300
	Key    TSIGKey
	// Timeout bounds one exchange; default 10 s.
	Timeout time.Duration
}

// Kind implements Provider.
func (r *RFC2136) Kind() string { return "rfc2136" }

func (r *RFC2136) server() string {
	if _, _, err := net.SplitHostPort(r.Server); err != nil {
		return net.JoinHostPort(strings.Trim(r.Server, "[]"), "53")
	}
	return r.Server
}

func (r *RFC2136) ttl() uint32 {
	if r.TTL <= 0 {
		return 300
	}
	return uint32(r.TTL)
}

func (r *RFC2136) timeout() time.Duration {
	if r.Timeout <= 0 {
		return 10 * time.Second
	}
	return r.Timeout
}

// message builds the UPDATE: for each family present, delete the RRset of
// the name (RFC 2136 section 2.5.2) then add the new RR (section 2.5.1), in
// one message so the change is atomic (section 3.4).
func (r *RFC2136) message(u Update) *dns.Msg {
	name := dns.Fqdn(r.Name)
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(r.Zone))
	if u.IPv4.IsValid() {
		m.RemoveRRset([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET}}})
		m.Insert([]dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: r.ttl()}, A: u.IPv4.AsSlice()}})
	}
	if u.IPv6.IsValid() {
		m.RemoveRRset([]dns.RR{&dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET}}})
		m.Insert([]dns.RR{&dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: r.ttl()}, AAAA: u.IPv6.AsSlice()}})
	}
	return m
}

// Update implements Provider.
func (r *RFC2136) Update(ctx context.Context, u Update) error {
	if !u.IPv4.IsValid() && !u.IPv6.IsValid() {
		return nil
	}
	m := r.message(u)
	m.SetTsig(r.Key.Name, r.Key.Algorithm, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", Timeout: r.timeout(), TsigSecret: map[string]string{r.Key.Name: r.Key.Secret}}
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	resp, _, err := c.ExchangeContext(ctx, m, r.server())
	if err != nil {
		if errors.Is(err, dns.ErrSig) || errors.Is(err, dns.ErrTime) || errors.Is(err, dns.ErrAuth) || errors.Is(err, dns.ErrKey) || errors.Is(err, dns.ErrSecret) {
			return perr("rfc2136", KindAuth, "%s: TSIG refused (%v): check the key name, algorithm and secret", r.server(), err)
		}
		kind := KindTemporary
		if unreachable(err) {
			kind = KindUnreachable
		}
		return perr("rfc2136", kind, "%s: %v", r.server(), err)
	}
	return rcodeError(r.server(), resp)
}

func rcodeError(server string, resp *dns.Msg) error {
	rc := resp.Rcode
	if t := resp.IsTsig(); t != nil && t.Error != dns.RcodeSuccess {
		return perr("rfc2136", KindAuth, "%s: TSIG error %s: check the key name, algorithm and secret", server, dns.RcodeToString[int(t.Error)])
	}
	name := dns.RcodeToString[rc]
	switch rc {
	case dns.RcodeSuccess:
		return nil
	case dns.RcodeNotAuth, dns.RcodeRefused:
		return perr("rfc2136", KindAuth, "%s: %s: the server does not allow this key to update the zone", server, name)
	case dns.RcodeNotZone, dns.RcodeNameError:
		return perr("rfc2136", KindNoHost, "%s: %s", server, name)
	case dns.RcodeServerFailure:
		return perr("rfc2136", KindTemporary, "%s: %s", server, name)
	default:
		return perr("rfc2136", KindBadRequest, "%s: %s", server, name)
	}
}

// Lookup asks the server for the name's records of type qtype (no
// recursion): the authoritative view.
func (r *RFC2136) Lookup(ctx context.Context, qtype uint16) ([]netip.Addr, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(r.Name), qtype)
	m.RecursionDesired = false
	c := &dns.Client{Net: "udp", Timeout: r.timeout()}
	resp, _, err := c.ExchangeContext(ctx, m, r.server())
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, r.server())
	}
	if err != nil {
		return nil, err
	}
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%s", dns.RcodeToString[resp.Rcode])
	}
	var out []netip.Addr
	for _, rr := range resp.Answer {
		switch v := rr.(type) {
		case *dns.A:
			if a, ok := netip.AddrFromSlice(v.A.To4()); ok && qtype == dns.TypeA {
				out = append(out, a)
			}
		case *dns.AAAA:
			if a, ok := netip.AddrFromSlice(v.AAAA); ok && qtype == dns.TypeAAAA {
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out, nil
}

// Verify implements Verifier: the server must answer exactly the new address.
func (r *RFC2136) Verify(ctx context.Context, u Update) error {
	for _, f := range []struct {
		t  uint16
		ip netip.Addr
	}{{dns.TypeA, u.IPv4}, {dns.TypeAAAA, u.IPv6}} {
		if !f.ip.IsValid() {
			continue
		}
		got, err := r.Lookup(ctx, f.t)
		if err != nil {
			return perr("rfc2136", KindTemporary, "verify %s %s at %s: %v", r.Name, dns.TypeToString[f.t], r.server(), err)
		}
		if len(got) != 1 || got[0] != f.ip {
			return perr("rfc2136", KindVerify, "%s %s at %s answers %v, want %s", r.Name, dns.TypeToString[f.t], r.server(), got, f.ip)
		}
	}
	return nil
}

// DryRun implements Provider.
func (r *RFC2136) DryRun(u Update) []msg.Text {
	var out []msg.Text
	for _, f := range []struct {
		rr   string
		addr netip.Addr
	}{{"A", u.IPv4}, {"AAAA", u.IPv6}} {
		if f.addr.IsValid() {
			out = append(out, msg.T("DNS UPDATE %s -> %s (TSIG %s)\nreplace %s %s with %s ttl %d in that zone",
				"DNS UPDATE %[1]s -> %[2]s (TSIG %[3]s)\nゾーン %[1]s の %[4]s の %[5]s を %[6]s（TTL %[7]d）に置き換えます",
				r.Zone, r.server(), r.Key.Name, r.Name, f.rr, f.addr, r.ttl()))
		}
	}
	return out
}
