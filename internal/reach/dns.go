package reach

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// dnsTimeout bounds one query to one authoritative server.
const dnsTimeout = 3 * time.Second

// maxAuthServers is how many of a zone's servers are asked at most.
const maxAuthServers = 4

// authServers finds the servers authoritative for name: the NS records of
// the closest enclosing zone that has some (through the system resolver),
// and their addresses. Only the answers' addresses are used afterwards:
// the check then asks those servers directly, without recursion, so a
// resolver's cache cannot hide a stale record.
func authServers(ctx context.Context, r *net.Resolver, name string) ([]netip.AddrPort, error) {
	zone := strings.TrimSuffix(name, ".")
	for zone != "" {
		nss, err := r.LookupNS(ctx, zone)
		if err == nil && len(nss) > 0 {
			var out []netip.AddrPort
			for _, ns := range nss {
				addrs, err := r.LookupNetIP(ctx, "ip", ns.Host)
				if err != nil {
					continue
				}
				for _, a := range addrs {
					out = append(out, netip.AddrPortFrom(a.Unmap(), 53))
					if len(out) == maxAuthServers {
						return out, nil
					}
				}
			}
			if len(out) > 0 {
				return out, nil
			}
			return nil, fmt.Errorf("the name servers of %s (%s) have no address", zone, nss[0].Host)
		}
		_, rest, ok := strings.Cut(zone, ".")
		if !ok {
			break
		}
		zone = rest
	}
	return nil, fmt.Errorf("no NS records found for %s or a parent zone through the system resolver: set check.dns_servers", name)
}

// queryAuth asks one server, without recursion, for name's records of
// type qtype (A or AAAA), following CNAMEs within the answer.
func queryAuth(ctx context.Context, server netip.AddrPort, name string, qtype uint16) ([]netip.Addr, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	c := &dns.Client{Timeout: dnsTimeout}
	resp, _, err := c.ExchangeContext(ctx, m, server.String())
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, server.String())
	}
	if err != nil {
		return nil, err
	}
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return nil, fmt.Errorf("%s answered %s", server, dns.RcodeToString[resp.Rcode])
	}
	if !resp.Authoritative {
		return nil, fmt.Errorf("%s is not authoritative for %s (no AA bit)", server, name)
	}
	want := dns.Fqdn(strings.ToLower(name))
	var out []netip.Addr
	for range 8 { // CNAME chain, bounded
		next := ""
		for _, rr := range resp.Answer {
			if !strings.EqualFold(rr.Header().Name, want) {
				continue
			}
			switch v := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(v.A.To4()); ok && qtype == dns.TypeA {
					out = append(out, a)
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA); ok && qtype == dns.TypeAAAA {
					out = append(out, a)
				}
			case *dns.CNAME:
				next = strings.ToLower(v.Target)
			}
		}
		if len(out) > 0 || next == "" {
			break
		}
		want = next
	}
	return out, nil
}

// lookupFamily asks the servers in turn until one answers.
func lookupFamily(ctx context.Context, servers []netip.AddrPort, name string, f Family) ([]netip.Addr, netip.AddrPort, error) {
	qt := dns.TypeA
	if f == IPv6 {
		qt = dns.TypeAAAA
	}
	var errs []error
	for _, s := range servers {
		got, err := queryAuth(ctx, s, name, qt)
		if err == nil {
			return got, s, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, netip.AddrPort{}, errors.New("no authoritative server to ask")
	}
	return nil, netip.AddrPort{}, errors.Join(errs...)
}
