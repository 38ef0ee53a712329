package mapepath

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/portprobe"
)

// A server that holds the public address itself (as on dp-ppp0) and a
// gateway that answers for it (standing in for MAP-E, the ISP and the
// PPPoE session coming back): the probe leaves by the gateway, not by the
// server's loopback, and reads open, closed and filtered from the answers.
func TestProbeByTheGateway(t *testing.T) {
	netnstest.RequireCommand(t, "python3", "nft")
	srv, gw := netnstest.New(t, "srv"), netnstest.New(t, "gw")
	netnstest.Veth(t, srv, "eth0", gw, "lan0")
	srv.MustRun("ip", "addr", "add", "192.168.1.10/24", "dev", "eth0")
	srv.MustRun("ip", "route", "add", "default", "via", "192.168.1.1")
	srv.MustRun("ip", "addr", "add", "203.0.113.7/32", "dev", "lo") // the server's own copy (dp-ppp0's)
	gw.MustRun("ip", "addr", "add", "192.168.1.1/24", "dev", "lan0")
	gw.MustRun("ip", "addr", "add", "203.0.113.7/32", "dev", "lo")
	// A service on 80 at the gateway's copy of the address; 81 dropped
	// (filtered); 82 nothing (closed: a reset). Nothing listens on the
	// server's own copy: a connection looped back inside the server would
	// find 80 closed, so "open" proves the probe went by the gateway.
	web := gw.Start("python3", "-m", "http.server", "80", "--bind", "203.0.113.7")
	defer web.Kill()
	rules := filepath.Join(t.TempDir(), "drop.nft")
	os.WriteFile(rules, []byte("table inet t {\n chain in {\n  type filter hook input priority 0; policy accept;\n  tcp dport 81 drop\n }\n}\n"), 0o644)
	gw.MustRun("nft", "-f", rules)
	if !netnstest.WaitFor(10*time.Second, func() bool {
		out, _ := gw.Run("ss", "-ltnH", "sport = :80")
		return out != ""
	}) {
		t.Fatalf("the test service did not start:\n%s", web.Output())
	}
	var res []portprobe.Result
	var path, via Path
	err := hostnet.InNamespace(srv.Name, func() error {
		var err error
		// PathVia resolves the gateway's MAC itself (two-router mode's
		// IPoE router need not be in the neighbour table yet); then the
		// default route's path finds it there.
		if via, err = PathVia(netip.MustParseAddr("192.168.1.1")); err != nil {
			return err
		}
		if path, err = DefaultPath(); err != nil {
			return err
		}
		res, err = Probe(context.Background(), path, netip.MustParseAddr("203.0.113.7"), []uint16{80, 81, 82}, 2*time.Second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if path.Interface != "eth0" || path.Src != netip.MustParseAddr("192.168.1.10") || path.Gateway != netip.MustParseAddr("192.168.1.1") {
		t.Errorf("path %+v", path)
	}
	if via.Interface != path.Interface || via.Src != path.Src || via.GwMAC.String() != path.GwMAC.String() {
		t.Errorf("PathVia %+v, want the default route's %+v", via, path)
	}
	want := []portprobe.State{portprobe.Open, portprobe.Filtered, portprobe.Closed}
	for i, r := range res {
		if r.Port != []uint16{80, 81, 82}[i] || r.State != want[i] {
			t.Errorf("port %d: %s (%s), want %s", r.Port, r.State, r.Detail, want[i])
		}
	}
}
