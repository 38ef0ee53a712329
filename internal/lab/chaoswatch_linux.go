package lab

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The chaos drill's watcher runs in the IPv4 visitor's namespace for the
// whole drill: it scans the session address (read from a file the drill
// keeps current) over TCP and UDP every couple of seconds and asks the ISP's DNS for the
// name's A and AAAA records every half second, appending what it saw as
// JSON lines. The drill judges the observations against what it knows to
// be true (chaos_linux.go).

func init() {
	NodeCommands["chaos-watch"] = nodeChaosWatch
}

// watchObs is one observation of the watcher.
type watchObs struct {
	At   time.Time    `json:"at"`
	Kind string       `json:"kind"` // "scan" or "dns"
	Addr netip.Addr   `json:"addr,omitzero"`
	Open []uint16     `json:"open,omitempty"`
	UDP  []uint16     `json:"open_udp,omitempty"` // UDP ports that answered
	A    []netip.Addr `json:"a,omitempty"`
	AAAA []netip.Addr `json:"aaaa,omitempty"`
	Err  string       `json:"err,omitempty"`
}

func nodeChaosWatch(ctx context.Context, _ io.Writer, args []string) error {
	fs := flag.NewFlagSet("chaos-watch", flag.ContinueOnError)
	target := fs.String("target", "", "file holding the address to scan")
	outPath := fs.String("out", "", "file to append observations to")
	server := fs.String("dns", "", "DNS server host:port")
	name := fs.String("name", "", "name to ask for")
	ports := fs.String("ports", "1-1024", "TCP ports to scan")
	udp := fs.String("udp", "", "UDP ports to probe")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spec, err := parseScan(*ports, *udp)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	obs := make(chan watchObs, 64)
	go func() {
		enc := json.NewEncoder(f)
		for o := range obs {
			_ = enc.Encode(o)
		}
	}()
	go func() {
		for ctx.Err() == nil {
			b, _ := os.ReadFile(*target)
			if a, err := netip.ParseAddr(strings.TrimSpace(string(b))); err == nil {
				start := time.Now()
				res := spec.run(ctx, a, 700*time.Millisecond)
				obs <- watchObs{At: start, Kind: "scan", Addr: a, Open: res.Open, UDP: res.OpenUDP}
			}
			sleepCtx(ctx, 2*time.Second)
		}
	}()
	for ctx.Err() == nil {
		o := watchObs{At: time.Now(), Kind: "dns"}
		var errs []string
		for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
			as, err := queryAddrs(ctx, *server, *name, t)
			if err != nil {
				errs = append(errs, err.Error())
			}
			if t == dns.TypeA {
				o.A = as
			} else {
				o.AAAA = as
			}
		}
		o.Err = strings.Join(errs, "; ")
		obs <- o
		sleepCtx(ctx, 500*time.Millisecond)
	}
	return nil
}

func queryAddrs(ctx context.Context, server, name string, t uint16) ([]netip.Addr, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), t)
	m.RecursionDesired = false
	c := &dns.Client{Timeout: time.Second}
	r, _, err := c.ExchangeContext(ctx, m, server)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, rr := range r.Answer {
		switch v := rr.(type) {
		case *dns.A:
			if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
				out = append(out, a)
			}
		case *dns.AAAA:
			if a, ok := netip.AddrFromSlice(v.AAAA); ok {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
