package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestDoctorHostFirewall puts a dropping nftables base chain of the host's
// own (as ufw's default deny does) in front of a web server in a namespace
// whose visitor link is named like the PPPoE TUN, next to a dropping
// `inet dualpath` table (ours, ignored). doctor's host.firewall must agree
// with the kernel: blocked when a visitor's connection times out, open
// once the exact rule it prints is added.
func TestDoctorHostFirewall(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "python3")
	srv := netnstest.New(t, "fw")
	visitor := netnstest.New(t, "vis")
	netnstest.Veth(t, srv, "dp-ppp0", visitor, "eth0")
	srv.MustRun("ip", "addr", "add", "10.9.0.1/24", "dev", "dp-ppp0")
	visitor.MustRun("ip", "addr", "add", "10.9.0.2/24", "dev", "eth0")
	srv.MustRun("ip", "link", "set", "lo", "up")
	web := srv.Start("python3", "-m", "http.server", "80", "--bind", "10.9.0.1")
	defer web.Kill()
	reach := func() bool {
		_, err := visitor.Run("timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/10.9.0.1/80")
		return err == nil
	}
	if !netnstest.WaitFor(5*time.Second, reach) {
		t.Fatal("web server not reachable before any firewall")
	}
	srv.MustRun("nft", "add table inet hostfw")
	srv.MustRun("nft", "add chain inet hostfw input { type filter hook input priority 0; policy drop; }")
	srv.MustRun("nft", "add rule inet hostfw input iifname lo accept")
	srv.MustRun("nft", "add rule inet hostfw input ct state established,related accept")
	srv.MustRun("nft", "add table inet "+hostnetFirewallTable) // ours: ignored
	srv.MustRun("nft", "add chain inet "+hostnetFirewallTable+" input { type filter hook input priority 0; policy drop; }")
	srv.MustRun("nft", "add rule inet "+hostnetFirewallTable+" input tcp dport 80 accept")
	if reach() {
		t.Fatal("the dropping chain does not drop")
	}

	cfg := filepath.Join(t.TempDir(), "dualpath.yaml")
	if err := os.WriteFile(cfg, []byte("interface: dp-ppp0\npppoe:\n  username: u@example.jp\n  password_file: /nonexistent\nexpose:\n  tcp: [80, 443]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	only := "DP_DOCTOR_ONLY=host.firewall"
	r := runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.firewall", Fail, "80 by inet hostfw input (policy drop)", "443 by inet hostfw input")
	fix := r.byID["host.firewall"].Fix
	want := `nft insert rule inet hostfw input iifname "dp-ppp0" tcp dport 80 accept`
	if !strings.Contains(fix, want) {
		t.Fatalf("fix %q lacks %q", fix, want)
	}
	// Apply the printed fix for port 80 as a user would.
	srv.MustRun("sh", "-c", want)
	if !netnstest.WaitFor(3*time.Second, reach) {
		t.Fatal("the printed fix does not open port 80")
	}
	r = runDoctorIn(t, srv, cfg, "", "ja_JP.UTF-8", only)
	r.expect(t, "host.firewall", Fail, "443（inet hostfw input (policy drop) で破棄）")
	if c := r.byID["host.firewall"]; strings.Contains(c.Summary, "80（") || !strings.Contains(c.Fix, "tcp dport 443 accept") {
		t.Errorf("after the fix for 80: %s / %s", c.Summary, c.Fix)
	}
	srv.MustRun("nft", "delete table inet hostfw")
	r = runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.firewall", OK, "ports 80, 443 pass", "no other firewall")
}
