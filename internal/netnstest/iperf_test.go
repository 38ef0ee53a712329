package netnstest

import "testing"

// TestIperf3 runs the helper both ways over a veth and checks that it reads
// a rate out of iperf3's JSON report (any positive figure: no speed is
// asserted).
func TestIperf3(t *testing.T) {
	RequireRoot(t)
	RequireCommand(t, "iperf3")
	a, b := New(t, "ia"), New(t, "ib")
	Veth(t, a, "eth0", b, "eth0")
	a.MustRun("ip", "addr", "add", "10.99.1.1/24", "dev", "eth0", "nodad")
	b.MustRun("ip", "addr", "add", "10.99.1.2/24", "dev", "eth0", "nodad")
	for _, reverse := range []bool{false, true} {
		if mbps := Iperf3(t, b, a, "10.99.1.2", 1, reverse, "-B", "10.99.1.1"); mbps <= 0 {
			t.Errorf("reverse=%v: %v Mbit/s", reverse, mbps)
		}
	}
}
