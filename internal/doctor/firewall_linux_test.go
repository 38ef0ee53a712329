package doctor

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// webBehindFirewall is a namespace with a web server on port 80 whose
// visitor link is named like the PPPoE TUN, the visitor's namespace, and a
// config exposing 80 and 443 there.
func webBehindFirewall(t *testing.T) (srv *netnstest.NS, reach func() bool, cfg string) {
	t.Helper()
	srv = netnstest.New(t, "fw")
	visitor := netnstest.New(t, "vis")
	netnstest.Veth(t, srv, "dp-ppp0", visitor, "eth0")
	srv.MustRun("ip", "addr", "add", "10.9.0.1/24", "dev", "dp-ppp0")
	visitor.MustRun("ip", "addr", "add", "10.9.0.2/24", "dev", "eth0")
	srv.MustRun("ip", "link", "set", "lo", "up")
	web := srv.Start("python3", "-m", "http.server", "80", "--bind", "10.9.0.1")
	t.Cleanup(web.Kill)
	reach = func() bool {
		_, err := visitor.Run("timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/10.9.0.1/80")
		return err == nil
	}
	if !netnstest.WaitFor(5*time.Second, reach) {
		t.Fatal("web server not reachable before any firewall")
	}
	cfg = filepath.Join(t.TempDir(), "dualpath.yaml")
	if err := os.WriteFile(cfg, []byte("interface: dp-ppp0\npppoe:\n  username: u@example.jp\n  password_file: /nonexistent\nexpose:\n  tcp: [80, 443]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, reach, cfg
}

// TestDoctorRealUFW enables the real ufw (Debian's package, iptables-nft
// backend) inside a namespace, with its files bind-mounted from copies for
// that one command (ip netns exec gives each command its own mount
// namespace, so the machine's /etc/ufw is never written), then runs the
// `ufw allow` line doctor prints.
func TestDoctorRealUFW(t *testing.T) {
	netnstest.RequireCommand(t, "ufw", "nft", "python3")
	srv, reach, cfg := webBehindFirewall(t)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", "/etc/ufw", filepath.Join(dir, "etc-ufw")).CombinedOutput(); err != nil {
		t.Fatalf("copy /etc/ufw: %v %s", err, out)
	}
	def, err := os.ReadFile("/etc/default/ufw")
	if err != nil {
		t.Fatal(err)
	}
	// No sysctls from ufw: the test changes only the namespace's firewall.
	def = []byte(regexp.MustCompile(`(?m)^IPT_SYSCTL=.*$`).ReplaceAllString(string(def), "IPT_SYSCTL="))
	if err := os.WriteFile(filepath.Join(dir, "default-ufw"), def, 0o644); err != nil {
		t.Fatal(err)
	}
	ufw := func(args string) string {
		return srv.MustRun("sh", "-c", "set -e; mount --bind "+filepath.Join(dir, "etc-ufw")+" /etc/ufw; mount --bind "+
			filepath.Join(dir, "default-ufw")+" /etc/default/ufw; ufw "+args)
	}
	ufw("--force enable")
	if reach() {
		t.Fatal("ufw's default deny does not drop")
	}
	only := "DP_DOCTOR_ONLY=host.firewall"
	r := runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.firewall", Fail, "80 by ip filter INPUT (policy drop)")
	want := "ufw allow in on dp-ppp0 to any port 80 proto tcp"
	fix := r.byID["host.firewall"].Fix
	if !strings.Contains(fix, want) || !strings.Contains(fix, "ufw allow in on dp-ppp0 to any port 443 proto tcp") || r.byID["host.firewall"].Details["ufw"] != true {
		t.Fatalf("fix %q", fix)
	}
	ufw(strings.TrimPrefix(want, "ufw "))
	if !netnstest.WaitFor(3*time.Second, reach) {
		t.Fatal("the printed ufw line does not open port 80")
	}
	r = runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.firewall", Fail, "443 by ip filter INPUT")
	if c := r.byID["host.firewall"]; strings.Contains(c.Summary, "80 by") {
		t.Errorf("80 still reported blocked: %s", c.Summary)
	}
	ufw("allow in on dp-ppp0 to any port 443 proto tcp")
	r = runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.firewall", OK, "ports 80, 443 pass", "ufw allows them")
}

// TestDoctorIptablesLegacy: a legacy iptables INPUT policy drop, read
// through iptables-legacy-save; the printed iptables line opens the port.
func TestDoctorIptablesLegacy(t *testing.T) {
	netnstest.RequireCommand(t, "iptables-legacy", "iptables-legacy-save", "python3")
	srv, reach, cfg := webBehindFirewall(t)
	if _, err := srv.Run("iptables-legacy", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"); err != nil {
		t.Skipf("legacy iptables unavailable in this kernel: %v", err)
	}
	srv.MustRun("iptables-legacy", "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
	srv.MustRun("iptables-legacy", "-P", "INPUT", "DROP")
	if reach() {
		t.Fatal("the legacy policy does not drop")
	}
	only := "DP_DOCTOR_ONLY=host.firewall"
	r := runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.firewall", Fail, "80 by ip filter INPUT (policy drop)")
	want := "iptables -I INPUT -i dp-ppp0 -p tcp --dport 80 -j ACCEPT"
	if fix := r.byID["host.firewall"].Fix; !strings.Contains(fix, want) {
		t.Fatalf("fix %q lacks %q", fix, want)
	}
	srv.MustRun("sh", "-c", strings.Replace(want, "iptables", "iptables-legacy", 1))
	if !netnstest.WaitFor(3*time.Second, reach) {
		t.Fatal("the printed iptables line does not open port 80")
	}
	r = runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.firewall", Fail, "443 by ip filter INPUT")
}
