// Package netnstest gives tests their own network namespaces, veth links and
// processes, named with a unique prefix and removed when the test ends, even
// when it fails. Tests that use it never touch the machine's own namespace.
//
// Tests needing it skip with a one-line reason when not run as root or when
// the machine lacks `ip netns`.
package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireRoot skips the test unless it runs as root with iproute2 present.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces): run the README's test command as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (`ip`): run scripts/deps.sh")
	}
}

// RequireCommand skips the test when a program is missing.
func RequireCommand(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("needs %s: run scripts/deps.sh", n)
		}
	}
}

// Prefix is the start of every namespace these helpers create; `ip netns list`
// after a test run should show none of them.
const Prefix = "dpt"

// UniqueName returns "dpt<6 hex>-<short>" (short is trimmed to keep it under 15 chars).
func UniqueName(short string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	if len(short) > 6 {
		short = short[:6]
	}
	return Prefix + hex.EncodeToString(b[:]) + "-" + short
}

// ownersDir holds one file per live test namespace, holding the PID of the
// test process that made it, so that namespaces of a test binary that died
// without its cleanups (SIGKILL, a -timeout panic) are swept by the next one.
const ownersDir = "/run/dualpath-netnstest"

// sweepOrphans deletes test namespaces whose owning process is gone.
func sweepOrphans() {
	entries, _ := os.ReadDir(ownersDir)
	for _, e := range entries {
		b, err := os.ReadFile(ownersDir + "/" + e.Name())
		if err != nil {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			Delete(e.Name())
		}
	}
}

var sweepOnce sync.Once

// NS is a network namespace that lives for one test.
type NS struct {
	Name string
	t    testing.TB
	mu   sync.Mutex
}

// New creates a namespace with loopback up; it is deleted (after killing every
// process inside it) when the test ends.
func New(t testing.TB, short string) *NS {
	t.Helper()
	RequireRoot(t)
	sweepOnce.Do(sweepOrphans)
	ns := &NS{Name: UniqueName(short), t: t}
	if err := os.MkdirAll(ownersDir, 0o700); err == nil {
		_ = os.WriteFile(ownersDir+"/"+ns.Name, []byte(fmt.Sprint(os.Getpid())), 0o600)
	}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		os.Remove(ownersDir + "/" + ns.Name)
		t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, out)
	}
	t.Cleanup(func() { Delete(ns.Name) })
	ns.MustRun("ip", "link", "set", "lo", "up")
	return ns
}

// Delete kills every process in the namespace and deletes it. Safe to call twice.
func Delete(name string) {
	for i := 0; i < 20; i++ {
		out, _ := exec.Command("ip", "netns", "pids", name).Output()
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			var pid int
			fmt.Sscan(p, &pid)
			if pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = exec.Command("ip", "netns", "del", name).Run()
	os.Remove(ownersDir + "/" + name)
}

// Command returns a command that runs inside the namespace.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Run runs a command in the namespace and returns its combined output.
func (ns *NS) Run(name string, args ...string) (string, error) {
	var buf bytes.Buffer
	c := ns.Command(name, args...)
	c.Stdout, c.Stderr = &buf, &buf
	err := c.Run()
	if err != nil {
		err = fmt.Errorf("[%s] %s %s: %v: %s", ns.Name, name, strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return buf.String(), err
}

// MustRun is Run that fails the test on error.
func (ns *NS) MustRun(name string, args ...string) string {
	ns.t.Helper()
	out, err := ns.Run(name, args...)
	if err != nil {
		ns.t.Fatal(err)
	}
	return out
}

// Start starts a background command in the namespace; it is killed when the
// test ends. Its output goes to the returned buffer-backed log (read it with
// Output after it exits, or use your own Stdout before calling Start).
func (ns *NS) Start(name string, args ...string) *Proc {
	ns.t.Helper()
	p := &Proc{Cmd: ns.Command(name, args...)}
	p.Cmd.Stdout, p.Cmd.Stderr = &p.out, &p.out
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.Cmd.Start(); err != nil {
		ns.t.Fatalf("[%s] start %s: %v", ns.Name, name, err)
	}
	p.done = make(chan struct{})
	go func() { p.err = p.Cmd.Wait(); close(p.done) }()
	ns.t.Cleanup(p.Kill)
	return p
}

// Proc is a background process started by Start.
type Proc struct {
	Cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error
}

// Kill sends SIGKILL to the process group and waits for it.
func (p *Proc) Kill() {
	if p.Cmd.Process != nil {
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

// Signal sends sig to the process group.
func (p *Proc) Signal(sig syscall.Signal) { _ = syscall.Kill(-p.Cmd.Process.Pid, sig) }

// Wait waits up to d for the process to exit and returns its error, or an
// error saying it still runs.
func (p *Proc) Wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("still running after %v", d)
	}
}

// Output returns what the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Veth links namespace a (interface aIf) and b (interface bIf), both up.
// The pair disappears with either namespace.
func Veth(t testing.TB, a *NS, aIf string, b *NS, bIf string) {
	t.Helper()
	tmpA, tmpB := "dpv"+randHex(4), "dpv"+randHex(4)
	if out, err := exec.Command("ip", "link", "add", tmpA, "netns", a.Name, "type", "veth", "peer", "name", tmpB, "netns", b.Name).CombinedOutput(); err != nil {
		t.Fatalf("veth %s<->%s: %v: %s", a.Name, b.Name, err, out)
	}
	a.MustRun("ip", "link", "set", tmpA, "name", aIf)
	b.MustRun("ip", "link", "set", tmpB, "name", bIf)
	a.MustRun("ip", "link", "set", aIf, "up")
	b.MustRun("ip", "link", "set", bIf, "up")
}

// WaitFor polls cond every 50 ms until it returns true or d passes. It is for
// waiting on the world to settle, never for asserting speed.
func WaitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
