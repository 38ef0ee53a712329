// Package umlac runs a real PPPoE access concentrator — Linux pppd with the
// rp-pppoe plugin under rp-pppoe's pppoe-server — inside User-Mode Linux, as
// an interop peer for tests on machines without kernel PPP. UML is an
// ordinary process: no KVM and no disk image; its root file system is a
// directory on the host (hostfs) built from Debian packages
// (user-mode-linux, ppp, pppoe, busybox-static, libpcap0.8).
//
// Setup builds that directory once into a cache shared between test runs
// (guarded by a file lock); Start boots one AC per test in its own network
// namespace, linked by a veth pair to a client namespace, and removes
// everything when the test ends.
package umlac

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// Fixed facts of the lab AC, for assertions.
const (
	Username    = "dpuser"
	Password    = "dp-test-secret"
	ACName      = "dp-umlac"
	ServiceName = "dp-svc"
	ClientIf    = "cl0" // the client's interface in ClientNS
	ACIf        = "ac0" // the AC's interface in its namespace (UML's vec0)
)

// Addresses pppd hands out (pppoe-server -L / -R and ms-dns).
var (
	ACAddr    = netip.MustParseAddr("192.0.2.1")
	PoolStart = netip.MustParseAddr("192.0.2.100")
	DNS1      = netip.MustParseAddr("192.0.2.53")
	DNS2      = netip.MustParseAddr("192.0.2.54")
)

// recipe names the layout of the cached root; bump it when the root changes.
const recipe = "v3"

// Packages holds the Debian packages the AC is built from.
var Packages = []string{"user-mode-linux", "ppp", "pppoe", "busybox-static", "libpcap0.8"}

// CacheDir is where Setup keeps the built root between test runs; the
// environment variable DUALPATH_UMLAC_CACHE overrides it.
func CacheDir() string {
	if d := os.Getenv("DUALPATH_UMLAC_CACHE"); d != "" {
		return d
	}
	return "/var/tmp/dualpath-umlac"
}

// Kit is a built AC root: the UML kernel and its hostfs root directory.
type Kit struct {
	Kernel string // linux.uml
	Root   string // hostfs root with busybox, pppd, pppoe-server, modules, /init
	// Preload is the ptrace shim UML runs with (see xstateShim); empty when
	// no C compiler was available to build it.
	Preload string
}

var (
	setupOnce sync.Once
	setupKit  *Kit
	setupErr  error
)

// Setup returns the built kit, building it on first use. It skips the test
// (one line) when not root or when the packages cannot be had.
func Setup(t testing.TB) *Kit {
	t.Helper()
	netnstest.RequireRoot(t)
	setupOnce.Do(func() { setupKit, setupErr = build(CacheDir()) })
	if setupErr != nil {
		if os.Getenv("DUALPATH_UMLAC_REQUIRE") != "" {
			t.Fatalf("umlac: %v", setupErr)
		}
		t.Skipf("umlac: %v (run scripts/deps.sh)", setupErr)
	}
	return setupKit
}

// build makes cache/<recipe>/root once, under an exclusive lock on
// cache/lock, so concurrent test binaries wait for one builder.
func build(cache string) (*Kit, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(cache, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	dir := filepath.Join(cache, recipe)
	kit := &Kit{Kernel: filepath.Join(dir, "linux.uml"), Root: filepath.Join(dir, "root")}
	if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
		if _, err := os.Stat(filepath.Join(dir, shimName)); err == nil {
			kit.Preload = filepath.Join(dir, shimName)
		}
		return kit, nil
	}
	src, err := packageFiles()
	if err != nil {
		return nil, err
	}
	tmp := dir + ".build"
	os.RemoveAll(tmp)
	if err := assemble(src, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("building the AC root: %w", err)
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, shimName)); err == nil {
		kit.Preload = filepath.Join(dir, shimName)
	}
	return kit, os.WriteFile(filepath.Join(dir, "ready"), []byte(recipe+"\n"), 0o644)
}

