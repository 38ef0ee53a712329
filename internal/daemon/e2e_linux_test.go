package daemon

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/ddns/providersim"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
)

// TestEndToEndAgainstPppd runs `dualpath run` in the client namespace of a
// real pppd + rp-pppoe access concentrator (User-Mode Linux): the session
// comes up, replies from its address are policy-routed, the DNS record
// follows it (a dyndns2 service built from its documentation), and a scan
// from the AC side finds only the configured port open. SIGTERM ends the
// session with PADT and leaves the namespace as found; SIGKILL then a
// restart cleans up and the session comes back.
func TestEndToEndAgainstPppd(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "curl")
	ac := umlac.Start(t, umlac.PAP)
	ns := ac.ClientNS
	before := hostState(t, ns)

	// Servers on the client: one port exposed, two not.
	ports := []int{8080, 8081, 2222}
	for _, p := range ports {
		var ln net.Listener
		if err := hostnet.InNamespace(ns.Name, func() error {
			var err error
			ln, err = net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", p))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func(p int) {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				fmt.Fprintf(c, "open-%d\n", p)
				c.Close()
			}
		}(p)
	}

	// A dyndns2 service on the client's loopback.
	const dynUser, dynPass, host = "dynuser", "dyn-Secret-0815", "www.example.net"
	dyn := providersim.NewDynDNS2(dynUser, dynPass, host)
	var dynLn net.Listener
	if err := hostnet.InNamespace(ns.Name, func() error {
		var err error
		dynLn, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: dyn}
	go srv.Serve(dynLn)
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	dynPassFile := filepath.Join(dir, "dyn.pass")
	if err := os.WriteFile(dynPassFile, []byte(dynPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf(`ddns:
  - provider: dyndns2
    name: %s
    username: %s
    password_file: %s
    base_url: http://%s
    ipv4: pppoe
`, host, dynUser, dynPassFile, dynLn.Addr())
	cfg, socket := daemonConfig{dir: dir, iface: umlac.ClientIf, password: ac.Password, extra: extra}.write(t)
	// The lab AC's user name.
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "username: dpuser", "username: "+ac.Username, 1)), 0o644)

	d := startDaemon(t, ns, cfg, socket)
	if _, err := ns.Run("nft", "list", "table", "inet", "dualpath"); err != nil {
		t.Fatalf("no firewall at READY: %v", err)
	}
	addr := waitUp(t, d)
	t.Logf("session up with %s", addr)

	// Policy routing: replies from the session address use table 4242.
	if out := ns.MustRun("ip", "rule"); !strings.Contains(out, "from "+addr+" lookup 4242") {
		t.Errorf("rules:\n%s", out)
	}
	// DNS: the record carries the session address.
	if !netnstest.WaitFor(30*time.Second, func() bool {
		for _, a := range dyn.Record(host) {
			if a.String() == addr {
				return true
			}
		}
		return false
	}) {
		t.Errorf("dyndns2 record %v, want %s; daemon output:\n%s", dyn.Record(host), addr, d.proc.Output())
	}
	if !netnstest.WaitFor(10*time.Second, func() bool {
		s := d.status()
		return len(s.DNS) == 1 && s.DNS[0].Value == addr && s.DNS[0].LastUpdate != nil
	}) {
		t.Errorf("status DNS: %+v", d.status().DNS)
	}

	// Control: every server answers locally, so only the firewall can make
	// a port look closed from outside.
	for _, p := range ports {
		var got string
		if err := hostnet.InNamespace(ns.Name, func() error {
			c, err := net.DialTimeout("tcp4", fmt.Sprintf("%s:%d", addr, p), 3*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			buf := make([]byte, 32)
			n, _ := c.Read(buf)
			got = string(buf[:n])
			return nil
		}); err != nil || !strings.Contains(got, fmt.Sprintf("open-%d", p)) {
			t.Fatalf("local connect to %s:%d: %v %q", addr, p, err, got)
		}
	}
	// From the AC side: only 8080 answers; ping is allowed.
	for _, p := range ports {
		out, _ := ac.Ctl(fmt.Sprintf("nc -w 3 %s %d </dev/null", addr, p))
		open := strings.Contains(out, fmt.Sprintf("open-%d", p))
		t.Logf("scan from the AC: %s:%d open=%v", addr, p, open)
		if open != (p == 8080) {
			t.Errorf("port %d seen from the AC: open=%v (%q)", p, open, out)
		}
	}
	ac.MustCtl("ping -c 1 -W 5 " + addr)

	// What a person and a scraper see, and no secret in any of it.
	text, _ := exec.Command(dualpathBinary(t), "status", "--socket", socket).CombinedOutput()
	js, _ := exec.Command(dualpathBinary(t), "status", "--json", "--socket", socket).CombinedOutput()
	if !strings.Contains(string(text), "session:  up on dp-ppp0 via "+umlac.ClientIf+", address "+addr) ||
		!strings.Contains(string(text), "dyndns2 "+host+" A = "+addr+" from pppoe") {
		t.Errorf("dualpath status:\n%s", text)
	}
	var metrics string
	if !netnstest.WaitFor(10*time.Second, func() bool {
		metrics = ns.MustRun("curl", "-sS", "http://127.0.0.1:9842/metrics")
		return strings.Contains(metrics, `dualpath_ddns_updates_total{provider="dyndns2"} 1`)
	}) {
		t.Errorf("metrics lack the DNS update:\n%s", metrics)
	}
	for _, want := range []string{"dualpath_session_up 1", `dualpath_session_packets_total{direction="rx"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The connections and the ping above went through the session's data
	// plane, whose own counters the metrics read.
	for _, dir := range []string{"rx", "tx"} {
		var n float64
		for _, l := range strings.Split(metrics, "\n") {
			if v, ok := strings.CutPrefix(l, `dualpath_session_packets_total{direction="`+dir+`"} `); ok {
				fmt.Sscan(v, &n)
			}
		}
		if n < 1 {
			t.Errorf("session %s packets %v after traffic through it, want at least 1", dir, n)
		}
	}

	d.stop(syscall.SIGTERM)
	if !netnstest.WaitFor(20*time.Second, func() bool { o, _ := ac.Ctl("pidof pppd"); return strings.Contains(o, "rc=1") }) {
		t.Error("pppd still runs after SIGTERM: no PADT reached the AC")
	}
	if after := hostState(t, ns); after != before {
		t.Errorf("SIGTERM did not leave the namespace as found.\nbefore:\n%s\nafter:\n%s", before, after)
	}
	logs := d.proc.Output()

	// SIGKILL, then a restart cleans up and the session comes back.
	d2 := startDaemon(t, ns, cfg, socket)
	waitUp(t, d2)
	d2.stop(syscall.SIGKILL)
	if out := ns.MustRun("ip", "rule"); !strings.Contains(out, "lookup 4242") {
		t.Fatalf("test premise: the killed daemon's rule should remain:\n%s", out)
	}
	d3 := startDaemon(t, ns, cfg, socket)
	addr3 := waitUp(t, d3)
	out := d3.proc.Output()
	t.Logf("restart after SIGKILL: session up again with %s", addr3)
	if !strings.Contains(out, "removed leftovers of an unclean exit") || !strings.Contains(out, "PADT for stale session") {
		t.Errorf("restart after SIGKILL did not report its clean-up:\n%s", out)
	}
	if rules := ns.MustRun("ip", "rule"); strings.Count(rules, "lookup 4242") != 1 || !strings.Contains(rules, "from "+addr3+" lookup 4242") {
		t.Errorf("rules after restart:\n%s", rules)
	}
	d3.stop(syscall.SIGTERM)
	if after := hostState(t, ns); after != before {
		t.Errorf("not as found after SIGKILL, restart, SIGTERM.\nbefore:\n%s\nafter:\n%s", before, after)
	}
	logs += d2.proc.Output() + d3.proc.Output()
	for what, s := range map[string]string{"logs": logs, "status": string(text), "status --json": string(js), "metrics": metrics} {
		for _, secret := range []string{ac.Password, dynPass} {
			if strings.Contains(s, secret) {
				t.Errorf("a secret appears in the %s", what)
			}
		}
	}
}

// waitUp waits for the session to be up and returns its address.
func waitUp(t *testing.T, d *testDaemon) string {
	t.Helper()
	var addr string
	if !netnstest.WaitFor(90*time.Second, func() bool {
		s, err := QueryStatus(t.Context(), d.socket)
		if err == nil && s.Session.State == StateUp {
			addr = s.Session.Address
			return true
		}
		return false
	}) {
		t.Fatalf("session not up within 90 s; daemon output:\n%s", d.proc.Output())
	}
	return addr
}
