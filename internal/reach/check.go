package reach

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/dnsauth"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/portprobe"
	"github.com/dualpath/dualpath/internal/probeserve"
)

// Target is what to check: the site's name, its exposed TCP ports, and the
// addresses it should be reached at.
type Target struct {
	Name       string
	Ports      []uint16 // exposed TCP ports
	TLSPorts   []uint16 // those of Ports that speak TLS
	Want4      netip.Addr
	Want6      netip.Addr
	DNSServers []netip.AddrPort // authoritative servers; empty: found through NS records
	Probers    []probeserve.Prober
}

// Env is what a check uses of the machine; the zero value is the real one.
type Env struct {
	Now func() time.Time
	// Resolver (host:port) finds the name's authoritative servers when
	// the target lists none; "" is the first nameserver of resolv.conf.
	Resolver string
	// OtherPath4 probes the IPv4 address visitors use by this server's
	// other IPv4 path (MAP-E), when it has one; nil when not.
	OtherPath4 func(ctx context.Context, target netip.Addr, ports []uint16) ([]portprobe.Result, error)
	// IsLocal reports whether an address is this host's, so a prober
	// request can be sent from it (in two-router mode the session address
	// is the second router's, and its NAT gives it instead).
	IsLocal func(netip.Addr) bool
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// ViaMAPE names the view of the server's own MAP-E path in reports.
const ViaMAPE = "mape"

// Run checks every family and port of t. It never fails as a whole: every
// problem is a line of the report.
func Run(ctx context.Context, t Target, env Env) *Report {
	rep := &Report{Name: t.Name, Time: env.now().UTC()}
	fams := []struct {
		f    Family
		want netip.Addr
	}{{IPv4, t.Want4}, {IPv6, t.Want6}}

	var wg sync.WaitGroup
	rep.DNS = make([]DNSResult, len(fams))
	for i, x := range fams {
		rep.DNS[i] = DNSResult{Family: x.f, Want: x.want}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		checkDNS(ctx, t, env, rep.DNS)
	}()

	ports := slices.Clone(t.Ports)
	slices.Sort(ports)
	type key struct {
		f    Family
		port uint16
	}
	idx := map[key]int{}
	for _, x := range fams {
		for _, p := range ports {
			idx[key{x.f, p}] = len(rep.Paths)
			rep.Paths = append(rep.Paths, PathResult{Family: x.f, Port: p, Address: x.want, Views: []View{}})
		}
	}
	var mu sync.Mutex
	for _, x := range fams {
		if !x.want.IsValid() || len(ports) == 0 {
			continue
		}
		bind := x.want
		if env.IsLocal != nil && !env.IsLocal(bind) {
			bind = netip.Addr{}
		} else if env.IsLocal == nil && !hostnet.IsHostAddr(bind) {
			bind = netip.Addr{}
		}
		for _, pr := range t.Probers {
			if !pr.Serves(x.f == IPv6) {
				continue // an IP literal of the other family
			}
			for _, chunk := range chunks(ports, probeserve.MaxPorts) {
				req := probeserve.Request{Host: t.Name}
				for _, p := range chunk {
					tls := slices.Contains(t.TLSPorts, p)
					req.Ports = append(req.Ports, probeserve.PortRequest{Port: p, HTTP: true, TLS: tls})
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					ans, err := probeserve.Ask(ctx, pr, bind, x.want, req)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						var re *probeserve.RefusedError
						refused := errors.As(err, &re)
						for _, p := range chunk {
							i := idx[key{x.f, p}]
							rep.Paths[i].Views = append(rep.Paths[i].Views, View{Via: pr.URL, Error: err.Error(), ErrorCode: msg.CodeOf(err), NotChecked: refused})
						}
						return
					}
					for _, r := range ans.Results {
						i := idx[key{x.f, r.Port}]
						r := r
						rep.Paths[i].Views = append(rep.Paths[i].Views, View{Via: pr.URL, Result: &r})
					}
				}()
			}
		}
	}
	if env.OtherPath4 != nil && t.Want4.IsValid() && len(ports) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := env.OtherPath4(ctx, t.Want4, ports)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				for _, p := range ports {
					i := idx[key{IPv4, p}]
					rep.Paths[i].Views = append(rep.Paths[i].Views, View{Via: ViaMAPE, Error: err.Error(), ErrorCode: msg.CodeOf(err), NotChecked: true})
				}
				return
			}
			for _, r := range res {
				if i, ok := idx[key{IPv4, r.Port}]; ok {
					r := r
					rep.Paths[i].Views = append(rep.Paths[i].Views, View{Via: ViaMAPE, Result: &r})
				}
			}
		}()
	}
	wg.Wait()
	now := env.now()
	for i := range rep.Paths {
		p := &rep.Paths[i]
		if !p.Address.IsValid() {
			p.Status = Skip
			p.Cause = msg.T("not checked: no %s address is published", "未確認: %s のアドレスは公開されていません", p.Family.Name())
			continue
		}
		slices.SortFunc(p.Views, func(a, b View) int {
			if a.Via < b.Via {
				return -1
			}
			if a.Via > b.Via {
				return 1
			}
			return 0
		})
		judge(p, slices.Contains(t.TLSPorts, p.Port), now)
	}
	return rep
}

func checkDNS(ctx context.Context, t Target, env Env, out []DNSResult) {
	servers := dnsauth.Given(t.DNSServers)
	var findErr error
	if len(servers) == 0 {
		servers, findErr = dnsauth.Find(ctx, env.Resolver, 0, t.Name)

	}
	for i := range out {
		d := &out[i]
		if !d.Want.IsValid() {
			judgeDNS(d, t.Name)
			continue
		}
		if findErr != nil {
			d.Status = Fail
			d.Cause = msg.T("cannot find the authoritative servers: %v: set check.dns_servers",
				"権威サーバーが見つかりません（%v）。check.dns_servers を設定してください", findErr)
			continue
		}
		ans, err := dnsauth.Lookup(ctx, servers, t.Name, d.Family == IPv4, d.Family == IPv6)
		if err != nil {
			d.Status = Fail
			d.Cause = msg.T("the authoritative servers did not answer: %v", "権威サーバーが応答しません（%v）", err)
			continue
		}
		d.Got, d.Server = append(ans.IPv4, ans.IPv6...), ans.Server.Addr.String()
		judgeDNS(d, t.Name)
	}
}

// chunks splits ports into requests of at most n.
func chunks(ports []uint16, n int) [][]uint16 {
	var out [][]uint16
	for len(ports) > n {
		out = append(out, ports[:n])
		ports = ports[n:]
	}
	if len(ports) > 0 {
		out = append(out, ports)
	}
	return out
}
