package ddns

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/bind"
)

// Convergence benchmarks: from an address change to the authoritative server
// (a real BIND 9) answering the new record. Run with
//
//	go test -run '^$' -bench Convergence -benchtime 10x ./internal/ddns
//
// Each prints the median and p90 next to the baseline of the updaters that
// poll (every 5 minutes: a change waits interval/2 = 150 s on average).

// convergenceSetup starts BIND and an updater for an rfc2136 record whose A
// comes from source (pppoe or interface:d0 in the namespace nsName).
func convergenceSetup(b testing.TB, source, nsName string) (*Updater, *bind.Server, context.CancelFunc) {
	srv := bind.Start(b, bind.Options{Zone: "example.test."})
	cfg, err := config.Parse("bench.yaml", []byte(fmt.Sprintf(`pppoe:
  username: u@example.jp
  tun: d0
ddns:
  - provider: rfc2136
    server: %s
    zone: example.test.
    name: www.example.test.
    tsig_key_file: %s
    ttl: 60
    ipv4: %s
`, srv.Addr, srv.KeyFile, source)))
	if err != nil {
		b.Fatal(err)
	}
	u, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: "-", NetNS: nsName})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = u.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return u, srv, cancel
}

// waitAnswer polls BIND every 2 ms until it answers want for the A record.
func waitAnswer(b testing.TB, srv *bind.Server, want netip.Addr) {
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion("www.example.test.", dns.TypeA)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, _, err := c.Exchange(m, srv.Addr); err == nil && len(r.Answer) == 1 {
			if a, ok := r.Answer[0].(*dns.A); ok && a.A.Equal(want.AsSlice()) {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatalf("BIND never answered %s", want)
}

func reportConvergence(b *testing.B, what string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	med := ds[len(ds)/2]
	p90 := ds[(len(ds)*9+9)/10-1]
	poll := DefaultInterval / 2
	b.ReportMetric(med.Seconds(), "median-s")
	b.ReportMetric(p90.Seconds(), "p90-s")
	b.ReportMetric(poll.Seconds(), "poll5m-expected-s")
	fmt.Fprintf(os.Stdout, "convergence %s over %d changes: median %v, p90 %v; a 5-minute poller: %v expected (interval/2), up to %v\n",
		what, len(ds), med.Round(time.Millisecond), p90.Round(time.Millisecond), poll, DefaultInterval)
}

// BenchmarkConvergenceInterfaceAddress changes the IPv4 address of an
// interface in a test namespace; the updater sees it through netlink.
func BenchmarkConvergenceInterfaceAddress(b *testing.B) {
	ns := netnstest.New(b, "conv")
	ns.MustRun("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ns.MustRun("ip", "link", "set", "d1", "up")
	ns.MustRun("ip", "link", "set", "d0", "up")
	ns.MustRun("ip", "addr", "add", "203.0.113.1/32", "dev", "d0")
	_, srv, _ := convergenceSetup(b, "interface:d0", ns.Name)
	waitAnswer(b, srv, netip.MustParseAddr("203.0.113.1"))
	var ds []time.Duration
	prev := "203.0.113.1/32"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := netip.AddrFrom4([4]byte{203, 0, 113, byte(2 + i%200)})
		start := time.Now()
		ns.MustRun("ip", "addr", "replace", next.String()+"/32", "dev", "d0")
		ns.MustRun("ip", "addr", "del", prev, "dev", "d0")
		waitAnswer(b, srv, next)
		ds = append(ds, time.Since(start))
		prev = next.String() + "/32"
	}
	b.StopTimer()
	reportConvergence(b, "after an interface address change", ds)
}

// BenchmarkConvergencePPPoEPush pushes a new PPPoE session address (what the
// daemon does on reconnect).
func BenchmarkConvergencePPPoEPush(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to run named")
	}
	u, srv, _ := convergenceSetup(b, "pppoe", "")
	u.SetPPPoEAddress(netip.MustParseAddr("198.51.100.1"))
	waitAnswer(b, srv, netip.MustParseAddr("198.51.100.1"))
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := netip.AddrFrom4([4]byte{198, 51, 100, byte(2 + i%200)})
		start := time.Now()
		u.SetPPPoEAddress(next)
		waitAnswer(b, srv, next)
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportConvergence(b, "after a PPPoE reconnect", ds)
}

// TestUpdaterFollowsNetlinkToBIND runs the daemon loop against a real BIND:
// an address change on an interface in a namespace reaches the zone through
// the netlink watch (the periodic check is 5 minutes away); a private
// address appearing meanwhile is not published. It asserts the behaviour,
// not the speed.
func TestUpdaterFollowsNetlinkToBIND(t *testing.T) {
	ns := netnstest.New(t, "follow")
	ns.MustRun("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ns.MustRun("ip", "link", "set", "d1", "up")
	ns.MustRun("ip", "link", "set", "d0", "up")
	ns.MustRun("ip", "addr", "add", "203.0.113.1/32", "dev", "d0")
	u, srv, _ := convergenceSetup(t, "interface:d0", ns.Name)
	waitAnswer(t, srv, netip.MustParseAddr("203.0.113.1"))
	ns.MustRun("ip", "addr", "add", "10.0.0.1/8", "dev", "d0") // private: never published
	ns.MustRun("ip", "addr", "del", "203.0.113.1/32", "dev", "d0")
	ns.MustRun("ip", "addr", "add", "203.0.113.2/32", "dev", "d0")
	waitAnswer(t, srv, netip.MustParseAddr("203.0.113.2"))
	// BIND answers before the updater has verified and recorded the update.
	netnstest.WaitFor(10*time.Second, func() bool { return u.Counters().Updates == 2 })
	if c := u.Counters(); c.Updates != 2 || c.Failures != 0 {
		t.Fatalf("counters %+v", c)
	}
	st := u.Status()[0]
	if st.IPv4 != "203.0.113.2" || st.LastError != "" {
		t.Fatalf("status %+v", st)
	}
}
