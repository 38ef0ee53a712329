package daemon

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
)

// rssTargetMB is the target for the daemon holding an idle session
// (amd64).
const rssTargetMB = 15

// BenchmarkDaemonIdle measures the resident memory and CPU of `dualpath run`
// holding an idle PPPoE session with a real pppd (UML) for
// DUALPATH_BENCH_IDLE (default 60s), built as releases are (static,
// CGO_ENABLED=0, -trimpath, -s -w) for linux/amd64 and linux/386, next to
// a baseline measured in the same run: the same daemons without a session
// (status and metrics only). RSS is split into the binary's pages (file)
// and the rest (anonymous: heap, stacks). Run it with bench/daemon-rss.sh.
// DUALPATH_BENCH_DUMP=dir keeps, per arch and daemon, what the kernel says
// about its memory at the end of the idle period (after the figures are
// read): smaps, status and the binary's resident pages (dumpMemory).
func BenchmarkDaemonIdle(b *testing.B) {
	idle := 60 * time.Second
	if s := os.Getenv("DUALPATH_BENCH_IDLE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("DUALPATH_BENCH_IDLE: %v", err)
		}
		idle = d
	}
	archs := []string{"amd64", "386"}
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		bins := map[string]string{}
		for _, arch := range archs {
			bins[arch] = releaseBinary(b, arch)
		}
		// Baselines: no session, both builds side by side (one namespace
		// each: each serves metrics on the default port).
		base := map[string]*netnstest.Proc{}
		for _, arch := range archs {
			ns := netnstest.New(b, "bb"+arch)
			dir := b.TempDir()
			cfg, sock := filepath.Join(dir, "dualpath.yaml"), filepath.Join(dir, "status.sock")
			os.WriteFile(cfg, []byte(fmt.Sprintf("status:\n  socket: %s\nstate_dir: %s\n", sock, filepath.Join(dir, "state"))), 0o644)
			base[arch] = startDaemonB(b, ns, bins[arch], cfg, sock)
		}

		ac := umlac.Start(b, umlac.PAP)
		type result struct{ rss, anon, file, cpu, brss, banon, bfile, bcpu float64 }
		res := map[string]result{}
		for _, arch := range archs {
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
			sess := startDaemonB(b, ac.ClientNS, bins[arch], cfg, sock)
			if !netnstest.WaitFor(90*time.Second, func() bool {
				s, err := QueryStatus(b.Context(), sock)
				return err == nil && s.Session.State == StateUp
			}) {
				b.Fatalf("%s: session not up:\n%s", arch, sess.Output())
			}
			sp, bp := sess.Cmd.Process.Pid, base[arch].Cmd.Process.Pid
			cpu0s, cpu0b := cpuTicks(b, sp), cpuTicks(b, bp)
			start := time.Now()
			time.Sleep(idle)
			el := time.Since(start).Seconds()
			var r result
			r.cpu = float64(cpuTicks(b, sp)-cpu0s) / 100 / el * 100
			r.bcpu = float64(cpuTicks(b, bp)-cpu0b) / 100 / el * 100
			r.rss, r.anon, r.file = rssMB(b, sp)
			r.brss, r.banon, r.bfile = rssMB(b, bp)
			if dir := os.Getenv("DUALPATH_BENCH_DUMP"); dir != "" {
				dumpMemory(b, filepath.Join(dir, arch, "session"), sp)
				dumpMemory(b, filepath.Join(dir, arch, "baseline"), bp)
			}
			if s, err := QueryStatus(b.Context(), sock); err != nil || s.Session.State != StateUp {
				b.Fatalf("%s: session not up at the end of the idle period: %v", arch, err)
			}
			res[arch] = r
			sess.Signal(syscall.SIGTERM) // PADT; the next build dials the same AC
			if err := sess.Wait(20 * time.Second); err != nil {
				b.Fatalf("%s: daemon did not stop: %v", arch, err)
			}
		}
		fmt.Printf("daemon idle %v, built like a release (static, -trimpath, -s -w); MB:\n", idle)
		fmt.Printf("%-6s %-22s %6s %6s %6s %7s\n", "arch", "", "RSS", "file", "anon", "CPU %")
		for _, arch := range archs {
			r := res[arch]
			fmt.Printf("%-6s %-22s %6.1f %6.1f %6.1f %7.2f\n", arch, "PPPoE session up", r.rss, r.file, r.anon, r.cpu)
			fmt.Printf("%-6s %-22s %6.1f %6.1f %6.1f %7.2f\n", arch, "baseline: no session", r.brss, r.bfile, r.banon, r.bcpu)
		}
		fmt.Printf("target: RSS <= %d MB with a session (amd64) -> %s\n", rssTargetMB,
			map[bool]string{true: "met", false: "NOT met"}[res["amd64"].rss <= rssTargetMB])
		b.ReportMetric(res["amd64"].rss, "rss-MB")
		b.ReportMetric(res["amd64"].cpu, "cpu-%")
		b.ReportMetric(res["386"].rss, "386-rss-MB")
		b.ReportMetric(res["amd64"].brss, "baseline-rss-MB")
		b.ReportMetric(res["386"].brss, "386-baseline-rss-MB")
	}
}