// needed are the files the root is made of, relative to a package tree.
var needed = []string{
	"usr/bin/linux.uml", "usr/sbin/pppd", "usr/sbin/pppoe-server", "usr/sbin/pppoe", "bin/busybox",
	"usr/lib/x86_64-linux-gnu/libpcap.so.0.8",
}

// packageFiles returns the directory that holds the packages' files: "/"
// once scripts/deps.sh installed them. Tests never download anything
// themselves (they send traffic only inside their own namespaces).
func packageFiles() (string, error) {
	if haveAll("/") {
		return "/", nil
	}
	return "", fmt.Errorf("the real access concentrator needs the Debian packages %s installed", strings.Join(Packages, " "))
}

func haveAll(root string) bool {
	for _, f := range needed {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			return false
		}
	}
	m, _ := filepath.Glob(filepath.Join(root, "usr/lib/pppd/*/pppoe.so"))
	k, _ := filepath.Glob(filepath.Join(root, "usr/lib/uml/modules/*/kernel/drivers/net/ppp/pppoe.ko"))
	return len(m) > 0 && len(k) > 0
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// modules are the UML kernel modules pppd and pppoe-server need, in load
// order.
var modules = []string{
	"lib/crc-ccitt.ko", "drivers/net/slip/slhc.ko", "drivers/net/ppp/ppp_generic.ko",
	"drivers/net/ppp/ppp_async.ko", "drivers/net/ppp/ppp_synctty.ko",
	"drivers/net/ppp/pppox.ko", "drivers/net/ppp/pppoe.ko",
	"net/ipv6/ipv6.ko", // pppd's IPv6CP needs it to configure ppp0
}

// assemble builds the hostfs root in dir from the package tree src.
func assemble(src, dir string) error {
	r := filepath.Join(dir, "root")
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "lib/x86_64-linux-gnu", "lib64", "lib/modules",
		"etc/ppp/plugins", "proc", "sys", "dev", "tmp", "run", "var/run", "var/log", "ctl", "root"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			return err
		}
	}
	cp := func(from, to string) error {
		out, err := exec.Command("cp", "-L", from, to).CombinedOutput()
		if err != nil {
			return fmt.Errorf("cp %s: %v: %s", from, err, lastLine(out))
		}
		return nil
	}
	if err := cp(filepath.Join(src, "usr/bin/linux.uml"), filepath.Join(dir, "linux.uml")); err != nil {
		return err
	}
	buildShim(dir)
	if err := cp(filepath.Join(src, "bin/busybox"), filepath.Join(r, "bin/busybox")); err != nil {
		return err
	}
	list, err := exec.Command(filepath.Join(r, "bin/busybox"), "--list-full").Output()
	if err != nil {
		return fmt.Errorf("busybox --list-full: %v", err)
	}
	for _, p := range strings.Fields(string(list)) {
		if _, err := os.Lstat(filepath.Join(r, p)); err == nil {
			continue
		}
		if err := os.Symlink("/bin/busybox", filepath.Join(r, p)); err != nil {
			return err
		}
	}
	for _, b := range []string{"pppd", "pppoe-server", "pppoe"} {
		if err := cp(filepath.Join(src, "usr/sbin", b), filepath.Join(r, "usr/sbin", b)); err != nil {
			return err
		}
	}
	plugins, _ := filepath.Glob(filepath.Join(src, "usr/lib/pppd/*"))
	if len(plugins) == 0 {
		return fmt.Errorf("no pppd plugin directory in %s", src)
	}
	pv := filepath.Base(plugins[0])
	if err := os.MkdirAll(filepath.Join(r, "usr/lib/pppd", pv), 0o755); err != nil {
		return err
	}
	if err := cp(filepath.Join(plugins[0], "pppoe.so"), filepath.Join(r, "usr/lib/pppd", pv, "pppoe.so")); err != nil {
		return err
	}
	if err := os.Symlink("/usr/lib/pppd/"+pv+"/pppoe.so", filepath.Join(r, "etc/ppp/plugins/rp-pppoe.so")); err != nil {
		return err
	}
	libdir := filepath.Join(r, "lib/x86_64-linux-gnu")
	if err := cp(filepath.Join(src, "usr/lib/x86_64-linux-gnu/libpcap.so.0.8"), libdir); err != nil {
		return err
	}
	// The other libraries pppd links against come from the host (they are
	// part of every Debian system: libc, libssl, libpam, ...).
	ldd := exec.Command("ldd", filepath.Join(r, "usr/sbin/pppd"), filepath.Join(r, "usr/sbin/pppoe-server"),
		filepath.Join(r, "usr/lib/pppd", pv, "pppoe.so"))
	ldd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+libdir)
	out, err := ldd.Output()
	if err != nil {
		return fmt.Errorf("ldd pppd: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/") && !strings.HasPrefix(f[2], r) {
			if err := cp(f[2], libdir); err != nil {
				return err
			}
		}
	}
	if err := cp("/lib64/ld-linux-x86-64.so.2", filepath.Join(r, "lib64")); err != nil {
		return err
	}
	kdirs, _ := filepath.Glob(filepath.Join(src, "usr/lib/uml/modules/*"))
	if len(kdirs) == 0 {
		return fmt.Errorf("no UML modules in %s", src)
	}
	for _, m := range modules {
		if err := cp(filepath.Join(kdirs[0], "kernel", m), filepath.Join(r, "lib/modules")); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd":      "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":       "root:x:0:\n",
		"etc/ppp/options": "",
		// The options every session gets; /init replaces the auth line.
		"etc/ppp/pppoe-server-options": "require-pap\nlcp-echo-interval 10\nlcp-echo-failure 3\n" +
			"ms-dns " + DNS1.String() + "\nms-dns " + DNS2.String() + "\ndebug\nlogfile /var/log/pppd.log\nnodefaultroute\n+ipv6\n",
		"etc/ppp/pap-secrets":  fmt.Sprintf("%q * %q *\n", Username, Password),
		"etc/ppp/chap-secrets": fmt.Sprintf("%q * %q *\n", Username, Password),
		"init":                 initScript,
	}
	for name, content := range files {
		mode := os.FileMode(0o644)
		switch {
		case strings.HasSuffix(name, "-secrets"):
			mode = 0o600
		case name == "init":
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(r, name), []byte(content), mode); err != nil {
			return err
		}
	}
	return nil
}

