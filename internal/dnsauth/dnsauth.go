// Package dnsauth asks a name's authoritative servers directly (RFC 1034
// section 4.3.1: a query without recursion desired, answered from the zone
// itself), so that what the DNS really publishes is seen without any cache
// in between. A resolver is only used to find the zone (the SOA in the
// answer or the authority section, RFC 2308 section 2) and its name servers
// (NS, with glue or their addresses asked again).
//
// `dualpath check` (internal/reach) and the DDNS truth check
// (internal/ddns) both use it.
package dnsauth

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/msg"
)

// Timeout bounds each query (one server, one question).
const Timeout = 3 * time.Second

// maxServers is how many addresses of a zone's servers are asked at most.
const maxServers = 4

// maxCNAME bounds the CNAME chain followed within one answer.
const maxCNAME = 8

// Server is one authoritative name server of a zone.
type Server struct {
	Host string // its name without the final dot; "" when given by address
	Addr netip.AddrPort
}

// String is the server's name when it has one, else its address.
func (s Server) String() string {
	if s.Host != "" {
		return s.Host
	}
	return s.Addr.String()
}

// Given is the servers of a list of addresses (a config's own list).
func Given(addrs []netip.AddrPort) []Server {
	out := make([]Server, len(addrs))
	for i, a := range addrs {
		out[i] = Server{Addr: a}
	}
	return out
}

// SystemResolver is the first nameserver of /etc/resolv.conf (host:port).
func SystemResolver() (string, error) {
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return "", msg.Errorf("no resolver: %w", "リゾルバーがありません: %w", err)
	}
	if len(cc.Servers) == 0 {
		return "", msg.Err(msg.T("no nameserver in /etc/resolv.conf", "/etc/resolv.conf に nameserver がありません"))
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}

func exchange(ctx context.Context, server, name string, qtype uint16, rd bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = rd
	c := &dns.Client{Net: "udp", Timeout: Timeout}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	resp, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, server)
	}
	return resp, err
}

// Find finds the zone of name and its name servers through resolver
// (host:port; "" is the first nameserver of /etc/resolv.conf). The servers
// are to be asked on port (0 is 53; tests give another), sorted by name.
func Find(ctx context.Context, resolver string, port uint16, name string) ([]Server, error) {
	if resolver == "" {
		var err error
		if resolver, err = SystemResolver(); err != nil {
			return nil, err
		}
	}
	if port == 0 {
		port = 53
	}
	zone, err := zoneOf(ctx, resolver, name)
	if err != nil {
		return nil, err
	}
	return nameServers(ctx, resolver, zone, port)
}

// zoneOf finds the zone name belongs to: the owner of the SOA record in
// the answer (name is the apex) or in the authority section.
func zoneOf(ctx context.Context, resolver, name string) (string, error) {
	resp, err := exchange(ctx, resolver, name, dns.TypeSOA, true)
	if err != nil {
		return "", err
	}
	for _, sec := range [][]dns.RR{resp.Answer, resp.Ns} {
		for _, rr := range sec {
			if soa, ok := rr.(*dns.SOA); ok {
				return soa.Hdr.Name, nil
			}
		}
	}
	return "", msg.Err(msg.T("the resolver %s knows no zone for %s (%s)", "リゾルバー %s は %s のゾーンを知りません（%s）", resolver, name, dns.RcodeToString[resp.Rcode]))
}

