package session

import (
	"fmt"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/ppp"
)

// BenchmarkSessionThroughput measures TCP throughput (iperf3, 3 s each
// way) through a whole PPPoE session — dualpath's client (policy routing,
// TUN, data plane) against dualpath's own AccessConcentrator over a veth —
// and, in the same run, over a plain routed veth as the baseline. It prints
// both and the ratio. Not a test; run it alone:
//
//	go test -run '^$' -bench SessionThroughput -benchtime 1x ./internal/session/
func BenchmarkSessionThroughput(b *testing.B) {
	netnstest.RequireCommand(b, "iperf3")
	// iperf runs 3 s of iperf3 with the client bound to bind and returns Gbit/s.
	iperf := func(srv, cli *netnstest.NS, addr, bind string, reverse bool) float64 {
		b.Helper()
		return netnstest.Iperf3(b, srv, cli, addr, 3, reverse, "-B", bind) / 1e3
	}
	for i := 0; i < b.N; i++ {
		x, y := netnstest.New(b, "bx"), netnstest.New(b, "by")
		netnstest.Veth(b, x, "eth0", y, "eth0")
		x.MustRun("ip", "addr", "add", "10.200.0.1/24", "dev", "eth0")
		y.MustRun("ip", "addr", "add", "10.200.0.2/24", "dev", "eth0")
		baseUp := iperf(y, x, "10.200.0.2", "10.200.0.1", false)
		baseDown := iperf(y, x, "10.200.0.2", "10.200.0.1", true)

		home, isp, _ := ownAC(b, ACConfig{Auth: ppp.AuthCHAP}, "1500")
		r := startClient(b, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland")})
		up := r.log.wait(b, KindUp, 1, 30*time.Second)
		sessUp := iperf(isp, home, "198.51.100.1", up.Address.String(), false)
		sessDown := iperf(isp, home, "198.51.100.1", up.Address.String(), true)
		r.stop(b)

		fmt.Printf("session (MTU %d, dualpath client <-> dualpath AC): upload %.2f Gbit/s, download %.2f Gbit/s\n", up.MTU, sessUp, sessDown)
		fmt.Printf("baseline (routed veth, MTU 1500):                 upload %.2f Gbit/s, download %.2f Gbit/s\n", baseUp, baseDown)
		fmt.Printf("ratio session/baseline: upload %.0f%%, download %.0f%%\n", 100*sessUp/baseUp, 100*sessDown/baseDown)
		b.ReportMetric(sessUp, "Gbit/s-up")
		b.ReportMetric(sessDown, "Gbit/s-down")
		b.ReportMetric(baseUp, "Gbit/s-base-up")
		b.ReportMetric(baseDown, "Gbit/s-base-down")
	}
}
