package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/session"
)

// These tests run the built `dualpath run` binary inside test namespaces,
// as systemd would run it on a server.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// dualpathBinary builds cmd/dualpath once per test run.
func dualpathBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "dualpath-daemon-test")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "dualpath")
		binErr = buildBinary(binPath)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func buildBinary(path string) error {
	out, err := exec.Command(goTool(), "build", "-o", path, "github.com/dualpath/dualpath/cmd/dualpath").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %v: %s", err, out)
	}
	return nil
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// hostState is what dualpath may change in a namespace: links, rules,
// routes, the nftables ruleset. Equal before and after means "left as found".
func hostState(t *testing.T, ns *netnstest.NS) string {
	t.Helper()
	var b strings.Builder
	links := ns.MustRun("ip", "-o", "link", "show")
	for _, l := range strings.Split(strings.TrimSpace(links), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			b.WriteString("link " + f[1] + "\n")
		}
	}
	for _, args := range [][]string{
		{"ip", "-4", "rule", "show"}, {"ip", "-6", "rule", "show"},
		{"ip", "-4", "route", "show", "table", "all"},
		{"ip", "-4", "addr", "show"},
		{"nft", "list", "ruleset"},
	} {
		b.WriteString("# " + strings.Join(args, " ") + "\n" + ns.MustRun(args[0], args[1:]...))
	}
	return b.String()
}

// testDaemon is one `dualpath run` process in a namespace.
type testDaemon struct {
	t      *testing.T
	ns     *netnstest.NS
	proc   *netnstest.Proc
	socket string
	notify chan string
}

// daemonConfig writes a config for a daemon in ns on interface lan, with
// secret files holding the given secrets, and returns its path.
type daemonConfig struct {
	dir, iface, password, extra string
	macvlan                     bool
}

func (c daemonConfig) write(t *testing.T) (path, socket string) {
	t.Helper()
	pass := filepath.Join(c.dir, "pppoe.pass")
	if err := os.WriteFile(pass, []byte(c.password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	socket = filepath.Join(c.dir, "run", "status.sock")
	y := fmt.Sprintf(`interface: %s
pppoe:
  username: dpuser
  password_file: %s
  macvlan: %v
  echo_interval: 2s
expose:
  tcp: [8080]
  icmp_echo: true
status:
  socket: %s
state_dir: %s
log:
  level: debug
%s`, c.iface, pass, c.macvlan, socket, filepath.Join(c.dir, "state"), c.extra)
	path = filepath.Join(c.dir, "dualpath.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, socket
}

// startDaemon runs `dualpath run --config cfg` in ns with a systemd-style
// notify socket, and waits for READY=1. Its locale is C, whatever the
// test's: the log and systemd status lines are English.
func startDaemon(t *testing.T, ns *netnstest.NS, cfg, socket string) *testDaemon {
	t.Helper()
	return startDaemonEnv(t, ns, cfg, socket, "LC_ALL=", "LC_MESSAGES=", "LANG=C.UTF-8")
}

// startDaemonEnv is startDaemon with env ("LANG=ja_JP.UTF-8") added to the
// daemon's environment.
func startDaemonEnv(t *testing.T, ns *netnstest.NS, cfg, socket string, env ...string) *testDaemon {
	t.Helper()
	d := &testDaemon{t: t, ns: ns, socket: socket, notify: make(chan string, 64)}
	nsock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: nsock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(d.notify)
				return
			}
			for _, l := range strings.Split(string(buf[:n]), "\n") {
				if l != "" {
					d.notify <- l
				}
			}
		}
	}()
	// As systemd runs it: notify socket, and a watchdog of 600 ms.
	args := append([]string{"NOTIFY_SOCKET=" + nsock, "WATCHDOG_USEC=600000"}, env...)
	d.proc = ns.Start("env", append(args, dualpathBinary(t), "run", "--config", cfg)...)
	d.waitNotify("READY=1", 30*time.Second)
	return d
}

