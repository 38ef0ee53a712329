package ddns

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"sort"
	"sync"
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
// Each measures, in the same run and against the same BIND, the same record
// and the same kind of change:
//   - the daemon's way: the updater reacts to the change as an event (the
//     netlink address watch, or the daemon's SetSessionAddress push), 200 ms
//     debounce;
//   - the baseline: the same updater with address events off, reacting only
//     by polling every convergencePoll; each change lands at a random phase
//     of the poll, as a real change would (stratified: 10 changes cover
//     the interval evenly).
//
// It prints both medians and p90s, and what a poller at the default
// 5-minute interval would give, derived from the measured poller (its wait
// scaled by DefaultInterval/convergencePoll; the update's own cost, taken
// from the event-driven run, kept as measured).

// convergencePoll is the poll interval of the measured polling baseline:
// short so the run stays quick, and still far longer than an update takes.
const convergencePoll = time.Second

// convergenceSetup starts BIND and an updater for an rfc2136 record whose A
// comes from source (pppoe or interface:d0 in the namespace nsName). The
// returned function stops the updater and waits for it.
func convergenceSetup(b testing.TB, source, nsName string) (*Updater, *bind.Server, context.CancelFunc) {
	srv := bind.Start(b, bind.Options{Zone: "example.test."})
	u, stop := startConvergenceUpdater(b, srv, source, nsName, 0)
	return u, srv, stop
}

// startConvergenceUpdater runs an updater (the daemon loop, Run) for the
// record www.example.test. on srv, its A from source; the pppoe source's TUN
// device is d0. With poll > 0 it is a pure poller: no address events
// (Options.Watch never fires) and a periodic check every poll. The returned
// function cancels Run and waits until it returned; it also runs at cleanup.
func startConvergenceUpdater(b testing.TB, srv *bind.Server, source, nsName string, poll time.Duration) (*Updater, context.CancelFunc) {
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
	opts := Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StateDir: "-", NetNS: nsName}
	if poll > 0 {
		opts.Interval = poll
		opts.Watch = func(context.Context) <-chan struct{} { return nil } // a nil channel never delivers
	}
	u, err := New(cfg, opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = u.Run(ctx); close(done) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	b.Cleanup(stop)
	return u, stop
}