const shimName = "ptrace-xstate.so"

// xstateShim works around UML 6.1 on hosts with large XSAVE state (Intel
// AMX: 11 KiB): UML restores a guest process's FPU registers with
// PTRACE_SETREGSET(NT_X86_XSTATE) and a buffer sized for older CPUs, and
// the host kernel insists on the full size (EFAULT), so /init dies with
// "ptrace set fp regs failed, errno = 14". The shim, preloaded into UML,
// completes such a short buffer with the rest of the tracee's current state.
// It only touches UML's ptrace calls, not the AC's behaviour. Written
// without libc headers so that only gcc (no libc6-dev) is needed.
const xstateShim = `typedef unsigned long size_t;
struct iovec { void *iov_base; size_t iov_len; };
extern void *dlsym(void *, const char *);
extern void *memcpy(void *, const void *, size_t);
#define RTLD_NEXT ((void *)-1l)
#define PTRACE_GETREGSET 0x4204
#define PTRACE_SETREGSET 0x4205
#define NT_X86_XSTATE 0x202
static long (*real_ptrace)(int, int, void *, void *);
static char full[1 << 16] __attribute__((aligned(64)));
long ptrace(int req, int pid, void *addr, void *data) {
	if (!real_ptrace)
		real_ptrace = (long (*)(int, int, void *, void *))dlsym(RTLD_NEXT, "ptrace");
	if (req == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE && data) {
		struct iovec *iov = data;
		struct iovec all = {full, sizeof full};
		if (real_ptrace(PTRACE_GETREGSET, pid, addr, &all) == 0 && all.iov_len > iov->iov_len) {
			memcpy(full, iov->iov_base, iov->iov_len);
			return real_ptrace(PTRACE_SETREGSET, pid, addr, &all);
		}
	}
	return real_ptrace(req, pid, addr, data);
}
`

