package ddns

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// A request that never reached the provider (no route, connection refused,
// connect timeout, the provider's name not resolving) says nothing about
// the provider: it is retried quickly (backoff.go) and the path is probed
// so that the update goes out as soon as the path is back. Only an answer
// from the provider (a failure status, 429, abuse) earns the long floors.

// unreachable reports whether a transport error means the request did not
// reach the provider: dial errors, name resolution errors, timeouts. TLS
// and certificate failures reached something that answered: not these.
func unreachable(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var rh tls.RecordHeaderError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &rh) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "connect") {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// Unreachable reports whether err is a provider request that never reached
// the provider.
func Unreachable(err error) bool { return KindOf(err) == KindUnreachable }

// reachTarget is one endpoint a provider's update talks to.
type reachTarget struct {
	network  string // tcp, tcp4, tcp6
	hostport string
	local    netip.Addr
}

// reachTimeout bounds one probe: a fresh SYN each time, so that a probe
// right after the path returns succeeds at once (a connect left running
// would wait for the kernel's next SYN retransmission, seconds later).
const reachTimeout = time.Second

// reach opens (and closes) a TCP connection to each target: the path to
// the provider works again. It sends no request.
func reach(ctx context.Context, ts []reachTarget) error {
	for _, t := range ts {
		d := net.Dialer{Timeout: reachTimeout}
		if t.local.IsValid() {
			d.LocalAddr = &net.TCPAddr{IP: t.local.AsSlice(), Zone: t.local.Zone()}
		}
		c, err := d.DialContext(ctx, t.network, t.hostport)
		if err != nil {
			return err
		}
		c.Close()
	}
	return nil
}

// urlTarget is the TCP endpoint of an http(s) URL.
func urlTarget(network, raw string, local netip.Addr) (reachTarget, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return reachTarget{}, false
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if strings.EqualFold(u.Scheme, "http") {
			port = "80"
		}
	}
	return reachTarget{network: network, hostport: net.JoinHostPort(u.Hostname(), port), local: local}, true
}

// reachTargets lists the endpoints prov's update up uses (nil: unknown,
// then the updater falls back to its retry schedule).
func reachTargets(prov Provider, up Update) []reachTarget {
	var ts []reachTarget
	add := func(network, raw string, local netip.Addr) {
		if t, ok := urlTarget(network, raw, local); ok {
			ts = append(ts, t)
		}
	}
	switch p := prov.(type) {
	case *MyDNS:
		if p.DirectIP {
			add("tcp", def(p.DirectIPURL, MyDNSDirectIPURL), netip.Addr{})
			break
		}
		if up.IPv4.IsValid() {
			add("tcp4", def(p.IPv4URL, MyDNSIPv4URL), up.IPv4Local)
		}
		if up.IPv6.IsValid() {
			add("tcp6", def(p.IPv6URL, MyDNSIPv6URL), up.IPv6Local)
		}
	case *RFC2136:
		ts = append(ts, reachTarget{network: "tcp", hostport: p.server()})
	case *Cloudflare:
		add("tcp", def(p.BaseURL, CloudflareURL), netip.Addr{})
	case *DuckDNS:
		add("tcp", def(p.BaseURL, DuckDNSURL), netip.Addr{})
	case *DynDNS2:
		add("tcp", def(p.BaseURL, DynDNS2URL), netip.Addr{})
	}
	return ts
}