// convergenceNS is a test namespace with the veth d0 (peer d1) up and addr
// on d0.
func convergenceNS(b testing.TB, addr netip.Addr) *netnstest.NS {
	ns := netnstest.New(b, "conv")
	ns.MustRun("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ns.MustRun("ip", "link", "set", "d1", "up")
	ns.MustRun("ip", "link", "set", "d0", "up")
	ns.MustRun("ip", "addr", "add", addr.String()+"/32", "dev", "d0")
	return ns
}

// moveAddr replaces d0's IPv4 address prev with next (add first, then
// delete, as a renumbering does).
func moveAddr(ns *netnstest.NS, prev, next netip.Addr) {
	ns.MustRun("ip", "addr", "replace", next.String()+"/32", "dev", "d0")
	ns.MustRun("ip", "addr", "del", prev.String()+"/32", "dev", "d0")
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

// measurePolling is the same-run baseline: a polling-only updater (every
// convergencePoll) for source, on srv, whose address is d0's in ns (now
// first). It makes n changes, next(i) each, each after a random pause of up
// to one poll interval so that it lands at a random phase of the poll, and
// returns how long BIND took to answer each. The pauses are not counted.
// They are stratified (one in each n-th of the interval, in random order)
// so that a few changes already cover the phases evenly.
func measurePolling(b *testing.B, srv *bind.Server, source string, ns *netnstest.NS, first netip.Addr, next func(i int) netip.Addr, n int) []time.Duration {
	_, stop := startConvergenceUpdater(b, srv, source, ns.Name, convergencePoll)
	defer stop()
	waitAnswer(b, srv, first)
	ds := make([]time.Duration, 0, n)
	prev := first
	slots := rand.Perm(n)
	for i := 0; i < n; i++ {
		time.Sleep(time.Duration((float64(slots[i]) + rand.Float64()) / float64(n) * float64(convergencePoll)))
		a := next(i)
		start := time.Now()
		moveAddr(ns, prev, a)
		waitAnswer(b, srv, a)
		ds = append(ds, time.Since(start))
		prev = a
	}
	return ds
}

// medianP90 sorts ds and returns its median (the mean of the middle two for
// an even count) and 90th percentile (nearest rank).
func medianP90(ds []time.Duration) (med, p90 time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	n := len(ds)
	med = ds[n/2]
	if n%2 == 0 {
		med = (ds[n/2-1] + ds[n/2]) / 2
	}
	return med, ds[(n*9+9)/10-1]
}

// scalePoll derives a poller at DefaultInterval from one measured at
// convergencePoll: the part of d beyond the update's own cost is waiting
// for the poll, which grows with the interval; the cost does not.
func scalePoll(d, cost time.Duration) time.Duration {
	wait := max(d-cost, 0)
	return cost + time.Duration(float64(wait)*float64(DefaultInterval)/float64(convergencePoll))
}

// reportConvergence prints and reports the event-driven figures next to the
// measured polling baseline and the 5-minute poller derived from it.
func reportConvergence(b *testing.B, what, event string, events, polls []time.Duration) {
	if len(events) == 0 || len(polls) == 0 {
		return
	}
	med, p90 := medianP90(events)
	pmed, pp90 := medianP90(polls)
	// What the event-driven path spends beyond its debounce is the update
	// itself (resolve, RFC 2136 UPDATE, verify, BIND serving it).
	cost := max(med-DefaultDebounce, 0)
	dmed, dp90 := scalePoll(pmed, cost), scalePoll(pp90, cost)
	b.ReportMetric(med.Seconds(), "median-s")
	b.ReportMetric(p90.Seconds(), "p90-s")
	b.ReportMetric(pmed.Seconds(), "poll-median-s")
	b.ReportMetric(pp90.Seconds(), "poll-p90-s")
	b.ReportMetric(dmed.Seconds(), "poll5m-derived-median-s")
	scale := float64(DefaultInterval) / float64(convergencePoll)
	fmt.Fprintf(os.Stdout, `convergence %s (same BIND, same record, %d/%d changes):
  %-44s median %v, p90 %v
  %-44s median %v, p90 %v
  %-44s median ~%v, p90 ~%v
`,
		what, len(events), len(polls),
		event+":", med.Round(time.Millisecond), p90.Round(time.Millisecond),
		fmt.Sprintf("baseline, polling only every %v (measured):", convergencePoll), pmed.Round(time.Millisecond), pp90.Round(time.Millisecond),
		fmt.Sprintf("polling every %v (derived: wait ×%.0f):", DefaultInterval, scale), dmed.Round(time.Second), dp90.Round(time.Second))
}

// BenchmarkConvergenceInterfaceAddress changes the IPv4 address of an
// interface in a test namespace; the updater sees it through netlink. The
// baseline polls the same interface.
func BenchmarkConvergenceInterfaceAddress(b *testing.B) {
	first := netip.MustParseAddr("203.0.113.1")
	next := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{203, 0, 113, byte(2 + i%200)}) }
	ns := convergenceNS(b, first)
	_, srv, stop := convergenceSetup(b, "interface:d0", ns.Name)
	waitAnswer(b, srv, first)
	var ds []time.Duration
	prev := first
	for i := 0; b.Loop(); i++ {
		a := next(i)
		start := time.Now()
		moveAddr(ns, prev, a)
		waitAnswer(b, srv, a)
		ds = append(ds, time.Since(start))
		prev = a
	}
	stop()
	moveAddr(ns, prev, first)
	polls := measurePolling(b, srv, "interface:d0", ns, first, next, len(ds))
	reportConvergence(b, "after an interface address change", "netlink address events (the daemon)", ds, polls)
}

// BenchmarkConvergencePPPoEPush pushes a new PPPoE session address (what the
// daemon does on reconnect). The baseline has no push: its updater reads the
// session device's (d0's) address when it polls.
func BenchmarkConvergencePPPoEPush(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to run named")
	}
	first := netip.MustParseAddr("198.51.100.1")
	next := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(2 + i%200)}) }
	u, srv, stop := convergenceSetup(b, "pppoe", "")
	u.SetSessionAddress(first)
	waitAnswer(b, srv, first)
	var ds []time.Duration
	for i := 0; b.Loop(); i++ {
		a := next(i)
		start := time.Now()
		u.SetSessionAddress(a)
		waitAnswer(b, srv, a)
		ds = append(ds, time.Since(start))
	}
	stop()
	ns := convergenceNS(b, first)
	polls := measurePolling(b, srv, "pppoe", ns, first, next, len(ds))
	reportConvergence(b, "after a PPPoE reconnect", "SetSessionAddress push (the daemon)", ds, polls)
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
