//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/termtext"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/lab"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/netnstest"
)

// labBin builds the dualpath binary (the lab runs it again inside its
// namespaces as `lab-node`) where any user may run it.
func labBin(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dualpath-labtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "dualpath")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gobin, "build", "-o", p, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return p
}

type labRun struct {
	bin, prefix, root string
}

func newLabRun(t *testing.T) *labRun {
	netnstest.RequireRoot(t)
	netnstest.RequireCommand(t, "nginx", "dnsmasq", "busybox", "nft", "ss")
	var b [3]byte
	_, _ = rand.Read(b[:])
	root, err := os.MkdirTemp("", "dualpath-labstate-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(root, 0o755)
	r := &labRun{bin: labBin(t), prefix: "dplt" + hex.EncodeToString(b[:2]) + "-", root: root}
	t.Cleanup(func() {
		// Whatever happened, leave nothing behind.
		out, err := r.cmd(context.Background(), "down").CombinedOutput()
		if err != nil {
			t.Errorf("lab down at cleanup: %v: %s", err, out)
		}
		os.RemoveAll(root)
	})
	return r
}

func (r *labRun) cmd(ctx context.Context, args ...string) *exec.Cmd {
	all := append([]string{"lab", args[0], "--prefix", r.prefix, "--state-root", r.root}, args[1:]...)
	return exec.CommandContext(ctx, r.bin, all...)
}

func (r *labRun) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var buf bytes.Buffer
	c := r.cmd(ctx, args...)
	c.Stdout, c.Stderr = &buf, &buf
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("lab %v: %v", args, err)
	}
	return buf.String(), code
}

// assertGone checks that no namespace, process or state of the lab is left.
func (r *labRun) assertGone(t *testing.T) {
	t.Helper()
	l, err := lab.New(lab.Options{Prefix: r.prefix, StateRoot: r.root, Bin: r.bin})
	if err != nil {
		t.Fatal(err)
	}
	if left := l.Leftovers(); len(left) > 0 {
		t.Errorf("after lab down, left: %v", left)
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), r.prefix) {
		t.Errorf("namespaces with prefix %s remain:\n%s", r.prefix, out)
	}
	out, _ = exec.Command("ps", "-eo", "args").Output()
	if strings.Contains(string(out), r.root) {
		t.Errorf("processes using the lab's state dir remain:\n%s", grepLines(string(out), r.root))
	}
}

func grepLines(s, sub string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func testScenario(t *testing.T, scenario string) {
	r := newLabRun(t)
	out, code := r.run(t, "up", "--scenario", scenario)
	if code != 0 {
		t.Fatalf("lab up: exit %d:\n%s", code, out)
	}
	out, code = r.run(t, "status")
	if code != 0 || !strings.Contains(out, "ready") {
		t.Fatalf("lab status: exit %d:\n%s", code, out)
	}
	out, code = r.run(t, "exec", "server", "--", "ip", "-6", "addr", "show", "dev", "eth0")
	if code != 0 || !strings.Contains(out, lab.ServerIPv6().String()) {
		t.Fatalf("lab exec: exit %d:\n%s", code, out)
	}
	// exec resolves names of the lab zone through the node's resolver.
	out, code = r.run(t, "exec", "inet6", "--", "getent", "ahostsv6", "ns1.lab.example")
	if code != 0 || !strings.Contains(out, lab.DNS6.String()) {
		t.Errorf("lab exec inet6 -- getent: exit %d: %s", code, out)
	}
	out, code = r.run(t, "test", "--json")
	var rep lab.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("lab test --json: exit %d: %v:\n%s", code, err, out)
	}
	if len(rep.Results) != 11 {
		t.Fatalf("want the 11 checks, got %d", len(rep.Results))
	}
	// Every check that applies to the scenario must pass (two-routers has
	// no check 7: all of its server's IPv4 leaves by PPPoE; and no check 9:
	// its server runs no daemon for dualpath check to ask).
	notHere := map[string][]int{"server-pppoe": nil, "two-routers": {7, 9, 11}, "ipip-fixed": nil}[scenario]
	for _, x := range rep.Results {
		want := lab.Pass
		if slices.Contains(notHere, x.ID) {
			want = lab.NotHere
		}
		if x.Outcome != want {
			t.Errorf("check %d %s: %s (expected %s, seen %s), want %s", x.ID, x.Check, x.Outcome, x.Expected, x.Seen, want)
		}
	}
	if code != 0 || !rep.Passed() {
		t.Errorf("lab test exit %d, passed %v: want exit 0 with every check holding", code, rep.Passed())
	}
	testIPv6FilterCheckFails(t, r)
	if scenario == lab.ScenarioServerPPPoE {
		testUDPHoleFailsScan(t, r)
	}
	if _, code := r.run(t, "down"); code != 0 {
		t.Fatalf("lab down: exit %d", code)
	}
	r.assertGone(t)
	if out, code := r.run(t, "down"); code != 0 {
		t.Fatalf("second lab down: exit %d: %s", code, out)
	}
}

