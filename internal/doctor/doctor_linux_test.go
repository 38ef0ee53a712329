package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/termtext"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/netnstest"
)

// The namespace tests build a LAN (a bridge in a switch namespace), put real
// peers on it (dnsmasq as DHCP server and IPv6 router, rp-pppoe's
// pppoe-server as the line's AC, plain namespaces as routers holding an
// address) and run doctor's checks inside the server's namespace: the test
// binary re-runs itself there (TestMain below), because doctor's checks run
// on many goroutines and a namespace belongs to a thread.

func TestMain(m *testing.M) {
	if os.Getenv("DP_DOCTOR_CHILD") == "1" {
		os.Exit(doctorChild())
	}
	os.Exit(m.Run())
}

// doctorChild runs in the server namespace: it opens the listeners named in
// DP_DOCTOR_LISTEN ("80:tcp4,443:dual"; UDP: "53:udp4", "53:udp6only",
// "53:udpdual"), runs every check and prints the JSON report, a line
// "--TEXT--", and the text report.
func doctorChild() int {
	for _, spec := range strings.Split(os.Getenv("DP_DOCTOR_LISTEN"), ",") {
		port, kind, ok := strings.Cut(spec, ":")
		if !ok {
			continue
		}
		if network, ok := map[string]string{"udp4": "udp4", "udp6only": "udp6", "udpdual": "udp"}[kind]; ok {
			if _, err := net.ListenPacket(network, ":"+port); err != nil {
				fmt.Fprintln(os.Stderr, "listen:", err)
				return 3
			}
			continue
		}
		network := map[string]string{"tcp4": "tcp4", "v6only": "tcp6", "dual": "tcp"}[kind]
		if _, err := net.Listen(network, ":"+port); err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			return 3
		}
	}
	cfg, err := config.Load(os.Getenv("DP_DOCTOR_CONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	env := NewEnv(cfg, "", 2*time.Second)
	// No DNS in tests: nothing may leave the namespaces.
	env.LookupHost = func(context.Context, string) ([]string, error) { return nil, errors.New("no DNS in tests") }
	checks := Checks(env)
	if only := os.Getenv("DP_DOCTOR_ONLY"); only != "" {
		var keep []Check
		for _, c := range checks {
			if strings.Contains(","+only+",", ","+c.ID()+",") {
				keep = append(keep, c)
			}
		}
		checks = keep
	}
	outs := RunAll(context.Background(), checks)
	lang := msg.FromEnv(os.Getenv)
	_ = WriteJSON(os.Stdout, outs, lang)
	fmt.Println("--TEXT--")
	_ = WriteText(os.Stdout, outs, lang)
	if Failed(outs) {
		return 1
	}
	return 0
}

const hostnetFirewallTable = hostnet.FirewallTable

func startDnsmasq(t *testing.T, ns *netnstest.NS, args ...string) {
	t.Helper()
	dir := t.TempDir()
	base := []string{"--no-daemon", "--conf-file=/dev/null", "--interface=eth0", "--bind-interfaces",
		"--port=0", "--user=root", "--dhcp-leasefile=" + filepath.Join(dir, "leases"),
		"--pid-file=" + filepath.Join(dir, "pid"), "--log-facility=-"}
	ns.Start("dnsmasq", append(base, args...)...)
	if !netnstest.WaitFor(10*time.Second, func() bool {
		out, _ := ns.Run("ss", "-lun")
		return strings.Contains(out, ":67 ")
	}) {
		t.Fatalf("dnsmasq in %s did not start", ns.Name)
	}
}

type report struct {
	JSON JSONReport
	Text string
	Code int
	byID map[string]JSONCheck
}

func runDoctorIn(t *testing.T, ns *netnstest.NS, cfgPath, listen, lang string, extraEnv ...string) report {
	t.Helper()
	cmd := ns.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), extraEnv...), "DP_DOCTOR_CHILD=1", "DP_DOCTOR_CONFIG="+cfgPath, "DP_DOCTOR_LISTEN="+listen,
		"LC_ALL=", "LC_MESSAGES=", "LANG="+lang)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := report{byID: map[string]JSONCheck{}}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("doctor child: %v", err)
	}
	js, text, ok := strings.Cut(out.String(), "--TEXT--\n")
	if !ok || r.Code > 1 {
		t.Fatalf("doctor child (exit %d): %s\n%s", r.Code, out.String(), errb.String())
	}
	if err := json.Unmarshal([]byte(js), &r.JSON); err != nil {
		t.Fatalf("JSON: %v\n%s", err, js)
	}
	for _, c := range r.JSON.Checks {
		r.byID[c.ID] = c
	}
	r.Text = text
	t.Logf("doctor report:\n%s", text)
	return r
}

