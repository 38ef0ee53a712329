package ddns

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestMyDNSTwoPaths builds the article's house in namespaces:
//
//	srv (the server) --lan0-- rtr (IPoE router: SNAT to 198.51.100.1, stands
//	for the MAP-E shared address) --wan0-- inet (fake MyDNS on 192.0.2.80 and
//	2001:db8:ffff::80)
//	srv --ppp0-- inet: the PPPoE path, 203.0.113.7/32 on ppp0 with
//	"ip rule from 203.0.113.7 lookup 4242" and "default dev ppp0" in 4242.
//
// lan0 carries a stable IPv6 address, a deprecated one and kernel-made
// temporary ones (use_tempaddr=2, which the kernel also prefers as source).
// The updater runs in srv; MyDNS must record the PPPoE address for A and the
// stable address for AAAA.
func TestMyDNSTwoPaths(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	srv := netnstest.New(t, "srv")
	rtr := netnstest.New(t, "rtr")
	inet := netnstest.New(t, "inet")
	netnstest.Veth(t, srv, "lan0", rtr, "lan0")
	netnstest.Veth(t, rtr, "wan0", inet, "a0")
	netnstest.Veth(t, srv, "ppp0", inet, "p0")

	rtr.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	rtr.MustRun("ip", "addr", "add", "192.168.1.1/24", "dev", "lan0")
	rtr.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::1/64", "dev", "lan0", "nodad")
	rtr.MustRun("ip", "addr", "add", "198.51.100.1/24", "dev", "wan0")
	rtr.MustRun("ip", "-6", "addr", "add", "2001:db8:ff::1/64", "dev", "wan0", "nodad")
	rtr.MustRun("ip", "route", "add", "default", "via", "198.51.100.2")
	rtr.MustRun("ip", "-6", "route", "add", "default", "via", "2001:db8:ff::2")
	rtr.MustRun("nft", "add table ip nat; add chain ip nat post { type nat hook postrouting priority 100; }; add rule ip nat post oifname wan0 snat to 198.51.100.1")

	inet.MustRun("ip", "addr", "add", "198.51.100.2/24", "dev", "a0")
	inet.MustRun("ip", "-6", "addr", "add", "2001:db8:ff::2/64", "dev", "a0", "nodad")
	inet.MustRun("ip", "addr", "add", "192.0.2.80/32", "dev", "lo")
	inet.MustRun("ip", "-6", "addr", "add", "2001:db8:ffff::80/128", "dev", "lo")
	inet.MustRun("ip", "route", "add", "203.0.113.7/32", "dev", "p0")
	inet.MustRun("ip", "-6", "route", "add", "2001:db8:1:1::/64", "via", "2001:db8:ff::1")

	srv.MustRun("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2", "net.ipv4.conf.ppp0.rp_filter=2", "net.ipv6.conf.lan0.use_tempaddr=2")
	srv.MustRun("ip", "addr", "add", "192.168.1.10/24", "dev", "lan0")
	srv.MustRun("ip", "route", "add", "default", "via", "192.168.1.1")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::10/64", "dev", "lan0", "nodad")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::dead/64", "dev", "lan0", "nodad", "preferred_lft", "0", "valid_lft", "3600")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::20/64", "dev", "lan0", "nodad", "mngtmpaddr", "preferred_lft", "7200", "valid_lft", "7200")
	srv.MustRun("ip", "-6", "route", "add", "default", "via", "2001:db8:1:1::1")
	srv.MustRun("ip", "addr", "add", "203.0.113.7/32", "dev", "ppp0")
	srv.MustRun("ip", "rule", "add", "from", "203.0.113.7", "lookup", "4242")
	srv.MustRun("ip", "route", "add", "default", "dev", "ppp0", "table", "4242")

	// A temporary address must exist (and be past DAD) for the test to mean something.
	var temp string
	if !netnstest.WaitFor(10*time.Second, func() bool {
		out, _ := srv.Run("ip", "-6", "-o", "addr", "show", "dev", "lan0", "temporary")
		temp = out
		return strings.Contains(out, "2001:db8:1:1:") && !strings.Contains(out, "tentative")
	}) {
		t.Fatalf("the kernel made no temporary address: %q", temp)
	}
	tempAddr := strings.Split(strings.Fields(temp)[3], "/")[0]

	dir := t.TempDir()
	stateFile := filepath.Join(dir, "mydns.json")
	server := inet.Command(os.Args[0], "-test.run=^$")
	server.Env = append(os.Environ(), helperEnv+"=mydns-server", "HELPER_ACCOUNTS=mydns123456:"+secretPW+",mydns777:"+secretPW,
		"HELPER_LISTEN=192.0.2.80:80,[2001:db8:ffff::80]:80", "HELPER_OUT="+stateFile)
	var serverLog logBuf
	server.Stdout, server.Stderr = &serverLog, &serverLog
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	if !netnstest.WaitFor(10*time.Second, func() bool { _, err := os.Stat(stateFile); return err == nil }) {
		t.Fatalf("fake MyDNS did not start: %s", serverLog.String())
	}

	// Control: without binding, IPv4 leaves by the IPoE router (SNAT), and
	// IPv6 from the kernel's preferred (temporary) source.
	who4 := strings.TrimSpace(srv.MustRun("busybox", "wget", "-qO-", "http://192.0.2.80/whoami"))
	if who4 != "198.51.100.1" {
		t.Fatalf("unbound IPv4 request came from %q, want the shared address 198.51.100.1", who4)
	}
	who6 := strings.TrimSpace(srv.MustRun("busybox", "wget", "-qO-", "http://[2001:db8:ffff::80]/whoami"))
	t.Logf("unbound IPv6 request came from %s (temporary %s)", who6, tempAddr)
	if who6 == "2001:db8:1:1::10" {
		t.Fatalf("unbound IPv6 request already came from the stable address: the control proves nothing (want a temporary one such as %s)", tempAddr)
	}

	pw := writeSecret(t, dir, "mydns.pass", secretPW)
	cfgPath := filepath.Join(dir, "dualpath.yaml")
	cfgText := fmt.Sprintf(`interface: lan0
pppoe:
  username: u@example.jp
  tun: ppp0
ddns:
  - provider: mydns
    username: mydns123456
    password_file: %s
    ipv4: pppoe
    ipv6: interface:lan0
    ipv4_url: http://192.0.2.80/login.html
    ipv6_url: http://[2001:db8:ffff::80]/login.html
  - provider: mydns
    username: mydns777
    password_file: %s
    direct_ip: true
    base_url: http://192.0.2.80
    ipv4: http:http://192.0.2.80/whoami
`, pw, pw)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	upd := srv.Command(os.Args[0], "-test.run=^$")
	upd.Env = append(os.Environ(), helperEnv+"=ddns-once", "HELPER_CONFIG="+cfgPath)
	var stdout, stderr logBuf
	upd.Stdout, upd.Stderr = &stdout, &stderr
	if err := upd.Run(); err != nil {
		t.Fatalf("updater: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), secretPW) {
		t.Fatal("updater output leaks the password")
	}

	var st helperState
	b, _ := os.ReadFile(stateFile)
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	rec := st.Records["mydns123456"]
	if got := rec.IPv4.String(); got != "203.0.113.7" {
		t.Errorf("MyDNS recorded A %s, want the PPPoE address 203.0.113.7 (requests %+v)", got, st.Requests)
	}
	if got := rec.IPv6.String(); got != "2001:db8:1:1::10" {
		t.Errorf("MyDNS recorded AAAA %s, want the stable 2001:db8:1:1::10 (temporary %s)", got, tempAddr)
	}
	// The http: source asked the echo service through the PPPoE path.
	if got := st.Records["mydns777"].IPv4.String(); got != "203.0.113.7" {
		t.Errorf("http: echo source gave %s, want the PPPoE-path address 203.0.113.7", got)
	}
	for _, r := range st.Requests {
		if r.Path == "/directip.html" {
			continue // sent by the default route on purpose: the address is in the query
		}
		if !r.OK || r.User != "mydns123456" {
			t.Errorf("request %+v not accepted", r)
		}
		if r.Source.String() == tempAddr || r.Source.String() == "2001:db8:1:1::dead" || r.Source.String() == "198.51.100.1" {
			t.Errorf("a notification came from %s", r.Source)
		}
	}
	var status []RecordStatus
	if err := json.Unmarshal([]byte(stdout.String()), &status); err != nil || len(status) != 2 ||
		status[0].IPv4 != "203.0.113.7" || status[0].IPv6 != "2001:db8:1:1::10" {
		t.Errorf("status %s (%v)", stdout.String(), err)
	}
}