// buildShim compiles xstateShim into dir if a C compiler is present; on
// hosts without large XSAVE state UML runs fine without it.
func buildShim(dir string) {
	src := filepath.Join(dir, "ptrace-xstate.c")
	if os.WriteFile(src, []byte(xstateShim), 0o644) != nil {
		return
	}
	_ = exec.Command("gcc", "-shared", "-fPIC", "-nostdlib", "-O2", "-o", filepath.Join(dir, shimName), src).Run()
}

// initScript is PID 1 inside UML. The per-test control directory is a
// second hostfs mount at /ctl (kernel argument dpctl=); commands written to
// /ctl/cmd run and their output lands in /ctl/out. Extra pppd options come
// from /ctl/pppd-options, pppoe-server flags from dpmax= (session limit).
const initScript = `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null; mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
for d in /tmp /run /var/run /var/log /root; do mount -t tmpfs tmpfs $d; done
arg() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
mount -t hostfs none /ctl -o "$(arg dpctl)"
for m in crc-ccitt slhc ppp_generic ppp_async ppp_synctty pppox pppoe ipv6; do insmod /lib/modules/$m.ko; done
[ -e /dev/ppp ] || mknod /dev/ppp c 108 0
ip link set lo up; ip link set vec0 up
AUTH=$(arg dpauth); [ -n "$AUTH" ] || AUTH=pap
MAX=$(arg dpmax); [ -n "$MAX" ] || MAX=8
sed "s/^require-pap/require-$AUTH/" /etc/ppp/pppoe-server-options > /tmp/opts
[ -f /ctl/pppd-options ] && cat /ctl/pppd-options >> /tmp/opts
syslogd -O /var/log/messages
pppoe-server -I vec0 -L 192.0.2.1 -R 192.0.2.100 -N $MAX -C dp-umlac -S dp-svc -O /tmp/opts -F &
echo "[dp-umlac] READY auth=$AUTH"
( while true; do sleep 1; for f in /var/log/pppd.log /var/log/messages; do [ -s $f ] && { sed "s|^|[$f] |" $f; : > $f; }; done; done ) &
exec sh -c 'while true; do if [ -f /ctl/cmd ]; then mv /ctl/cmd /tmp/cmd.sh; sh /tmp/cmd.sh > /tmp/out 2>&1; echo "rc=$?" >> /tmp/out; cp /tmp/out /ctl/out.tmp; mv /ctl/out.tmp /ctl/out; fi; sleep 0.2; done'
`

// Auth is the authentication pppd requires: "pap" or "chap" (CHAP-MD5).
type Auth string

// Authentication methods.
const (
	PAP  Auth = "pap"
	CHAP Auth = "chap"
)

// Options tune one AC.
type Options struct {
	Auth        Auth   // default PAP
	MaxSessions int    // pppoe-server -N (default 8)
	PPPDOptions string // extra lines for pppd's options file
}

// AC is one running access concentrator.
type AC struct {
	ClientNS *netnstest.NS // the client under test runs here, on ClientIf
	ACNS     *netnstest.NS // UML's namespace (ACIf is UML's vec0)
	Auth     Auth
	Username string
	Password string

	t      testing.TB
	ctlDir string
	kit    *Kit
	opts   Options
	proc   *netnstest.Proc
	logs   []*netnstest.Proc
	mu     sync.Mutex
	killed bool
}

// Start boots an AC requiring auth, with default options.
func Start(t testing.TB, auth Auth) *AC { return StartWith(t, Options{Auth: auth}) }