func (r report) expect(t *testing.T, id string, st Status, subs ...string) {
	t.Helper()
	c, ok := r.byID[id]
	if !ok {
		t.Errorf("no check %s in the report", id)
		return
	}
	if c.Status != st {
		t.Errorf("%s: %v, want %v: %s", id, c.Status, st, c.Summary)
	}
	for _, s := range subs {
		if !strings.Contains(c.Summary, s) {
			t.Errorf("%s: summary lacks %q: %s", id, s, c.Summary)
		}
	}
}

func macOf(t *testing.T, ns *netnstest.NS) string {
	f := strings.Fields(ns.MustRun("ip", "-br", "link", "show", "eth0"))
	if len(f) < 3 {
		t.Fatalf("no MAC: %v", f)
	}
	return f[2]
}

func TestDoctorOnALAN(t *testing.T) {
	netnstest.RequireCommand(t, "dnsmasq", "pppoe-server", "ss")
	l := netnstest.NewLAN(t)
	ipoe := l.Host("ipoe", "192.168.1.1/24", "2001:db8:12:3400::1/64")
	pppoeR := l.Host("pppoe", "192.168.1.2/24")
	srv := l.Host("srv", "192.168.1.10/24")
	netnstest.WaitFor(5*time.Second, func() bool {
		out, _ := ipoe.Run("ip", "-6", "addr", "show", "dev", "eth0", "scope", "link")
		return strings.Contains(out, "fe80") && !strings.Contains(out, "tentative")
	})
	startDnsmasq(t, ipoe, "--dhcp-range=192.168.1.100,192.168.1.200,12h",
		"--enable-ra", "--dhcp-range=::,constructor:eth0,ra-only,64,12h")

	cfg := filepath.Join(t.TempDir(), "dualpath.yaml")
	if err := os.WriteFile(cfg, []byte(`interface: eth0
expose:
  tcp: [80, 443]
plan:
  mode: two-routers
  subnet: 192.168.1.0/24
  server: 192.168.1.10
  ipoe_router: 192.168.1.1
  pppoe_router: 192.168.1.2
  dhcp_range: 192.168.1.100-192.168.1.200
`), 0o644); err != nil {
		t.Fatal(err)
	}

	// A sound LAN, but nginx-style IPv4-only listener on 80; 443 dual-stack.
	r := runDoctorIn(t, srv, cfg, "80:tcp4,443:dual", "C.UTF-8")
	r.expect(t, "lan.plan", OK)
	r.expect(t, "lan.dhcp", OK, "one DHCP server: 192.168.1.1")
	r.expect(t, "lan.addresses", OK)
	r.expect(t, "lan.ipv6-routers", OK, "fe80::")
	r.expect(t, "line.pppoe", Fail, "none")
	r.expect(t, "host.listen.tcp80", Fail, "IPv4 only")
	r.expect(t, "host.listen.tcp443", OK, "dual-stack")
	r.expect(t, "host.daemon", Skip)
	if r.Code != 1 {
		t.Errorf("exit code %d with failures, want 1", r.Code)
	}

	// The article's mistakes: DHCP left on in the PPPoE router, a second
	// device on the IPoE router's address. And the line's AC appears.
	startDnsmasq(t, pppoeR, "--dhcp-range=192.168.1.20,192.168.1.50,12h")
	dup := l.Host("dup", "192.168.1.1/24")
	ac := l.Host("ac")
	ac.MustRun("pppoe-server", "-I", "eth0", "-C", "rlab-ac", "-S", "rlab-svc", "-X", filepath.Join(t.TempDir(), "pid"))
	netnstest.WaitFor(5*time.Second, func() bool {
		out, _ := ac.Run("pgrep", "-x", "pppoe-server")
		return out != ""
	})
	r = runDoctorIn(t, srv, cfg, "80:dual,443:dual", "C.UTF-8")
	r.expect(t, "lan.dhcp", Fail, "2 DHCP servers", "192.168.1.1 ("+macOf(t, ipoe)+")", "192.168.1.2 ("+macOf(t, pppoeR)+")")
	r.expect(t, "lan.addresses", Fail, "192.168.1.1 (plan.ipoe_router) answered by 2 devices", macOf(t, ipoe), macOf(t, dup))
	r.expect(t, "line.pppoe", OK, "PPPoE passthrough works", "rlab-ac", "rlab-svc", macOf(t, ac))
	r.expect(t, "host.listen.tcp80", OK)

	// Same LAN, Japanese locale: Japanese lines, 80 columns.
	r = runDoctorIn(t, srv, cfg, "80:dual,443:dual", "ja_JP.UTF-8")
	if r.JSON.Lang != "ja" || !strings.Contains(r.Text, "DHCP サーバが 2 台応答しています") || !strings.Contains(r.Text, "対処: ") {
		t.Errorf("Japanese report:\n%s", r.Text)
	}
	for i, line := range strings.Split(strings.TrimRight(r.Text, "\n"), "\n") {
		if w := termtext.DisplayWidth(line); w > Width {
			t.Errorf("line %d is %d columns: %q", i+1, w, line)
		}
	}
}

