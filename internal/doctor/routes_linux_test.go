package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/termtext"
)

// TestDoctorDefaultRoutes builds the article's LAN (IPoE router .1, PPPoE
// router .2, server .10) and points the server's default routes in turn
// the right way for two-routers mode, twice for IPv4 (the merged netplan
// files), and at the wrong router: host.default-routes must say where each
// points, naming the IPv6 router by its MAC.
func TestDoctorDefaultRoutes(t *testing.T) {
	l := netnstest.NewLAN(t)
	ipoe := l.Host("ipoe", "192.168.1.1/24")
	pppoeR := l.Host("pppoe", "192.168.1.2/24")
	srv := l.Host("srv", "192.168.1.10/24")
	ll := func(ns *netnstest.NS) string {
		var addr string
		netnstest.WaitFor(5*time.Second, func() bool {
			out, _ := ns.Run("ip", "-6", "addr", "show", "dev", "eth0", "scope", "link")
			for _, f := range strings.Fields(out) {
				if strings.HasPrefix(f, "fe80::") && !strings.Contains(out, "tentative") {
					addr, _, _ = strings.Cut(f, "/")
				}
			}
			return addr != ""
		})
		if addr == "" {
			t.Fatalf("no link-local address in %s", ns.Name)
		}
		return addr
	}
	ipoeLL, pppoeLL := ll(ipoe), ll(pppoeR)
	ll(srv)
	// Fill the neighbour table as traffic would.
	fill := func() {
		for _, a := range []string{"192.168.1.1", "192.168.1.2", ipoeLL + "%eth0", pppoeLL + "%eth0"} {
			if !netnstest.WaitFor(10*time.Second, func() bool { _, err := srv.Run("ping", "-c1", "-W1", a); return err == nil }) {
				t.Fatalf("%s does not answer", a)
			}
		}
	}
	srv.MustRun("ip", "route", "add", "default", "via", "192.168.1.2")
	srv.MustRun("ip", "-6", "route", "add", "default", "via", ipoeLL, "dev", "eth0")
	fill()

	cfg := filepath.Join(t.TempDir(), "dualpath.yaml")
	if err := os.WriteFile(cfg, []byte("interface: eth0\nplan:\n  mode: two-routers\n  subnet: 192.168.1.0/24\n  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n  pppoe_router: 192.168.1.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	only := "DP_DOCTOR_ONLY=host.default-routes"
	r := runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.default-routes", OK, "IPv4 via 192.168.1.2 on eth0 (the PPPoE router, "+macOf(t, pppoeR)+")",
		"IPv6 via "+ipoeLL+" on eth0 ("+macOf(t, ipoe)+": the IPoE router, by MAC)")

	// The article's merged netplan: a second IPv4 default route.
	srv.MustRun("ip", "route", "append", "default", "via", "192.168.1.1", "metric", "100")
	r = runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.default-routes", Warn, "2 IPv4 default routes", "192.168.1.1 on eth0 (the IPoE router")

	// IPv4 to the wrong router for two-routers mode, IPv6 to the PPPoE router.
	srv.MustRun("ip", "route", "del", "default", "via", "192.168.1.2")
	srv.MustRun("ip", "-6", "route", "replace", "default", "via", pppoeLL, "dev", "eth0")
	r = runDoctorIn(t, srv, cfg, "", "ja_JP.UTF-8", only)
	r.expect(t, "host.default-routes", Fail, "IPv4 は eth0 の 192.168.1.1 経由（IPoE ルータ", "MAC から PPPoE ルータ")
	if c := r.byID["host.default-routes"]; !strings.Contains(c.Fix, "PPPoE ルータ（192.168.1.2）") {
		t.Errorf("fix: %s", c.Fix)
	}
	for i, line := range strings.Split(strings.TrimRight(r.Text, "\n"), "\n") {
		if w := termtext.DisplayWidth(line); w > Width {
			t.Errorf("line %d is %d columns: %q", i+1, w, line)
		}
	}
	if r.Code != 1 {
		t.Errorf("exit code %d, want 1", r.Code)
	}
}
