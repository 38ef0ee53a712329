package umlac

import (
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/pppoe"
)

// TestACBootsAndRunsCommands checks the harness itself: the AC boots, runs
// pppoe-server with our options, and answers control commands.
func TestACBootsAndRunsCommands(t *testing.T) {
	ac := Start(t, CHAP)
	out := ac.MustCtl("ps; cat /tmp/opts")
	if !strings.Contains(out, "pppoe-server") || !strings.Contains(out, "require-chap") {
		t.Fatalf("AC state:\n%s", out)
	}
	if out, _ := ac.Ctl("exit 3"); !strings.HasSuffix(strings.TrimSpace(out), "rc=3") {
		t.Fatalf("exit status not reported: %q", out)
	}
	// The cached root is shared by concurrent tests: UML must not write it.
	if out, _ := ac.Ctl("touch /etc/ppp/x"); strings.HasSuffix(strings.TrimSpace(out), "rc=0") {
		t.Fatalf("the shared root is writable from inside UML: %q", out)
	}
}

// TestRealACAnswersDiscovery runs our pppoe.Client discovery over a raw
// socket against rp-pppoe's pppoe-server: PADI -> PADO -> PADR -> PADS,
// then PADT, which the AC must accept (its pppd exits).
func TestRealACAnswersDiscovery(t *testing.T) {
	ac := Start(t, PAP)
	var conn *hostnet.PacketConn
	if err := hostnet.InNamespace(ac.ClientNS.Name, func() error {
		var err error
		conn, err = hostnet.OpenPacketConn(ClientIf, pppoe.EtherTypeDiscovery)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local, _ := pppoe.MACFrom(conn.HardwareAddr())
	c := pppoe.NewClient(pppoe.ClientConfig{LocalMAC: local, ServiceName: ServiceName, ACName: ACName})
	send := func() {
		for _, f := range c.Output() {
			frame := append(append(append([]byte{}, f.Dst[:]...), local[:]...), 0x88, 0x63)
			if err := conn.WriteFrame(append(frame, f.Payload...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.Start(time.Now())
	send()
	var events []pppoe.Event
	buf := make([]byte, 1600)
	deadline := time.Now().Add(30 * time.Second)
	for c.State() == pppoe.ClientDiscover || c.State() == pppoe.ClientRequest {
		if time.Now().After(deadline) {
			t.Fatalf("discovery stuck in %v; events %+v", c.State(), events)
		}
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.ReadFrame(buf)
		if err == nil && n >= 14 {
			var src pppoe.MAC
			copy(src[:], buf[6:12])
			c.Input(time.Now(), src, buf[14:n])
		}
		c.Tick(time.Now())
		send()
		events = append(events, c.Events()...)
	}
	last := events[len(events)-1]
	if c.State() != pppoe.ClientSession || last.Kind != pppoe.EventSession || last.ACName != ACName || last.ServiceName != ServiceName {
		t.Fatalf("state %v, events %+v", c.State(), events)
	}
	if !netnstest.WaitFor(10*time.Second, func() bool { out, _ := ac.Ctl("pidof pppd"); return strings.Contains(out, "rc=0") }) {
		t.Fatal("no pppd started for the session")
	}
	c.Close(time.Now(), "test done")
	send()
	if !netnstest.WaitFor(20*time.Second, func() bool { out, _ := ac.Ctl("pidof pppd"); return strings.Contains(out, "rc=1") }) {
		t.Fatal("pppd still runs after our PADT")
	}
}