var releaseBins sync.Map // arch -> path

// releaseBinary builds dualpath for linux/arch the way scripts/release.sh
// does, once per test binary.
func releaseBinary(b *testing.B, arch string) string {
	if p, ok := releaseBins.Load(arch); ok {
		return p.(string)
	}
	dir, err := os.MkdirTemp("", "dualpath-rss-")
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "dualpath")
	cmd := exec.Command(goTool(), "build", "-trimpath", "-ldflags", "-s -w", "-o", p, "github.com/dualpath/dualpath/cmd/dualpath")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build for %s: %v: %s", arch, err, out)
	}
	if err := exec.Command(p, "version").Run(); err != nil {
		b.Skipf("cannot run the linux/%s build here: %v", arch, err)
	}
	releaseBins.Store(arch, p)
	return p
}

// startDaemonB starts `dualpath run` for a benchmark and waits for its socket.
func startDaemonB(b *testing.B, ns *netnstest.NS, bin, cfg, sock string) *netnstest.Proc {
	b.Helper()
	p := ns.Start(bin, "run", "--config", cfg)
	if !netnstest.WaitFor(30*time.Second, func() bool { _, err := QueryStatus(b.Context(), sock); return err == nil }) {
		b.Fatalf("daemon not ready:\n%s", p.Output())
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p.Cmd.Process.Pid)); strings.TrimSpace(string(comm)) != "dualpath" {
		b.Fatalf("pid %d is %q, not the daemon", p.Cmd.Process.Pid, comm)
	}
	return p
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

// rssMB is VmRSS of a process in MB, with its anonymous part (heap,
// stacks) and its file-backed part (the binary's pages).
func rssMB(b *testing.B, pid int) (rss, anon, file float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "RssAnon:":
			anon = kb / 1024
		case "RssFile:":
			file = kb / 1024
		}
	}
	if rss == 0 {
		b.Fatal("no VmRSS")
	}
	return rss, anon, file
}

// dumpMemory writes /proc/pid/{smaps,status} into dir, and resident.txt:
// the addresses of the pages of the executable's mappings that are
// resident (from /proc/pid/pagemap), one hex address a line. Matched
// against `go tool nm -size` of the same build without -s -w (same layout),
// they say which packages' code, and which parts of the pclntab, the
// kernel mapped (in 64 KB fault-around blocks).
func dumpMemory(b *testing.B, dir string, pid int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{"smaps", "status"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f))
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		b.Fatal(err)
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		b.Fatal(err)
	}
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer pm.Close()
	page := uint64(os.Getpagesize())
	var out strings.Builder
	for _, l := range strings.Split(string(maps), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || f[5] != exe {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		entries := make([]byte, (end-start)/page*8)
		if _, err := pm.ReadAt(entries, int64(start/page*8)); err != nil {
			b.Fatalf("pagemap: %v", err)
		}
		for i := uint64(0); i < (end-start)/page; i++ {
			if binary.LittleEndian.Uint64(entries[i*8:])&(1<<63) != 0 { // present
				fmt.Fprintf(&out, "%x\n", start+i*page)
			}
		}
	}
	os.WriteFile(filepath.Join(dir, "resident.txt"), []byte(out.String()), 0o644)
}