func TestLabServerPPPoE(t *testing.T) {
	if testing.Short() {
		t.Skip("the lab takes a while; skipped with -short")
	}
	testScenario(t, lab.ScenarioServerPPPoE)
}

// TestLabDemoFits80Columns runs the demo as a newcomer would, in English
// (server-pppoe) and in Japanese (two-routers): every check holds, each has
// its one line "N outcome name", every line of the output fits an
// 80-column terminal (East Asian wide characters count two), and the
// Japanese runs pass the strict checker.
func TestLabDemoFits80Columns(t *testing.T) {
	if testing.Short() {
		t.Skip("the lab takes a while; skipped with -short")
	}
	r := newLabRun(t)
	for _, x := range []struct {
		scenario, lang string
		want, notWant  []string
		notHere        []int
	}{
		{lab.ScenarioServerPPPoE, "C", []string{"Building it:", "  - namespaces", " 1 ok   PC's IPv4 leaves by MAP-E", "11 ok, 0 failed, 0 not applicable",
			"drops new inbound IPv6 connections", "  - router's IPv6 filter: open TCP 80,443 to the server's", "10 ok   router's IPv6 filter lets in only 80,443", "11 ok   session drop: webhook arrives at inet4"}, []string{"名前空間"}, nil},
		{lab.ScenarioTwoRouters, "ja_JP.UTF-8", []string{"組み立て中:", "  - 名前空間", " 1 ok   PCのIPv4はMAP-Eから出る", " 7 n/a  ", "成功 8、失敗 0、対象外 3",
			"外からのIPv6の新規接続を破棄", "10 ok   ルーターのIPv6フィルタは80,443だけを通す"}, []string{"  - namespaces", "PC's IPv4 leaves"}, []int{7, 9, 11}},
		{lab.ScenarioIPIPFixed, "C", []string{"a fixed-IP IPv4-in-IPv6 tunnel to the ISP's BR", "  - server: dualpath run with the fixed-IP tunnel",
			" 8 ok   prefix change: tunnel follows", "11 ok, 0 failed, 0 not applicable", "tunnel:   up: 192.0.2.208 ... 192.0.2.215"}, []string{"名前空間", "PPPoE session up"}, nil},
		{lab.ScenarioIPIPFixed, "ja_JP.UTF-8", []string{"固定IPのIPv4-in-IPv6トンネル", " 8 ok   プレフィックス変更: トンネルが追従", "成功 11、失敗 0、対象外 0",
			"新しいプレフィックス"}, []string{"  - namespaces", "prefix change: tunnel follows"}, nil},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		c := r.cmd(ctx, "demo", "--scenario", x.scenario)
		c.Env = append(os.Environ(), "LC_ALL="+x.lang, "LANG="+x.lang)
		out, err := c.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("lab demo %s (%s): %v:\n%s", x.scenario, x.lang, err, out)
		}
		text := string(out)
		if x.lang == "ja_JP.UTF-8" {
			// In Japanese throughout: no English word but names, our
			// own text or quoted (the strict checker).
			msgtest.Japanese(t, prose(text))
		}
		for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			if w := termtext.DisplayWidth(line); w > lab.Width {
				t.Errorf("lab demo %s (%s): line %d is %d columns:\n%s", x.scenario, x.lang, i+1, w, line)
			}
		}
		// Wrapped paragraphs: a phrase may continue on the next line.
		unwrapped := strings.ReplaceAll(text, "\n", " ") + strings.ReplaceAll(text, "\n", "")
		for _, s := range x.want {
			if !strings.Contains(text, s) && !strings.Contains(unwrapped, s) {
				t.Errorf("lab demo %s (%s): no %q in:\n%s", x.scenario, x.lang, s, text)
			}
		}
		for _, s := range x.notWant {
			if strings.Contains(text, s) {
				t.Errorf("lab demo %s (%s): %q in:\n%s", x.scenario, x.lang, s, text)
			}
		}
		for id := 1; id <= 11; id++ {
			outcome := "ok  "
			if slices.Contains(x.notHere, id) {
				outcome = "n/a "
			}
			if !strings.Contains(text, fmt.Sprintf("\n%2d %s ", id, outcome)) {
				t.Errorf("lab demo %s (%s): check %d is not %q:\n%s", x.scenario, x.lang, id, outcome, text)
			}
		}
	}
	r.assertGone(t)
}

