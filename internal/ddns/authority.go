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
)

// Asking a name's authoritative servers directly (RFC 1034 section 4.3.1:
// a query without recursion desired, answered from the zone itself), so
// that what a DNS provider really publishes is compared with what the
// updater last sent, without any cache in between. The resolver is only
// used to find the zone (the SOA in the answer or the authority section,
// RFC 2308 section 2) and its name servers (NS and their addresses).

// authTimeout bounds each DNS query of the authoritative lookup.
const authTimeout = 2 * time.Second

// systemResolver is the first nameserver of /etc/resolv.conf.
func systemResolver() (string, error) {
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return "", fmt.Errorf("no resolver: %v", err)
	}
	if len(cc.Servers) == 0 {
		return "", errors.New("no nameserver in /etc/resolv.conf")
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}

func exchange(ctx context.Context, server, name string, qtype uint16, rd bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = rd
	c := &dns.Client{Net: "udp", Timeout: authTimeout}
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	resp, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, server)
	}
	return resp, err
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
	return "", fmt.Errorf("the resolver %s knows no zone for %s (%s)", resolver, name, dns.RcodeToString[resp.Rcode])
}

// nameServer is one authoritative server of a zone.
type nameServer struct {
	host  string
	addrs []netip.Addr
}

// nameServers lists zone's NS hosts and their addresses (glue first, else
// asked from the resolver).
func nameServers(ctx context.Context, resolver, zone string) ([]nameServer, error) {
	resp, err := exchange(ctx, resolver, zone, dns.TypeNS, true)
	if err != nil {
		return nil, err
	}
	glue := map[string][]netip.Addr{}
	for _, rr := range resp.Extra {
		if a := rrAddr(rr); a.IsValid() {
			glue[strings.ToLower(rr.Header().Name)] = append(glue[strings.ToLower(rr.Header().Name)], a)
		}
	}
	var out []nameServer
	for _, rr := range resp.Answer {
		ns, ok := rr.(*dns.NS)
		if !ok {
			continue
		}
		s := nameServer{host: ns.Ns, addrs: glue[strings.ToLower(ns.Ns)]}
		if len(s.addrs) == 0 {
			for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
				if r, err := exchange(ctx, resolver, ns.Ns, t, true); err == nil {
					for _, rr := range r.Answer {
						if a := rrAddr(rr); a.IsValid() {
							s.addrs = append(s.addrs, a)
						}
					}
				}
			}
		}
		if len(s.addrs) > 0 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no reachable name server listed for %s", zone)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].host < out[j].host })
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

// askAuthoritative asks server directly (no recursion) for name's records
// of qtype; it must answer authoritatively.
func askAuthoritative(ctx context.Context, server, name string, qtype uint16) ([]netip.Addr, error) {
	resp, err := exchange(ctx, server, name, qtype, false)
	if err != nil {
		return nil, err
	}
	if !resp.Authoritative {
		return nil, fmt.Errorf("%s is not authoritative for %s", server, name)
	}
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%s answered %s", server, dns.RcodeToString[resp.Rcode])
	}
	var out []netip.Addr
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, dns.Fqdn(name)) {
			if a := rrAddr(rr); a.IsValid() {
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out, nil
}

// lookupAuthoritative finds name's zone and name servers through resolver
// and asks them (on port, 53 outside tests), one after the other until one
// answers, for the families wanted. Where is the server that answered.
func lookupAuthoritative(ctx context.Context, resolver string, port uint16, name string, v4, v6 bool) (p Published, err error) {
	if port == 0 {
		port = 53
	}
	zone, err := zoneOf(ctx, resolver, name)
	if err != nil {
		return p, err
	}
	servers, err := nameServers(ctx, resolver, zone)
	if err != nil {
		return p, err
	}
	var errs []error
	for _, s := range servers {
		for _, a := range s.addrs {
			srv := netip.AddrPortFrom(a, port).String()
			var got Published
			var qerr error
			if v4 {
				got.IPv4, qerr = askAuthoritative(ctx, srv, name, dns.TypeA)
			}
			if qerr == nil && v6 {
				got.IPv6, qerr = askAuthoritative(ctx, srv, name, dns.TypeAAAA)
			}
			if qerr != nil {
				errs = append(errs, fmt.Errorf("%s (%s): %v", strings.TrimSuffix(s.host, "."), a, qerr))
				continue
			}
			got.Where = strings.TrimSuffix(s.host, ".")
			return got, nil
		}
	}
	return p, errors.Join(errs...)
}
