package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/dualpath/dualpath/internal/config"
)

// The server's tunnel config is one dualpath's own loader accepts, and
// the end point it gives is the one the lab's BR is provisioned with.
func TestTunnelServerConfigIsValid(t *testing.T) {
	dir := t.TempDir()
	l := &Lab{Prefix: "dpl-", Dir: dir, Scenario: ScenarioIPIPFixed}
	for _, f := range []string{"fixed.pass", "mydns.pass", "probe.token"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := l.writeTunnelServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	ep, _ := c.Tunnel.Endpoint(RouterLAN6)
	if ep != FixedEndpoint(RouterLAN6) || ep != netip.MustParseAddr("2001:db8:105:1200::fe01") {
		t.Errorf("end point %v", ep)
	}
	if c.Tunnel.IPv4Block() != FixedBlock || c.Tunnel.BRAddr() != FixedBR {
		t.Errorf("tunnel %+v", c.Tunnel)
	}
	if FixedBlock.Overlaps(PPPoEPool) || FixedBlock.Overlaps(MAPEIPv4Prefix) || FixedBlock.Overlaps(Inet4ISP.Masked()) {
		t.Error("the fixed block overlaps another part of the lab's address plan")
	}
}