func (d *testDaemon) waitNotify(want string, timeout time.Duration) {
	d.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-d.notify:
			if !ok {
				d.t.Fatalf("notify socket closed before %q; daemon output:\n%s", want, d.proc.Output())
			}
			if m == want {
				return
			}
		case <-deadline:
			d.t.Fatalf("no %q from the daemon within %v; output:\n%s", want, timeout, d.proc.Output())
		}
	}
}

func (d *testDaemon) status() *Status {
	d.t.Helper()
	s, err := QueryStatus(context.Background(), d.socket)
	if err != nil {
		d.t.Fatalf("status: %v; daemon output:\n%s", err, d.proc.Output())
	}
	return s
}

// stop sends sig and waits for the exit; SIGTERM must exit 0.
func (d *testDaemon) stop(sig syscall.Signal) {
	d.t.Helper()
	d.proc.Signal(sig)
	err := d.proc.Wait(30 * time.Second)
	if sig == syscall.SIGTERM && err != nil {
		d.t.Fatalf("daemon after SIGTERM: %v; output:\n%s", err, d.proc.Output())
	}
}

// TestFirewallBeforeSessionAndCleanExit: with no access concentrator on the
// line the session never comes up, yet when the daemon says READY the
// nftables table already guards the TUN name with only the listed port;
// status and metrics answer; SIGTERM leaves the namespace exactly as found
// and nothing printed anywhere contains a secret.
func TestFirewallBeforeSessionAndCleanExit(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "curl")
	ns := netnstest.New(t, "dmn")
	peer := netnstest.New(t, "peer")
	netnstest.Veth(t, ns, "lan0", peer, "lan0p")
	before := hostState(t, ns)

	const secret = "pppoe-Secret-4711"
	dir := t.TempDir()
	cfg, socket := daemonConfig{dir: dir, iface: "lan0", password: secret, macvlan: true}.write(t)
	d := startDaemon(t, ns, cfg, socket)

	// READY came: the firewall is in place, and no session exists.
	table := ns.MustRun("nft", "list", "table", "inet", "dualpath")
	for _, want := range []string{`iifname "dp-ppp0"`, "8080", "established,related", "drop"} {
		if !strings.Contains(table, want) {
			t.Errorf("nft table lacks %q:\n%s", want, table)
		}
	}
	for _, closed := range []string{"dport 22 ", "dport 80 ", "dport 443 "} {
		if strings.Contains(table, closed) {
			t.Errorf("nft table opens %q:\n%s", closed, table)
		}
	}
	s := d.status()
	if !s.Firewall.Active || s.Session.State == StateUp || len(s.Firewall.TCP) != 1 || s.Firewall.TCP[0] != 8080 {
		t.Errorf("status at READY: firewall %+v, session %+v", s.Firewall, s.Session)
	}
	// The session keeps trying discovery: its devices exist while the
	// firewall stays (fail-closed).
	if !netnstest.WaitFor(20*time.Second, func() bool {
		out, _ := ns.Run("ip", "link", "show", "dp-ppp0-mv")
		return strings.Contains(out, "dp-ppp0-mv")
	}) {
		t.Errorf("macvlan not created; output:\n%s", d.proc.Output())
	}

	// systemd hears how things stand, and the watchdog is fed.
	d.waitNotify("STATUS=session starting, firewall on", 30*time.Second)
	d.waitNotify("STATUS=session connecting, firewall on", 30*time.Second)
	d.waitNotify("WATCHDOG=1", 30*time.Second)

	// Warnings about the exposed port: nothing listens, then IPv6 only.
	if w := strings.Join(s.Warnings, "\n"); !strings.Contains(w, "nothing listens on TCP port 8080: start the server") {
		t.Errorf("warnings with no listener: %q", w)
	}
	var ln6 net.Listener
	if err := hostnet.InNamespace(ns.Name, func() error {
		var err error
		ln6, err = net.Listen("tcp6", "[::]:8080") // v6only, like nginx's listen [::]:8080
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The host is looked at again within warningsTTL; a look that
	// missed the change on a loaded machine (nft is read under a 5 s limit)
	// is followed by another one TTL later.
	var w string
	if !netnstest.WaitFor(6*warningsTTL, func() bool {
		s := d.status()
		w = strings.Join(s.Warnings, "\n")
		return strings.Contains(w, "port 8080 listens on IPv6 only") && strings.Contains(strings.Join(s.WarningsJA, "\n"), "ポート 8080 は IPv6 だけで待ち受けています")
	}) {
		t.Errorf("warnings with an IPv6-only listener: %q", w)
	}
	ln6.Close()

	// The host's own firewall (like ufw's default deny) in front of the
	// port: status names the chain and the command that opens the port.
	ns.MustRun("nft", "add table inet hostfw")
	ns.MustRun("nft", "add chain inet hostfw input { type filter hook input priority 0; policy drop; }")
	if !netnstest.WaitFor(6*warningsTTL, func() bool {
		w = strings.Join(d.status().Warnings, "\n")
		return strings.Contains(w, "the host's own firewall drops new connections to TCP port 8080 on dp-ppp0 (inet hostfw input: policy drop)") &&
			strings.Contains(w, `nft insert rule inet hostfw input iifname "dp-ppp0" tcp dport 8080 accept`)
	}) {
		t.Errorf("warnings with a dropping base chain: %q", w)
	}
	ns.MustRun("nft", "delete table inet hostfw")

	// Everything a person or a scraper can read.
	text, err := exec.Command(dualpathBinary(t), "status", "--socket", socket).CombinedOutput()
	if err != nil || !strings.Contains(string(text), "firewall: inbound on dp-ppp0: TCP 8080, UDP none, ping answered") {
		t.Errorf("dualpath status: %v\n%s", err, text)
	}
	js, err := exec.Command(dualpathBinary(t), "status", "--json", "--socket", socket).CombinedOutput()
	var parsed Status
	if err != nil || json.Unmarshal(js, &parsed) != nil || parsed.Session.Interface != "lan0" {
		t.Errorf("dualpath status --json: %v\n%s", err, js)
	}
	metrics := ns.MustRun("curl", "-sS", "http://127.0.0.1:9842/metrics")
	for _, want := range []string{"dualpath_session_up 0", "dualpath_firewall_active 1", "process_resident_memory_bytes"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	d.stop(syscall.SIGTERM)
	if after := hostState(t, ns); after != before {
		t.Errorf("SIGTERM did not leave the namespace as found.\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Errorf("status socket left behind: %v", err)
	}
	for what, out := range map[string]string{"log": d.proc.Output(), "status": string(text), "status --json": string(js), "metrics": metrics} {
		if strings.Contains(out, secret) {
			t.Errorf("the PPPoE password appears in the %s", what)
		}
	}
	if !strings.Contains(d.proc.Output(), "host left as found") {
		t.Errorf("log lacks the clean-exit line:\n%s", d.proc.Output())
	}
}

// TestSIGKILLThenRestartCleansUp: a daemon killed with SIGKILL leaves its
// firewall table and macvlan behind; the next start removes them (and says
// so), and its own SIGTERM then leaves the namespace as found.
func TestSIGKILLThenRestartCleansUp(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	ns := netnstest.New(t, "dmk")
	peer := netnstest.New(t, "peer")
	netnstest.Veth(t, ns, "lan0", peer, "lan0p")
	before := hostState(t, ns)
	dir := t.TempDir()
	cfg, socket := daemonConfig{dir: dir, iface: "lan0", password: "pw", macvlan: true}.write(t)

	d := startDaemon(t, ns, cfg, socket)
	netnstest.WaitFor(20*time.Second, func() bool {
		out, _ := ns.Run("ip", "link", "show", "dp-ppp0-mv")
		return strings.Contains(out, "dp-ppp0-mv")
	})
	d.stop(syscall.SIGKILL)
	if _, err := ns.Run("nft", "list", "table", "inet", "dualpath"); err != nil {
		t.Fatalf("test premise: the killed daemon's table should remain: %v", err)
	}
	if hostState(t, ns) == before {
		t.Fatal("test premise: SIGKILL should leave something behind")
	}
	if _, err := QueryStatus(context.Background(), socket); err == nil {
		t.Error("a dead daemon's socket still answers")
	}

	d2 := startDaemon(t, ns, cfg, socket)
	if out := d2.proc.Output(); !strings.Contains(out, "removed leftovers of an unclean exit") {
		t.Errorf("restart did not report the clean-up:\n%s", out)
	}
	if s := d2.status(); !s.Firewall.Active {
		t.Error("restarted daemon has no firewall")
	}
	d2.stop(syscall.SIGTERM)
	if after := hostState(t, ns); after != before {
		t.Errorf("namespace not as found after SIGKILL, restart, SIGTERM.\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestRunRefusesBadConfig: `dualpath run` checks the config first and
// exits 2 with the file:line:column message, changing nothing.
func TestRunRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dualpath.yaml")
	os.WriteFile(cfg, []byte("interface: lan0\npppoe:\n  username: u\n  mtu: 9000\n"), 0o644)
	out, err := exec.Command(dualpathBinary(t), "run", "--config", cfg).CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	// Long problems continue on indented lines (80 columns): join them.
	joined := strings.ReplaceAll(string(out), "\n    ", " ")
	if !strings.Contains(joined, cfg+":4:3: pppoe.mtu: 9000 is larger than 1500") {
		t.Errorf("output:\n%s", out)
	}
}

// giveUpSession is a session whose Run gives up at once, as session.Client
// does when the LAN interface is missing.
type giveUpSession struct{ runs *atomicCount }

type atomicCount struct {
	mu sync.Mutex
	n  int
}

func (c *atomicCount) inc() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *atomicCount) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (giveUpSession) Stats() dataplane.Stats { return dataplane.Stats{} }

func (s giveUpSession) Run(ctx context.Context) error {
	s.runs.inc()
	return errors.New("interface lan9 not found")
}

// TestSupervisionRestartsSession: when the session gives up, the daemon
// restarts it with growing backoff, shows why in status, and keeps the
// firewall in place all along (fail-closed).
func TestSupervisionRestartsSession(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	ns := netnstest.New(t, "dsup")
	runs := &atomicCount{}
	old := newSession
	newSession = func(session.ClientConfig) (sessionRunner, error) { return giveUpSession{runs}, nil }
	t.Cleanup(func() { newSession = old })

	dir := t.TempDir()
	cfgPath, socket := daemonConfig{dir: dir, iface: "lan9", password: "pw"}.write(t)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Metrics.Listen = "off"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- hostnet.InNamespace(ns.Name, func() error {
			return Run(ctx, Options{Config: cfg, Version: "test", Notify: func(string) {},
				MinSessionBackoff: 10 * time.Millisecond, MaxSessionBackoff: 80 * time.Millisecond})
		})
	}()
	if !netnstest.WaitFor(10*time.Second, func() bool { return runs.get() >= 5 }) {
		t.Fatalf("session restarted %d times", runs.get())
	}
	s, err := QueryStatus(context.Background(), socket)
	if err != nil {
		t.Fatal(err)
	}
	if s.Session.State != StateDown || s.Session.LastError != "interface lan9 not found" || !s.Firewall.Active {
		t.Errorf("status while the session gives up: %+v, firewall %+v", s.Session, s.Firewall)
	}
	if _, err := ns.Run("nft", "list", "table", "inet", "dualpath"); err != nil {
		t.Errorf("firewall gone while the session restarts: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if out, _ := ns.Run("nft", "list", "tables"); strings.Contains(out, "dualpath") {
		t.Errorf("firewall left after stop: %s", out)
	}
}

// unitCapabilities returns the capabilities packaging/dualpath.service
// grants (every AmbientCapabilities line), as setpriv names them.
func unitCapabilities(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../packaging/dualpath.service")
	if err != nil {
		t.Fatal(err)
	}
	var caps []string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "AmbientCapabilities="); ok {
			for _, c := range strings.Fields(v) {
				caps = append(caps, strings.ToLower(strings.TrimPrefix(c, "CAP_")))
			}
		}
	}
	if len(caps) == 0 {
		t.Fatal("the unit grants no capabilities")
	}
	return caps
}

// unitSyscallDenyList returns the system calls the unit's
// SystemCallFilter=~... lines deny, with the groups expanded by this
// machine's systemd-analyze syscall-filter (a newer systemd's groups hold
// at least what 237's did), and checks that a denied call fails with EPERM
// (SystemCallErrorNumber=EPERM) rather than killing the daemon.
func unitSyscallDenyList(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../packaging/dualpath.service")
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	errno := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "SystemCallFilter="); ok {
			v, ok = strings.CutPrefix(v, "~")
			if !ok {
				t.Fatalf("unit: %q is an allow list; the test knows deny lists (~...)", l)
			}
			items = append(items, strings.Fields(v)...)
		}
		if v, ok := strings.CutPrefix(l, "SystemCallErrorNumber="); ok {
			errno = v
		}
	}
	if len(items) == 0 || errno != "EPERM" {
		t.Fatalf("unit: SystemCallFilter=~... %q with SystemCallErrorNumber=%q; want a deny list failing with EPERM", items, errno)
	}
	seen := map[string]bool{}
	var names []string
	var expand func(string)
	expand = func(item string) {
		if seen[item] {
			return
		}
		seen[item] = true
		if !strings.HasPrefix(item, "@") {
			names = append(names, item)
			return
		}
		out, err := exec.Command("systemd-analyze", "syscall-filter", item).Output()
		if err != nil {
			t.Fatalf("systemd-analyze syscall-filter %s: %v", item, err)
		}
		for _, l := range strings.Split(string(out), "\n")[1:] {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				expand(l)
			}
		}
	}
	for _, it := range items {
		expand(it)
	}
	return names
}