// StartWith boots an AC in a fresh namespace pair and waits until
// pppoe-server runs. Everything is removed when the test ends.
func StartWith(t testing.TB, o Options) *AC {
	t.Helper()
	kit := Setup(t)
	if o.Auth == "" {
		o.Auth = PAP
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 8
	}
	acNS := netnstest.New(t, "ac")
	clNS := netnstest.New(t, "cl")
	netnstest.Veth(t, acNS, ACIf, clNS, ClientIf)
	ctl := t.TempDir()
	if o.PPPDOptions != "" {
		if err := os.WriteFile(filepath.Join(ctl, "pppd-options"), []byte(o.PPPDOptions+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := &AC{ClientNS: clNS, ACNS: acNS, Auth: o.Auth, Username: Username, Password: Password, t: t, ctlDir: ctl, kit: kit, opts: o}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("UML AC log:\n%s", a.Log())
		}
	})
	a.boot()
	return a
}

// boot starts UML and waits for pppoe-server.
func (a *AC) boot() {
	a.t.Helper()
	var id [4]byte
	_, _ = rand.Read(id[:])
	a.proc = a.ACNS.Start("env", "LD_PRELOAD="+a.kit.Preload, a.kit.Kernel, "umid=dpac"+hex.EncodeToString(id[:]), "uml_dir="+a.t.TempDir(), "mem=128M",
		"root=/dev/root", "rootfstype=hostfs", "rootflags="+a.kit.Root, "ro", "init=/init",
		"vec0:transport=raw,ifname="+ACIf, "con=null", "con0=null,fd:1",
		"dpctl="+a.ctlDir, "dpauth="+string(a.opts.Auth), fmt.Sprintf("dpmax=%d", a.opts.MaxSessions))
	a.logs = append(a.logs, a.proc)
	a.killed = false
	if !netnstest.WaitFor(90*time.Second, func() bool { return strings.Contains(a.proc.Output(), "[dp-umlac] READY") }) {
		a.t.Fatalf("umlac: the AC did not come up within 90 s:\n%s", a.Log())
	}
}

// Restart kills the AC without PADT (as Stop) and boots a fresh one in the
// same namespaces: a silent AC that comes back.
func (a *AC) Restart() {
	a.t.Helper()
	a.Stop()
	a.boot()
}

// Log returns what UML printed so far (console, pppd log, syslog).
func (a *AC) Log() string {
	var b strings.Builder
	for i, p := range a.logs {
		if i > 0 {
			fmt.Fprintf(&b, "---- UML boot %d ----\n", i+1)
		}
		b.WriteString(p.Output())
	}
	return b.String()
}

// Ctl runs a shell command inside the AC (e.g. "killall pppd") and returns
// its output, which ends with "rc=N".
func (a *AC) Ctl(cmd string) (string, error) {
	out := filepath.Join(a.ctlDir, "out")
	os.Remove(out)
	if err := os.WriteFile(filepath.Join(a.ctlDir, "cmd.tmp"), []byte(cmd+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(a.ctlDir, "cmd.tmp"), filepath.Join(a.ctlDir, "cmd")); err != nil {
		return "", err
	}
	var b []byte
	if !netnstest.WaitFor(30*time.Second, func() bool {
		var err error
		b, err = os.ReadFile(out)
		return err == nil
	}) {
		return "", fmt.Errorf("umlac: command %q got no answer within 30 s", cmd)
	}
	return string(b), nil
}

// MustCtl is Ctl that fails the test on error or a non-zero exit status.
func (a *AC) MustCtl(cmd string) string {
	a.t.Helper()
	out, err := a.Ctl(cmd)
	if err != nil {
		a.t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "rc=0") {
		a.t.Fatalf("umlac: %q: %s", cmd, out)
	}
	return out
}

// Stop kills UML at once: pppd gets no chance to send a PADT or LCP
// Terminate, as when the AC silently goes away. The namespaces remain.
func (a *AC) Stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.killed {
		return
	}
	a.killed = true
	a.proc.Kill()
	// UML's helper processes: whatever is left in the AC namespace.
	out, _ := exec.Command("ip", "netns", "pids", a.ACNS.Name).Output()
	for _, p := range strings.Fields(string(out)) {
		var pid int
		fmt.Sscan(p, &pid)
		if pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
