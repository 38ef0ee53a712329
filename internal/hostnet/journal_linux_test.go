package hostnet

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// openIn opens a journal inside namespace ns.
func openIn(t *testing.T, ns *netnstest.NS, path string) *Journal {
	t.Helper()
	var j *Journal
	if err := InNamespace(ns.Name, func() (err error) { j, err = OpenJournal(path); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// hostState is what `ip`/`nft`/sysctl show inside ns, for before/after
// comparisons.
func hostState(t *testing.T, ns *netnstest.NS) string {
	t.Helper()
	var b strings.Builder
	for _, c := range [][]string{
		{"ip", "-o", "addr", "show", "dev", "d0"},
		{"ip", "rule", "show"},
		{"ip", "route", "show", "table", "all"},
		{"ip", "-o", "link", "show"},
		{"sysctl", "-n", "net.ipv4.conf.d0.rp_filter"},
		{"nft", "list", "tables"},
	} {
		out, err := ns.Run(c[0], c[1:]...)
		if err != nil && c[0] != "nft" {
			t.Fatal(err)
		}
		b.WriteString(strings.Join(c, " ") + ":\n" + out)
	}
	return b.String()
}

// makeChanges applies one change of every kind to namespace state that has a
// dummy device d0.
func makeChanges(j *Journal) error {
	addr := netip.MustParsePrefix("192.0.2.7/32")
	steps := []func() error{
		func() error { return j.AddAddress("d0", addr) },
		func() error { return j.AddRule(addr.Addr(), 4242, 1000) },
		func() error { return j.AddRoute(4242, netip.MustParsePrefix("0.0.0.0/0"), "d0") },
		func() error { return j.SetSysctl("net.ipv4.conf.d0.rp_filter", "2") },
		func() error { _, err := j.CreateTUN("dptun0", 1454); return err },
		func() error { _, err := j.CreateMacvlan("d0", "dpmv0"); return err },
		func() error { return j.ApplyFirewall(FirewallSpec{Interface: "dptun0", TCP: []uint16{80}}) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

func dummyNS(t *testing.T) *netnstest.NS {
	ns := netnstest.New(t, "jr")
	// a veth pair stands in for the LAN interface (no dummy module needed)
	ns.MustRun("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ns.MustRun("ip", "link", "set", "d0", "up")
	ns.MustRun("sysctl", "-qw", "net.ipv4.conf.d0.rp_filter=1")
	return ns
}

func TestJournalRecordsAndUndoesEveryKind(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "sysctl")
	ns := dummyNS(t)
	before := hostState(t, ns)
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	if err := makeChanges(j); err != nil {
		t.Fatal(err)
	}
	during := hostState(t, ns)
	for _, want := range []string{"192.0.2.7/32", "from 192.0.2.7 lookup 4242", "default dev d0 table 4242", "dptun0", "dpmv0@d0", "table inet dualpath"} {
		if !strings.Contains(during, want) {
			t.Errorf("after changes, host state lacks %q:\n%s", want, during)
		}
	}
	if v, _ := j.Sysctl("net.ipv4.conf.d0.rp_filter"); v != "2" {
		t.Errorf("rp_filter = %q, want 2", v)
	}
	if got := len(j.Changes()); got != 7 {
		t.Errorf("Changes() has %d entries, want 7: %v", got, j.Changes())
	}
	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	if after := hostState(t, ns); after != before {
		t.Errorf("UndoAll left the host changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := j.UndoAll(); err != nil {
		t.Errorf("second UndoAll: %v", err)
	}
	if len(j.Changes()) != 0 {
		t.Errorf("changes left after UndoAll: %v", j.Changes())
	}
}

func TestJournalUndoToleratesThingsAlreadyGone(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "sysctl")
	ns := dummyNS(t)
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	if err := makeChanges(j); err != nil {
		t.Fatal(err)
	}
	// someone else removed part of it behind our back
	ns.MustRun("ip", "rule", "del", "from", "192.0.2.7", "lookup", "4242")
	ns.MustRun("ip", "link", "del", "dpmv0")
	ns.MustRun("nft", "delete", "table", "inet", "dualpath")
	if err := j.UndoAll(); err != nil {
		t.Fatalf("UndoAll with things already gone: %v", err)
	}
}

func TestJournalReplaceRuleAddressAndRemoveAddress(t *testing.T) {
	ns := dummyNS(t)
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	a, b := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("198.51.100.9")
	if err := j.AddAddress("d0", netip.PrefixFrom(a, 32)); err != nil {
		t.Fatal(err)
	}
	if err := j.AddRule(a, 4242, 1000); err != nil {
		t.Fatal(err)
	}
	if err := j.ReplaceRuleAddress(a, b); err != nil {
		t.Fatal(err)
	}
	if err := j.RemoveAddress("d0", netip.PrefixFrom(a, 32)); err != nil {
		t.Fatal(err)
	}
	rules := ns.MustRun("ip", "rule", "show")
	if strings.Contains(rules, "192.0.2.7") || !strings.Contains(rules, "1000:\tfrom 198.51.100.9 lookup 4242") {
		t.Errorf("rules after ReplaceRuleAddress:\n%s", rules)
	}
	if addrs := ns.MustRun("ip", "addr", "show", "d0"); strings.Contains(addrs, "192.0.2.7") {
		t.Errorf("address still there after RemoveAddress:\n%s", addrs)
	}
	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	if rules := ns.MustRun("ip", "rule", "show"); strings.Contains(rules, "4242") {
		t.Errorf("rule left after UndoAll:\n%s", rules)
	}
}

func TestJournalFailedChangeIsNotRecorded(t *testing.T) {
	ns := dummyNS(t)
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	err := j.AddAddress("enp9s0", netip.MustParsePrefix("192.0.2.7/32"))
	if err == nil || !strings.Contains(err.Error(), "interface enp9s0 not found (ip link shows: lo, d1, d0)") {
		t.Fatalf("error for a missing interface = %v", err)
	}
	if len(j.Changes()) != 0 {
		t.Errorf("failed change recorded: %v", j.Changes())
	}
}

func TestJournalIsExclusive(t *testing.T) {
	ns := dummyNS(t)
	path := filepath.Join(t.TempDir(), "journal")
	openIn(t, ns, path)
	err := InNamespace(ns.Name, func() error { _, err := OpenJournal(path); return err })
	if err == nil || !strings.Contains(err.Error(), "in use by another dualpath process") {
		t.Fatalf("second OpenJournal = %v, want in-use error", err)
	}
}

func TestJournalRefusesAnotherNamespace(t *testing.T) {
	ns := dummyNS(t)
	other := netnstest.New(t, "jo")
	path := filepath.Join(t.TempDir(), "journal")
	j := openIn(t, ns, path)
	if err := j.AddRule(netip.MustParseAddr("192.0.2.7"), 4242, 1000); err != nil {
		t.Fatal(err)
	}
	j.Close() // like a crash: the change stays recorded
	err := InNamespace(other.Name, func() error { _, err := OpenJournal(path); return err })
	if err == nil || !strings.Contains(err.Error(), "another network namespace") {
		t.Fatalf("OpenJournal in another namespace = %v", err)
	}
	// back in the right namespace it cleans up
	j = openIn(t, ns, path)
	if rec := j.Recovered(); len(rec) != 1 || rec[0].Kind != "rule" {
		t.Fatalf("Recovered = %v", rec)
	}
	if rules := ns.MustRun("ip", "rule", "show"); strings.Contains(rules, "4242") {
		t.Errorf("rule left after recovery:\n%s", rules)
	}
}

const crashChildEnv = "DUALPATH_HOSTNET_CRASH_CHILD"

// TestCrashChild is not a test on its own: TestJournalCleansUpAfterSIGKILL
// runs the test binary under `ip netns exec` with crashChildEnv set; it
// makes every kind of change, says READY and waits to be killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("helper process for TestJournalCleansUpAfterSIGKILL")
	}
	j, err := OpenJournal(path)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	if err := makeChanges(j); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("READY")
	time.Sleep(time.Minute)
	os.Exit(1)
}

func TestJournalCleansUpAfterSIGKILL(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "sysctl")
	ns := dummyNS(t)
	before := hostState(t, ns)
	path := filepath.Join(t.TempDir(), "journal")
	cmd := ns.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); l == "READY" || strings.HasPrefix(l, "ERROR") {
				ready <- l
				return
			}
		}
		ready <- "child exited"
	}()
	select {
	case l := <-ready:
		if l != "READY" {
			t.Fatalf("child: %s", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child never got ready")
	}
	if during := hostState(t, ns); !strings.Contains(during, "from 192.0.2.7 lookup 4242") {
		t.Fatalf("child's changes not visible:\n%s", during)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()

	j := openIn(t, ns, path)
	var kinds []string
	for _, c := range j.Recovered() {
		kinds = append(kinds, c.Kind)
	}
	if got, want := strings.Join(kinds, ","), "nftables,macvlan,tun,sysctl,route,rule,address"; got != want {
		t.Errorf("Recovered kinds = %s, want %s", got, want)
	}
	if after := hostState(t, ns); after != before {
		t.Errorf("after recovery the host differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if len(j.Changes()) != 0 {
		t.Errorf("changes in force after recovery: %v", j.Changes())
	}
}

func TestJournalIPv6RuleAndRoute(t *testing.T) {
	ns := dummyNS(t)
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	a := netip.MustParseAddr("2001:db8::7")
	if err := j.AddAddress("d0", netip.PrefixFrom(a, 128)); err != nil {
		t.Fatal(err)
	}
	if err := j.AddRule(a, 4243, 1001); err != nil {
		t.Fatal(err)
	}
	if err := j.AddRoute(4243, netip.MustParsePrefix("::/0"), "d0"); err != nil {
		t.Fatal(err)
	}
	rules, routes := ns.MustRun("ip", "-6", "rule", "show"), ns.MustRun("ip", "-6", "route", "show", "table", "4243")
	if !strings.Contains(rules, "from 2001:db8::7 lookup 4243") || !strings.Contains(routes, "default dev d0") {
		t.Fatalf("rules:\n%s\nroutes:\n%s", rules, routes)
	}
	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	rules, routes = ns.MustRun("ip", "-6", "rule", "show"), ns.MustRun("ip", "-6", "route", "show", "table", "all")
	if strings.Contains(rules, "4243") || strings.Contains(routes, "table 4243") {
		t.Errorf("left after UndoAll:\n%s\n%s", rules, routes)
	}
}

// TestCreateTUNHasOffloads: the TUN comes up with virtio-net offloads, so
// the data plane reads GSO super-packets in batches.
func TestCreateTUNHasOffloads(t *testing.T) {
	ns := dummyNS(t)
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	dev, err := j.CreateTUN("dptun1", 1454)
	if err != nil {
		t.Fatal(err)
	}
	if dev.BatchSize() <= 1 {
		t.Errorf("TUN batch size %d: offloads not enabled", dev.BatchSize())
	}
	// No listener runs beside the device: a monitored one keeps an OS
	// thread blocked in poll and writes to the TUN every second.
	buf := make([]byte, 1<<20)
	if st := string(buf[:runtime.Stack(buf, true)]); strings.Contains(st, "wireguard/tun.") {
		t.Errorf("goroutines of the TUN library run beside the device:\n%s", st)
	}
	// (dev.MTU() asks by name in the caller's namespace: ask ip instead)
	if out := ns.MustRun("ip", "link", "show", "dptun1"); !strings.Contains(out, "UP") || !strings.Contains(out, "mtu 1454") {
		t.Errorf("TUN not up with MTU 1454:\n%s", out)
	}
	if err := j.SetMTU("dptun1", 1492); err != nil {
		t.Fatal(err)
	}
	if out := ns.MustRun("ip", "link", "show", "dptun1"); !strings.Contains(out, "mtu 1492") {
		t.Errorf("SetMTU not applied:\n%s", out)
	}
	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Run("ip", "link", "show", "dptun1"); err == nil {
		t.Error("TUN still there after UndoAll")
	}
}

// TestJournalFromBeforeRebootIsDiscarded: kernel state does not survive a
// reboot, so a journal with another boot ID is dropped without touching
// anything, even a rule that looks like one it recorded.
func TestJournalFromBeforeRebootIsDiscarded(t *testing.T) {
	ns := dummyNS(t)
	ns.MustRun("ip", "rule", "add", "from", "192.0.2.7", "lookup", "4242", "priority", "1000")
	path := filepath.Join(t.TempDir(), "journal")
	old := `{"id":0,"op":"open","netns":"NS(9:9)","boot":"00000000-0000-0000-0000-000000000000","pid":1}
{"id":0,"op":"rule","from":"192.0.2.7","table":4242,"priority":1000}
`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	j := openIn(t, ns, path)
	if rec := j.Recovered(); len(rec) != 0 {
		t.Errorf("Recovered = %v, want nothing", rec)
	}
	if rules := ns.MustRun("ip", "rule", "show"); !strings.Contains(rules, "from 192.0.2.7 lookup 4242") {
		t.Errorf("a rule that was not ours (this boot) was removed:\n%s", rules)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), `"op":"rule"`) || !strings.Contains(string(b), bootID()) {
		t.Errorf("journal not reset for this boot:\n%s", b)
	}
}

// TestJournalOldFormatReplays: a journal written before the change kinds
// became types (testdata/journal/old-format.journal: one change of every
// kind and a forgotten one, the header without namespace or boot) is
// replayed after a crash: every change undone, newest first, described as
// before.
func TestJournalOldFormatReplays(t *testing.T) {
	netnstest.RequireCommand(t, "nft", "sysctl")
	ns := dummyNS(t)
	before := hostState(t, ns)
	// what the crashed run had made
	ns.MustRun("ip", "addr", "add", "192.0.2.7/32", "dev", "d0")
	ns.MustRun("ip", "addr", "add", "192.0.2.8/32", "dev", "d0") // forgotten: not ours any more
	ns.MustRun("ip", "rule", "add", "from", "192.0.2.7", "lookup", "4242", "priority", "1000")
	ns.MustRun("ip", "route", "add", "default", "dev", "d0", "table", "4242")
	ns.MustRun("sysctl", "-qw", "net.ipv4.conf.d0.rp_filter=2")
	ns.MustRun("ip", "tuntap", "add", "dev", "dptun0", "mode", "tun")
	ns.MustRun("ip", "link", "add", "dpmv0", "link", "d0", "type", "macvlan", "mode", "bridge")
	ns.MustRun("nft", "add", "table", "inet", FirewallTable)
	old, err := os.ReadFile("testdata/journal/old-format.journal")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "journal")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	j := openIn(t, ns, path)
	var got []string
	for _, c := range j.Recovered() {
		got = append(got, c.Kind+": "+c.What)
	}
	want := []string{
		"nftables: nftables table inet " + FirewallTable,
		"macvlan: macvlan dpmv0 on d0",
		"tun: TUN device dptun0",
		"sysctl: sysctl net.ipv4.conf.d0.rp_filter=2 (was 1)",
		"route: route 0.0.0.0/0 dev d0 table 4242",
		"rule: rule from 192.0.2.7 lookup 4242 priority 1000",
		"address: address 192.0.2.7/32 dev d0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Recovered:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ns.MustRun("ip", "addr", "del", "192.0.2.8/32", "dev", "d0")
	if after := hostState(t, ns); after != before {
		t.Errorf("replay left the host changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
