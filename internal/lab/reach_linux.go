package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/dualpath/dualpath/internal/reach"
)

// Proof from outside in the lab: `dualpath probe-serve` runs at both
// visitors (inet4 for IPv4, inet6 for IPv6, the internet side of the ISP),
// and the server's config lists them as its probers, so `dualpath check`
// on the server sees each exposed port the way visitors do.

// ProbePort is where the visitors' probe-serve listens.
const ProbePort = 7008

// probeTokenFile holds the probers' token (mode 0600), shared by both ends.
func (l *Lab) probeTokenFile() string { return filepath.Join(l.Dir, "probe.token") }

// proberURLs are the two probe-serve services, one per family.
func proberURLs() []string {
	return []string{
		"http://" + netip.AddrPortFrom(Inet4Addr.Addr(), ProbePort).String(),
		"http://" + netip.AddrPortFrom(Inet6Addr.Addr(), ProbePort).String(),
	}
}

// upProbers starts probe-serve at both visitors.
func (l *Lab) upProbers(ctx context.Context) error {
	if _, err := newSecret(l.probeTokenFile(), 18); err != nil {
		return err
	}
	for _, x := range []struct{ node, listen string }{
		{NodeInet4, netip.AddrPortFrom(netip.IPv4Unspecified(), ProbePort).String()},
		{NodeInet6, netip.AddrPortFrom(netip.IPv6Unspecified(), ProbePort).String()},
	} {
		if _, err := l.start(x.node, "probe-serve", l.bin, "probe-serve", "--listen", x.listen, "--token-file", l.probeTokenFile(),
			// The lab's tests check again and again within seconds.
			"--burst", "30", "--every", "1s"); err != nil {
			return err
		}
	}
	for _, n := range []string{NodeInet4, NodeInet6} {
		if err := l.waitListen(ctx, n, "tcp", ProbePort); err != nil {
			return err
		}
	}
	return nil
}

// checkConfig is the server config's check section: the ISP's BIND asked
// directly, the two probers, and no TLS port (the lab's nginx answers
// plain HTTP on 443).
func (l *Lab) checkConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, "check:\n  name: %s\n  dns_servers: [%s]\n  tls_ports: []\n  probers:\n",
		strings.TrimSuffix(Name, "."), netip.AddrPortFrom(DNS4, 53))
	for _, u := range proberURLs() {
		fmt.Fprintf(&b, "    - url: %s\n      token_file: %s\n", u, l.probeTokenFile())
	}
	return b.String()
}

// RunCheck runs `dualpath check --json` on the server, as a user would with
// `dualpath lab exec server -- dualpath check --json`, and returns its exit
// code and report.
func (l *Lab) RunCheck(ctx context.Context) (int, *reach.JSONReport, error) {
	var out, errb bytes.Buffer
	code, err := l.Exec(ctx, NodeServer, []string{l.bin, "check", "--json"}, nil, &out, &errb)
	if err != nil {
		return code, nil, err
	}
	var rep reach.JSONReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return code, nil, fmt.Errorf("dualpath check exit %d: %s%s", code, strings.TrimSpace(errb.String()), strings.TrimSpace(out.String()))
	}
	return code, &rep, nil
}

// checkFromOutside is check 9: `dualpath check` on the server is green,
// every exposed port reachable over both families through the probers.
func checkFromOutside(ctx context.Context, l *Lab) (string, string, bool) {
	exp := fmt.Sprintf("exit 0: IPv4 and IPv6 reachable on %s", portsString(ExposedTCP))
	code, rep, err := l.RunCheck(ctx)
	if err != nil {
		return exp, short(err), false
	}
	var ok4, ok6, bad []string
	for _, p := range rep.Paths {
		switch {
		case p.Status != reach.OK:
			bad = append(bad, fmt.Sprintf("%s/%d %s: %s", p.Family, p.Port, p.Status, p.Cause))
		case p.Family == reach.IPv4:
			ok4 = append(ok4, fmt.Sprint(p.Port))
		default:
			ok6 = append(ok6, fmt.Sprint(p.Port))
		}
	}
	for _, d := range rep.DNS {
		if d.Status != reach.OK {
			bad = append(bad, fmt.Sprintf("DNS %s %s: %s", d.Family, d.Status, d.Cause))
		}
	}
	seen := fmt.Sprintf("exit %d: IPv4 %s, IPv6 %s", code, strings.Join(ok4, ","), strings.Join(ok6, ","))
	if len(bad) > 0 {
		seen += "; " + strings.Join(bad, "; ")
	}
	return exp, seen, code == 0 && len(bad) == 0 && len(ok4) == len(ExposedTCP) && len(ok6) == len(ExposedTCP)
}
