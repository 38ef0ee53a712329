package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
)

// BenchmarkDaemonIdle measures the resident memory and CPU of `dualpath run`
// holding an idle PPPoE session with a real pppd (UML) for
// DUALPATH_BENCH_IDLE (default 60s), next to a baseline measured in the
// same run: the same daemon without a session (status and metrics only).
// Target: RSS under 20 MB. Run it with bench/daemon-rss.sh.
func BenchmarkDaemonIdle(b *testing.B) {
	idle := 60 * time.Second
	if s := os.Getenv("DUALPATH_BENCH_IDLE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("DUALPATH_BENCH_IDLE: %v", err)
		}
		idle = d
	}
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		// Baseline: no session.
		nsBase := netnstest.New(b, "bbase")
		dirBase := b.TempDir()
		cfgBase := filepath.Join(dirBase, "dualpath.yaml")
		sockBase := filepath.Join(dirBase, "status.sock")
		os.WriteFile(cfgBase, []byte(fmt.Sprintf("status:\n  socket: %s\nstate_dir: %s\n", sockBase, filepath.Join(dirBase, "state"))), 0o644)
		base := startDaemonB(b, nsBase, cfgBase, sockBase)

		ac := umlac.Start(b, umlac.PAP)
		dir := b.TempDir()
		pass := filepath.Join(dir, "pppoe.pass")
		os.WriteFile(pass, []byte(ac.Password+"\n"), 0o600)
		sock := filepath.Join(dir, "status.sock")
		cfg := filepath.Join(dir, "dualpath.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`interface: %s
pppoe:
  username: %s
  password_file: %s
expose:
  tcp: [80, 443]
status:
  socket: %s
state_dir: %s
`, umlac.ClientIf, ac.Username, pass, sock, filepath.Join(dir, "state"))), 0o644)
		sess := startDaemonB(b, ac.ClientNS, cfg, sock)
		if !netnstest.WaitFor(90*time.Second, func() bool {
			s, err := QueryStatus(b.Context(), sock)
			return err == nil && s.Session.State == StateUp
		}) {
			b.Fatalf("session not up:\n%s", sess.Output())
		}

		cpu0s, cpu0b := cpuTicks(b, sess.Cmd.Process.Pid), cpuTicks(b, base.Cmd.Process.Pid)
		start := time.Now()
		time.Sleep(idle)
		elapsed := time.Since(start)
		cpuS := float64(cpuTicks(b, sess.Cmd.Process.Pid)-cpu0s) / 100 / elapsed.Seconds() * 100
		cpuB := float64(cpuTicks(b, base.Cmd.Process.Pid)-cpu0b) / 100 / elapsed.Seconds() * 100
		rssS, rssB := rssMB(b, sess.Cmd.Process.Pid), rssMB(b, base.Cmd.Process.Pid)
		if s, err := QueryStatus(b.Context(), sock); err != nil || s.Session.State != StateUp {
			b.Fatalf("session not up at the end of the idle period: %v", err)
		}
		fmt.Printf("daemon idle %v with a PPPoE session up:  RSS %.1f MB, CPU %.2f%% of one core\n", elapsed.Round(time.Second), rssS, cpuS)
		fmt.Printf("baseline (same daemon, no session):     RSS %.1f MB, CPU %.2f%% of one core\n", rssB, cpuB)
		fmt.Printf("target: RSS < 20 MB -> %s\n", map[bool]string{true: "met", false: "NOT met"}[rssS < 20])
		b.ReportMetric(rssS, "rss-MB")
		b.ReportMetric(cpuS, "cpu-%")
		b.ReportMetric(rssB, "baseline-rss-MB")
		b.ReportMetric(cpuB, "baseline-cpu-%")
	}
}

// startDaemonB starts `dualpath run` for a benchmark and waits for its socket.
func startDaemonB(b *testing.B, ns *netnstest.NS, cfg, sock string) *netnstest.Proc {
	b.Helper()
	bin := benchBinary(b)
	p := ns.Start(bin, "run", "--config", cfg)
	if !netnstest.WaitFor(30*time.Second, func() bool { _, err := QueryStatus(b.Context(), sock); return err == nil }) {
		b.Fatalf("daemon not ready:\n%s", p.Output())
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p.Cmd.Process.Pid)); strings.TrimSpace(string(comm)) != "dualpath" {
		b.Fatalf("pid %d is %q, not the daemon", p.Cmd.Process.Pid, comm)
	}
	return p
}

func benchBinary(b *testing.B) string {
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "dualpath-daemon-test")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "dualpath")
		binErr = buildBinary(binPath)
	})
	if binErr != nil {
		b.Fatal(binErr)
	}
	return binPath
}

// cpuTicks is utime+stime of a process, in clock ticks (USER_HZ = 100).
func cpuTicks(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 on
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

// rssMB is VmRSS of a process in MB.
func rssMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