// TestDoctorHostChecks gives the server namespace an OCN Virtual Connect
// (MAP-E) address, a PPPoE TUN with strict rp_filter, and dualpath run's
// traces (status socket, policy rule, table, nft table), then removes the
// firewall: doctor must see each.
func TestDoctorHostChecks(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	srv := netnstest.New(t, "srv")
	peer := netnstest.New(t, "peer")
	netnstest.Veth(t, srv, "eth0", peer, "eth0")
	srv.MustRun("ip", "addr", "add", "2400:4050:1234:5600::10/64", "dev", "eth0", "nodad")
	srv.MustRun("ip", "tuntap", "add", "dp-ppp0", "mode", "tun")
	srv.MustRun("ip", "link", "set", "dp-ppp0", "up")
	srv.MustRun("ip", "addr", "add", "203.0.113.7/32", "dev", "dp-ppp0")
	srv.MustRun("sysctl", "-qw", "net.ipv4.conf.dp-ppp0.rp_filter=1")
	srv.MustRun("ip", "route", "add", "default", "dev", "dp-ppp0", "table", "4242")
	srv.MustRun("ip", "rule", "add", "from", "203.0.113.7", "lookup", "4242")
	srv.MustRun("nft", "add", "table", "inet", hostnetFirewallTable)

	dir := t.TempDir()
	sock := filepath.Join(dir, "status.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := filepath.Join(dir, "dualpath.yaml")
	if err := os.WriteFile(cfg, []byte("interface: eth0\npppoe:\n  username: u@example.jp\n  password_file: /nonexistent\nstatus:\n  socket: "+sock+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	only := "DP_DOCTOR_ONLY=line.ipv6,line.mape,host.rp_filter,host.daemon,host.ipv6-address"
	r := runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "line.ipv6", OK, "2400:4050:1234:5600::10")
	r.expect(t, "line.mape", Warn, "OCN", "shared IPv4", "80/443 impossible over IPv4 via MAP-E; IPv6 has no port limit")
	r.expect(t, "host.rp_filter", Fail, "dp-ppp0")
	r.expect(t, "host.daemon", OK, "table 4242")
	r.expect(t, "host.ipv6-address", OK, "2400:4050:1234:5600::10")

	srv.MustRun("nft", "delete", "table", "inet", hostnetFirewallTable)
	srv.MustRun("sysctl", "-qw", "net.ipv4.conf.dp-ppp0.rp_filter=2")
	r = runDoctorIn(t, srv, cfg, "", "C.UTF-8", only)
	r.expect(t, "host.daemon", Fail, "nft table inet "+hostnetFirewallTable)
	r.expect(t, "host.rp_filter", OK)
}

// TestDoctorUDPListeners binds real UDP sockets in a namespace for the
// config's expose.udp ports and runs doctor's host checks there: an IPv4-only
// socket fails naming the missing IPv6, v4 + v6only sockets and one
// dual-stack socket pass, a port with no socket (or only a TCP listener)
// fails, and without expose.udp there is no UDP check at all.
func TestDoctorUDPListeners(t *testing.T) {
	srv := netnstest.New(t, "udp")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dualpath.yaml")
	if err := os.WriteFile(cfg, []byte("interface: lo\npppoe:\n  username: u@example.jp\n  password_file: /nonexistent\n"+
		"expose:\n  tcp: [80]\n  udp: [53, 51820]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	only := "DP_DOCTOR_ONLY=host.listen.tcp80,host.listen.udp53,host.listen.udp51820"

	r := runDoctorIn(t, srv, cfg, "53:udp4,51820:udp4,51820:udp6only,80:dual", "C.UTF-8", only)
	r.expect(t, "host.listen.udp53", Fail, "UDP port 53 listens on IPv4 only", "0.0.0.0:53", "IPv6 clients get no answer")
	r.expect(t, "host.listen.udp51820", OK, "IPv4 and IPv6", "0.0.0.0:51820", "[::]:51820 v6only")
	r.expect(t, "host.listen.tcp80", OK)
	if c := r.byID["host.listen.udp53"]; !strings.Contains(c.Fix, "[::]:53") || c.Details["ipv6"] != false || c.Details["ipv4"] != true {
		t.Errorf("udp53 fix/details: %q %v", c.Fix, c.Details)
	}
	if r.Code != 1 {
		t.Errorf("exit code %d with a failure, want 1", r.Code)
	}

	// One dual-stack socket serves both; a TCP listener on 51820 is no UDP
	// listener.
	r = runDoctorIn(t, srv, cfg, "53:udpdual,51820:dual,80:dual", "C.UTF-8", only)
	r.expect(t, "host.listen.udp53", OK, "one dual-stack socket", "[::]:53")
	r.expect(t, "host.listen.udp51820", Fail, "nothing listens on UDP port 51820")
	if c := r.byID["host.listen.udp53"]; c.Details["ipv4_via_dual_stack"] != true || c.Details["v6only_guessed"] != false {
		t.Errorf("udp53 details: %v", c.Details)
	}

	// IPv6 only, in Japanese: Japanese lines within 80 columns.
	r = runDoctorIn(t, srv, cfg, "53:udp6only,80:dual", "ja_JP.UTF-8", only)
	r.expect(t, "host.listen.udp53", Fail, "UDP ポート 53 は IPv6 だけで待ち受けています")
	r.expect(t, "host.listen.udp51820", Fail, "UDP ポート 51820 で待ち受けているプログラムがありません")
	for i, line := range strings.Split(strings.TrimRight(r.Text, "\n"), "\n") {
		if w := termtext.DisplayWidth(line); w > Width {
			t.Errorf("line %d is %d columns: %q", i+1, w, line)
		}
	}

	// Without expose.udp: TCP checks only, no UDP check.
	noUDP := filepath.Join(dir, "no-udp.yaml")
	if err := os.WriteFile(noUDP, []byte("interface: lo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runDoctorIn(t, srv, noUDP, "53:udpdual", "C.UTF-8", "DP_DOCTOR_ONLY=host.listen.udp53,host.listen.tcp80,host.listen.tcp443")
	for id := range r.byID {
		if strings.HasPrefix(id, "host.listen.udp") {
			t.Errorf("check %s without expose.udp", id)
		}
	}
	r.expect(t, "host.listen.tcp80", Fail)
	r.expect(t, "host.listen.tcp443", Fail)
}