// TestLabUpAfterSIGKILL kills `lab up` half-way and checks that the next
// `lab up` removes the leftovers and succeeds.
func TestLabUpAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("the lab takes a while; skipped with -short")
	}
	r := newLabRun(t)
	c := r.cmd(context.Background(), "up")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until up has started processes in the namespaces, then kill it.
	state := filepath.Join(r.root, strings.TrimSuffix(r.prefix, "-"), "state.json")
	ok := netnstest.WaitFor(time.Minute, func() bool {
		st, err := lab.LoadState(filepath.Dir(state))
		return err == nil && len(st.Procs) > 0
	})
	_ = c.Process.Signal(syscall.SIGKILL)
	_ = c.Wait()
	if !ok {
		t.Fatal("lab up never started a process")
	}
	st, err := lab.LoadState(filepath.Dir(state))
	if err != nil || st.Ready {
		t.Fatalf("lab up was not killed half-way (state %+v, %v)", st, err)
	}
	l, err := lab.New(lab.Options{Prefix: r.prefix, StateRoot: r.root, Bin: r.bin})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Leftovers()) == 0 {
		t.Fatal("the killed lab up left nothing behind: the test proves nothing")
	}
	out, code := r.run(t, "up")
	if code != 0 {
		t.Fatalf("lab up after SIGKILL: exit %d:\n%s", code, out)
	}
	out, code = r.run(t, "status")
	if code != 0 || strings.Contains(out, "EXITED") || strings.Contains(out, "missing") {
		t.Fatalf("lab status after re-up: exit %d:\n%s", code, out)
	}
	if _, code := r.run(t, "down"); code != 0 {
		t.Fatalf("lab down: exit %d", code)
	}
	r.assertGone(t)
}

// TestLabNeedsRoot: without root, one line saying so, exit 2.
func TestLabNeedsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the check as another user")
	}
	bin := labBin(t)
	c := exec.Command(bin, "lab", "up")
	c.Dir = "/"
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := c.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("lab up as nobody: %v, want exit 2: %s", err, out)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "root") {
		t.Fatalf("want one line naming root, got %q", out)
	}
}

func TestLabUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"fly"}, {"up", "--scenario", "three-routers"}, {"up", "--prefix", "Bad_Prefix"}} {
		var buf bytes.Buffer
		err := runLab(context.Background(), cli.IO{Stdout: &buf, Stderr: &buf, Getenv: func(string) string { return "" }}, args)
		if code := cli.Code(err); code != 2 {
			t.Errorf("lab %v: exit %d (%v), want 2", args, code, err)
		}
	}
}