var seccompOnce = struct {
	sync.Once
	path string
	err  error
}{}

// seccompExec builds testdata/seccomp_exec.c (libseccomp, as systemd uses)
// once per test run.
func seccompExec(t *testing.T) string {
	t.Helper()
	netnstest.RequireCommand(t, "gcc", "systemd-analyze")
	if _, err := os.Stat("/usr/include/seccomp.h"); err != nil {
		t.Skip("needs libseccomp-dev (scripts/deps.sh installs it)")
	}
	dir := filepath.Dir(dualpathBinary(t))
	seccompOnce.Do(func() {
		seccompOnce.path = filepath.Join(dir, "seccomp_exec")
		out, err := exec.Command("gcc", "-O2", "-Wall", "-o", seccompOnce.path, "testdata/seccomp_exec.c", "-lseccomp").CombinedOutput()
		if err != nil {
			seccompOnce.err = fmt.Errorf("gcc seccomp_exec.c: %v\n%s", err, out)
		}
	})
	if seccompOnce.err != nil {
		t.Fatal(seccompOnce.err)
	}
	return seccompOnce.path
}

// TestUnprivilegedWithUnitCapabilities runs the daemon as the unit would:
// an unprivileged user holding exactly the capabilities the unit grants,
// under the unit's system call deny list (SystemCallFilter=, loaded with
// libseccomp by testdata/seccomp_exec.c, since the machine runs no
// systemd). It must put its firewall in place, answer status and leave the
// namespace as found on SIGTERM. (The PPPoE TUN also needs /dev/net/tun to
// be 0666, Debian's default; where it is not, the session retries and this
// test does not care.)
func TestUnprivilegedWithUnitCapabilities(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "setpriv")
	caps := unitCapabilities(t)
	deny := unitSyscallDenyList(t)
	filter := seccompExec(t)
	// The filter is real: a denied call (swapoff, of @swap, on a path that
	// does not exist, so harmless either way) fails with EPERM, not ENOENT.
	if swapoff, err := exec.LookPath("swapoff"); err == nil {
		out, _ := exec.Command(filter, append(append(deny, "--"), swapoff, "/nonexistent-dualpath-test")...).CombinedOutput()
		// (util-linux prints EPERM from swapoff(2) as "Not superuser".)
		if !strings.Contains(string(out), "Operation not permitted") && !strings.Contains(string(out), "Not superuser") {
			t.Fatalf("swapoff under the unit's filter did not fail with EPERM:\n%s", out)
		}
	}
	ns := netnstest.New(t, "dunp")
	peer := netnstest.New(t, "peer")
	netnstest.Veth(t, ns, "lan0", peer, "lan0p")
	before := hostState(t, ns)

	bin := dualpathBinary(t)
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "dualpath-unpriv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg, socket := daemonConfig{dir: dir, iface: "lan0", password: "pw", macvlan: true}.write(t)
	if out, err := exec.Command("chown", "-R", "nobody", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	os.Chmod(dir, 0o755)
	var plus []string
	for _, c := range caps {
		plus = append(plus, "+"+c)
	}
	set := strings.Join(plus, ",")
	args := []string{"--reuid=nobody", "--regid=nogroup", "--clear-groups",
		"--inh-caps=" + set, "--ambient-caps=" + set, "--bounding-set=-all," + set, filter}
	args = append(append(append(args, deny...), "--"), bin, "run", "--config", cfg)
	p := ns.Start("setpriv", args...)
	d := &testDaemon{t: t, ns: ns, proc: p, socket: socket}
	if !netnstest.WaitFor(20*time.Second, func() bool { _, err := QueryStatus(context.Background(), socket); return err == nil }) {
		t.Fatalf("the daemon did not start with the unit's capabilities %v and system call filter:\n%s", caps, p.Output())
	}
	// setpriv and seccomp_exec exec'd the daemon in the same process.
	pid := p.Cmd.Process.Pid
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if exe != bin || !strings.Contains(string(st), "\nSeccomp:\t2\n") || !strings.Contains(string(st), "\nNoNewPrivs:\t1\n") {
		t.Errorf("process %d is %q; want the daemon under a seccomp filter with no_new_privs:\n%s", pid, exe, st)
	}
	if s := d.status(); !s.Firewall.Active {
		t.Errorf("no firewall: %+v", s.Firewall)
	}
	if _, err := ns.Run("nft", "list", "table", "inet", "dualpath"); err != nil {
		t.Errorf("nft table missing: %v", err)
	}
	d.stop(syscall.SIGTERM)
	if after := hostState(t, ns); after != before {
		t.Errorf("not left as found.\nbefore:\n%s\nafter:\n%s\ndaemon output:\n%s", before, after, p.Output())
	}
}

// TestSystemdUnitVerifies checks the unit with systemd-analyze (pointing
// ExecStart at the built binary, since /usr/bin/dualpath is not installed).
func TestSystemdUnitVerifies(t *testing.T) {
	netnstest.RequireCommand(t, "systemd-analyze")
	b, err := os.ReadFile("../../packaging/dualpath.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "dualpath.service")
	os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/bin/dualpath", dualpathBinary(t))), 0o644)
	out, err := exec.Command("systemd-analyze", "verify", unit).CombinedOutput()
	if err != nil || strings.Contains(string(out), "dualpath.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, want := range []string{"Type=notify", "WatchdogSec=", "User=dualpath", "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW", "StateDirectory=dualpath", "RuntimeDirectory=dualpath",
		"RestartPreventExitStatus=2", "SystemCallFilter=~", "SystemCallErrorNumber=EPERM"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}
