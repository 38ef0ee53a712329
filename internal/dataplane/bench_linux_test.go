package dataplane

import (
	"fmt"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// BenchmarkThroughput measures TCP throughput (iperf3, 3 s each way)
// through TUN -> PPPoE (client) -> veth -> PPPoE (AC) -> TUN between two
// namespaces, through TUN -> IPv4-in-IPv6 (Tunnel) -> veth -> Tunnel -> TUN
// (the fixed-IP path, MTU 1460), and, in the same run, over a plain routed
// veth between two other namespaces as the baseline. It prints all three
// and the ratios. Run it
// alone (it is not a test):
//
//	go test -run '^$' -bench Throughput -benchtime 1x ./internal/dataplane/
//
// or bench/dataplane.sh.
func BenchmarkThroughput(b *testing.B) {
	netnstest.RequireCommand(b, "iperf3")
	const secs = 3
	for i := 0; i < b.N; i++ {
		// baseline: plain routed veth
		x, y := netnstest.New(b, "bx"), netnstest.New(b, "by")
		netnstest.Veth(b, x, "eth0", y, "eth0")
		x.MustRun("ip", "addr", "add", "10.200.0.1/24", "dev", "eth0")
		y.MustRun("ip", "addr", "add", "10.200.0.2/24", "dev", "eth0")
		baseUp := netnstest.Iperf3(b, y, x, "10.200.0.2", secs, false)
		baseDown := netnstest.Iperf3(b, y, x, "10.200.0.2", secs, true)

		tb := newTestbed(b, bedOptions{sessionMTU: 1454})
		if !netnstest.WaitFor(5*time.Second, func() bool { _, err := tb.cli.Run("ping", "-c1", "-W1", "100.64.0.1"); return err == nil }) {
			b.Fatal("no ping through the session")
		}
		up := netnstest.Iperf3(b, tb.ac, tb.cli, "100.64.0.1", secs, false)
		down := netnstest.Iperf3(b, tb.ac, tb.cli, "100.64.0.1", secs, true)

		tn := newTunnelBed(b)
		if !netnstest.WaitFor(5*time.Second, func() bool { _, err := tn.srv.Run("ping", "-c1", "-W1", tn.remote); return err == nil }) {
			b.Fatal("no ping through the tunnel")
		}
		tunUp := netnstest.Iperf3(b, tn.br, tn.srv, tn.remote, secs, false)
		tunDown := netnstest.Iperf3(b, tn.br, tn.srv, tn.remote, secs, true)

		cs, as := tb.client.Stats(), tb.acp.Stats()
		fmt.Printf("\ndataplane throughput (iperf3 TCP, %d s each, session MTU 1454, this machine, same run)\n", secs)
		fmt.Printf("  %-34s %10s %10s\n", "path", "up Mbit/s", "down Mbit/s")
		fmt.Printf("  %-34s %10.0f %10.0f\n", "baseline: routed veth (MTU 1500)", baseUp, baseDown)
		fmt.Printf("  %-34s %10.0f %10.0f\n", "TUN<->PPPoE<->TUN (dataplane)", up, down)
		fmt.Printf("  %-34s %9.0f%% %9.0f%%\n", "  ratio to baseline", 100*up/baseUp, 100*down/baseDown)
		fmt.Printf("  %-34s %10.0f %10.0f\n", "TUN<->IPv4-in-IPv6<->TUN (Tunnel)", tunUp, tunDown)
		fmt.Printf("  %-34s %9.0f%% %9.0f%%\n", "  ratio to baseline", 100*tunUp/baseUp, 100*tunDown/baseDown)
		fmt.Printf("  client: %.1f packets per TUN read, %.1f frames per link read; drops %v\n",
			float64(cs.TxPackets)/float64(max(cs.TUNReads, 1)), float64(cs.RxPackets)/float64(max(cs.LinkReads, 1)), cs.DropsByName())
		fmt.Printf("  AC:     %.1f packets per TUN read, %.1f frames per link read; drops %v\n",
			float64(as.TxPackets)/float64(max(as.TUNReads, 1)), float64(as.RxPackets)/float64(max(as.LinkReads, 1)), as.DropsByName())
		ts := tn.srvT.Stats()
		fmt.Printf("  tunnel: %.1f packets per TUN read, %.1f packets per link read; drops %v\n",
			float64(ts.TxPackets)/float64(max(ts.TUNReads, 1)), float64(ts.RxPackets)/float64(max(ts.LinkReads, 1)), ts.DropsByName())
		b.ReportMetric(up, "up-Mbit/s")
		b.ReportMetric(tunUp, "tunnel-up-Mbit/s")
		b.ReportMetric(tunDown, "tunnel-down-Mbit/s")
		b.ReportMetric(down, "down-Mbit/s")
		b.ReportMetric(baseUp, "baseline-up-Mbit/s")
		b.ReportMetric(baseDown, "baseline-down-Mbit/s")
	}
}