// nameServers lists zone's NS hosts with their addresses (glue first, else
// asked from the resolver), maxServers addresses at most.
func nameServers(ctx context.Context, resolver, zone string, port uint16) ([]Server, error) {
	resp, err := exchange(ctx, resolver, zone, dns.TypeNS, true)
	if err != nil {
		return nil, err
	}
	glue := map[string][]netip.Addr{}
	for _, rr := range resp.Extra {
		if a := rrAddr(rr); a.IsValid() {
			owner := strings.ToLower(rr.Header().Name)
			glue[owner] = append(glue[owner], a)
		}
	}
	var hosts []string
	for _, rr := range resp.Answer {
		if ns, ok := rr.(*dns.NS); ok {
			hosts = append(hosts, ns.Ns)
		}
	}
	sort.Strings(hosts)
	var out []Server
	for _, h := range hosts {
		addrs := glue[strings.ToLower(h)]
		if len(addrs) == 0 {
			for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
				if r, err := exchange(ctx, resolver, h, t, true); err == nil {
					for _, rr := range r.Answer {
						if a := rrAddr(rr); a.IsValid() {
							addrs = append(addrs, a)
						}
					}
				}
			}
		}
		for _, a := range addrs {
			out = append(out, Server{Host: strings.TrimSuffix(h, "."), Addr: netip.AddrPortFrom(a.Unmap(), port)})
			if len(out) == maxServers {
				return out, nil
			}
		}
	}
	if len(out) == 0 {
		return nil, msg.Err(msg.T("no reachable name server listed for %s", "%s のネームサーバーにどれも届きません", zone))
	}
	return out, nil
}

func rrAddr(rr dns.RR) netip.Addr {
	switch v := rr.(type) {
	case *dns.A:
		a, _ := netip.AddrFromSlice(v.A.To4())
		return a
	case *dns.AAAA:
		a, _ := netip.AddrFromSlice(v.AAAA)
		return a
	}
	return netip.Addr{}
}

// Query asks server directly (no recursion) for name's records of qtype
// (A or AAAA); it must answer authoritatively. The addresses are sorted.
func Query(ctx context.Context, server netip.AddrPort, name string, qtype uint16) ([]netip.Addr, error) {
	resp, err := exchange(ctx, server.String(), name, qtype, false)
	if err != nil {
		return nil, err
	}
	return answer(resp, server.String(), name, qtype)
}

// answer reads the addresses of name and qtype from an authoritative
// response, following CNAMEs within it (a bounded chain).
func answer(resp *dns.Msg, server, name string, qtype uint16) ([]netip.Addr, error) {
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return nil, msg.Err(msg.T("%s answered %s", "%s の答えは %s", server, dns.RcodeToString[resp.Rcode]))
	}
	if !resp.Authoritative {
		return nil, msg.Err(msg.T("%s is not authoritative for %s (no AA bit)", "%s は %s の権威サーバーではありません（AA ビットなし）", server, name))
	}
	want := dns.Fqdn(name)
	var out []netip.Addr
	for range maxCNAME {
		next := ""
		for _, rr := range resp.Answer {
			if !strings.EqualFold(rr.Header().Name, want) {
				continue
			}
			if c, ok := rr.(*dns.CNAME); ok {
				next = c.Target
			} else if a := rrAddr(rr); a.IsValid() && rr.Header().Rrtype == qtype {
				out = append(out, a)
			}
		}
		if len(out) > 0 || next == "" {
			break
		}
		want = next
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out, nil
}

// Answer is what one server answered for a name.
type Answer struct {
	IPv4, IPv6 []netip.Addr
	Server     Server
}

// Lookup asks servers one after the other until one answers for every
// family wanted; the errors of those that did not are joined.
func Lookup(ctx context.Context, servers []Server, name string, v4, v6 bool) (Answer, error) {
	var errs []error
	for _, s := range servers {
		got := Answer{Server: s}
		var err error
		if v4 {
			got.IPv4, err = Query(ctx, s.Addr, name, dns.TypeA)
		}
		if err == nil && v6 {
			got.IPv6, err = Query(ctx, s.Addr, name, dns.TypeAAAA)
		}
		if err == nil {
			return got, nil
		}
		if s.Host != "" {
			err = msg.Errorf("%s (%s): %w", "%s（%s）: %w", s.Host, s.Addr.Addr(), err)
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return Answer{}, msg.Err(msg.T("no authoritative server to ask", "問い合わせる権威サーバーがありません"))
	}
	return Answer{}, errors.Join(errs...)
}
