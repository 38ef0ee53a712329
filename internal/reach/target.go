package reach

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/mapepath"
	"github.com/dualpath/dualpath/internal/portprobe"
	"github.com/dualpath/dualpath/internal/probeserve"
)

// TargetFrom builds the check of a config: its name, exposed TCP ports,
// TLS ports, authoritative servers and probers (tokens read from their
// files), with the addresses the site should have (want4: the session's or
// what the ddns records publish; want6: the stable IPv6), which the caller
// knows from the running daemon.
func TargetFrom(cfg *config.Config, want4, want6 netip.Addr, readSecret func(string) (string, error)) (Target, error) {
	k := cfg.CheckSettings()
	if k.Name == "" {
		return Target{}, fmt.Errorf("%s: no DNS name to check: write check.name (e.g. www.example.jp)", cfg.Path)
	}
	t := Target{Name: k.Name, Ports: cfg.Expose.TCP, TLSPorts: k.TLSPorts, Want4: want4, Want6: want6}
	for _, s := range k.DNSServers {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return Target{}, fmt.Errorf("check.dns_servers: %q is not IP:port", s)
		}
		t.DNSServers = append(t.DNSServers, ap)
	}
	for i, p := range k.Probers {
		tok, err := readSecret(p.TokenFile)
		if err != nil {
			return Target{}, fmt.Errorf("check.probers[%d].token_file: %v", i, err)
		}
		t.Probers = append(t.Probers, probeserve.Prober{URL: p.URL, Token: tok})
	}
	return t, nil
}

// EnvFor is the environment a check of cfg runs in: IPv4 is also looked
// at through the server's MAP-E path (a SYN by the IPoE router; needs
// CAP_NET_RAW): the default route's gateway when the server holds the
// session, plan.ipoe_router in two-router mode (where the default route
// leads to the PPPoE router, which would hairpin).
func EnvFor(cfg *config.Config) Env {
	path := mapepath.DefaultPath
	if cfg.PPPoE == nil {
		// Two-router mode: leave by the IPoE router, not the default
		// route's PPPoE router (which would hairpin).
		pl := cfg.Plan
		if pl == nil || pl.Mode != "two-routers" || pl.IPoERouter == "" {
			return Env{}
		}
		gw, err := netip.ParseAddr(pl.IPoERouter)
		if err != nil {
			return Env{}
		}
		path = func() (mapepath.Path, error) { return mapepath.PathVia(gw) }
	}
	return Env{OtherPath4: func(ctx context.Context, target netip.Addr, ports []uint16) ([]portprobe.Result, error) {
		p, err := path()
		if err != nil {
			return nil, fmt.Errorf("the MAP-E path: %v", err)
		}
		res, err := mapepath.Probe(ctx, p, target, ports, portprobe.DefaultTimeout)
		if err != nil {
			return nil, fmt.Errorf("the MAP-E path: %v", err)
		}
		return res, nil
	}}
}