func TestLabTwoRouters(t *testing.T) {
	if testing.Short() {
		t.Skip("the lab takes a while; skipped with -short")
	}
	testScenario(t, lab.ScenarioTwoRouters)
}

// BenchmarkLabPaths measures TCP throughput (iperf3, 2 s each) over the
// lab's three IPv4/IPv6 paths in one run: IPv6 routed by the kernel (the
// baseline), the PC's IPv4 through the userspace MAP-E CE and BR, and a
// visitor's IPv4 to the server through the PPPoE session (our BRAS and
// dualpath's client data plane).
func BenchmarkLabPaths(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Skip("needs iperf3")
	}
	var bb [2]byte
	_, _ = rand.Read(bb[:])
	root, err := os.MkdirTemp("", "dualpath-labbench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(root)
	os.Chmod(root, 0o755)
	dir, _ := os.MkdirTemp("", "dualpath-labbin-")
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "dualpath")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v: %s", err, out)
	}
	r := &labRun{bin: bin, prefix: "dplb" + hex.EncodeToString(bb[:]) + "-", root: root}
	lab := func(args ...string) string {
		out, err := r.cmd(context.Background(), args...).CombinedOutput()
		if err != nil {
			b.Fatalf("lab %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	defer r.cmd(context.Background(), "down").Run()
	lab("up")
	type path struct {
		name, server, client, target string
		extra                        []string
	}
	// The PPPoE paths go from the session address (so by PPPoE: the policy
	// rule), both ways; the firewall keeps iperf3's port closed inbound.
	sess := strings.TrimSpace(lab("exec", "server", "--", "sh", "-c", "ip -4 -o addr show dev dp-ppp0 | awk '{print $4}' | cut -d/ -f1"))
	if sess == "" {
		b.Fatal("the server has no PPPoE session address")
	}
	paths := []path{
		{"ipv6-routed-baseline", "inet6", "pc", "2001:db8:f6::2", nil},
		{"ipv4-mape-userspace", "inet4", "pc", "192.0.2.2", nil},
		{"ipv4-pppoe-upload", "inet4", "server", "192.0.2.2", []string{"-B", sess}},
		{"ipv4-pppoe-download", "inet4", "server", "192.0.2.2", []string{"-B", sess, "-R"}},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range paths {
			ictx, icancel := context.WithTimeout(context.Background(), 30*time.Second)
			srv := r.cmd(ictx, "exec", p.server, "--", "iperf3", "-s", "-1", "-p", "5201")
			if err := srv.Start(); err != nil {
				b.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond) // let the server listen
			out := lab(append([]string{"exec", p.client, "--", "iperf3", "-c", p.target, "-p", "5201", "-t", "2", "-J", "--connect-timeout", "3000"}, p.extra...)...)
			_ = srv.Wait()
			icancel()
			var res struct {
				End struct {
					SumReceived struct {
						BitsPerSecond float64 `json:"bits_per_second"`
					} `json:"sum_received"`
				} `json:"end"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				b.Fatalf("%s: %v: %s", p.name, err, out)
			}
			b.ReportMetric(res.End.SumReceived.BitsPerSecond/1e6, p.name+"-Mbit/s")
		}
	}
}

// testIPv6FilterCheckFails closes the hole in the router's IPv6 filter on
// the running lab and runs check 10 (and check 5, the IPv6 visitor) once:
// both must fail, the check saying nothing is open; opened again, they
// hold. So check 10 can fail, and the filter is what lets visitors in.
func testIPv6FilterCheckFails(t *testing.T, r *labRun) {
	t.Helper()
	l, err := lab.New(lab.Options{Prefix: r.prefix, StateRoot: r.root, Bin: r.bin})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open, err := l.IPv6FilterOpen(ctx)
	if err != nil || len(open) != len(lab.IPv6FilterHole()) {
		t.Fatalf("the set-up opened %v (%v), want %v", open, err, lab.IPv6FilterHole())
	}
	if err := l.CloseIPv6Filter(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := l.TestOnly(ctx, 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rep.Results {
		if x.Outcome != lab.Fail {
			t.Errorf("hole closed: check %d %s: %s (seen %s), want FAIL", x.ID, x.Check, x.Outcome, x.Seen)
		}
		if x.ID == 10 && !strings.HasSuffix(x.Seen, ": TCP none; UDP none") {
			t.Errorf("hole closed: check 10 saw %q, want nothing open", x.Seen)
		}
	}
	if err := l.OpenIPv6Filter(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err = l.TestOnly(ctx, 5, 10); err != nil || !rep.Passed() || len(rep.Results) != 2 {
		t.Errorf("hole opened again: %+v %v", rep, err)
	}
	// A router that lets UDP to the decoy port in: check 10 sees it.
	out, code := r.run(t, "exec", "router", "--", "nft", "--echo", "--handle", "insert", "rule", "ip6", "dualpath_lab_hgw", "forward",
		"ip6", "daddr", lab.ServerIPv6().String(), "udp", "dport", strconv.Itoa(lab.DecoyPort), "accept")
	m := regexp.MustCompile(`# handle (\d+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("opening UDP %d in the router's IPv6 filter: exit %d: %s", lab.DecoyPort, code, out)
	}
	rep, err = l.TestOnly(ctx, 10)
	if err != nil || len(rep.Results) != 1 {
		t.Fatalf("check 10: %+v %v", rep, err)
	}
	if x := rep.Results[0]; x.Outcome != lab.Fail || !strings.HasSuffix(x.Seen, fmt.Sprintf("; UDP %d", lab.DecoyPort)) {
		t.Errorf("UDP hole in the router: check 10 %s, seen %q; want FAIL with UDP %d open", x.Outcome, x.Seen, lab.DecoyPort)
	}
	if out, code := r.run(t, "exec", "router", "--", "nft", "delete", "rule", "ip6", "dualpath_lab_hgw", "forward", "handle", m[1]); code != 0 {
		t.Fatalf("closing the router's UDP hole: exit %d: %s", code, out)
	}
	if rep, err = l.TestOnly(ctx, 10); err != nil || !rep.Passed() || len(rep.Results) != 1 {
		t.Errorf("router's UDP hole closed again: %+v %v", rep, err)
	}
}

// testUDPHoleFailsScan lets UDP to the server's decoy port through the
// server's firewall: check 6 must fail, seeing that UDP port open on the
// session address; closed again, it holds.
func testUDPHoleFailsScan(t *testing.T, r *labRun) {
	t.Helper()
	l, err := lab.New(lab.Options{Prefix: r.prefix, StateRoot: r.root, Bin: r.bin})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	closeHole := openUDPHole(t, r)
	rep, err := l.TestOnly(ctx, 6)
	if err != nil || len(rep.Results) != 1 {
		t.Fatalf("check 6: %+v %v", rep, err)
	}
	if x := rep.Results[0]; x.Outcome != lab.Fail || !strings.HasSuffix(x.Seen, fmt.Sprintf("; UDP %d", lab.DecoyPort)) {
		t.Errorf("UDP hole: check 6 %s, seen %q; want FAIL with UDP %d open", x.Outcome, x.Seen, lab.DecoyPort)
	}
	closeHole()
	if rep, err = l.TestOnly(ctx, 6); err != nil || !rep.Passed() || len(rep.Results) != 1 {
		t.Errorf("UDP hole closed again: %+v %v", rep, err)
	}
}

// TestLabIPIPFixed: the fixed-IP tunnel scenario passes every check that
// applies, including the prefix change.
func TestLabIPIPFixed(t *testing.T) {
	if testing.Short() {
		t.Skip("the lab takes a while; skipped with -short")
	}
	testScenario(t, lab.ScenarioIPIPFixed)
}
