package hostnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dualpath/dualpath/internal/netnstest"
)

const (
	permChildEnv   = "DUALPATH_HOSTNET_PERM_CHILD"
	filterChildEnv = "DUALPATH_HOSTNET_FILTER_CHILD"
)

// TestPermChild is a helper for TestErrorsNameMissingCapabilities: run
// without CAP_NET_ADMIN/CAP_NET_RAW it prints the errors users would see.
func TestPermChild(t *testing.T) {
	dir := os.Getenv(permChildEnv)
	if dir == "" {
		t.Skip("helper process for TestErrorsNameMissingCapabilities")
	}
	if os.Getenv(filterChildEnv) != "" {
		if err := refuseSocket(); err != nil {
			fmt.Printf("seccomp: %v\n", err)
			return
		}
	}
	_, err := OpenPacketConn("lo", 0x8864)
	fmt.Printf("packet: %v (is ErrPermission: %v)\n", err, errors.Is(err, ErrPermission))
	j, err := OpenJournal(filepath.Join(dir, "journal"))
	if err != nil {
		fmt.Printf("journal: %v\n", err)
		return
	}
	err = j.AddAddress("lo", netip.MustParsePrefix("192.0.2.1/32"))
	fmt.Printf("address: %v (is ErrPermission: %v)\n", err, errors.Is(err, ErrPermission))
}

func TestErrorsNameMissingCapabilities(t *testing.T) {
	netnstest.RequireCommand(t, "setpriv")
	ns := netnstest.New(t, "cap")
	dir := t.TempDir()
	cmd := ns.Command("setpriv", "--bounding-set=-net_raw,-net_admin", "--inh-caps=-net_raw,-net_admin", "--",
		os.Args[0], "-test.run=^TestPermChild$")
	cmd.Env = append(os.Environ(), permChildEnv+"="+dir)
	out, _ := cmd.CombinedOutput()
	for _, want := range []string{
		"packet: raw socket on lo: needs CAP_NET_ADMIN and CAP_NET_RAW (run as root or grant them) (is ErrPermission: true)",
		"address: add address 192.0.2.1/32 to lo: needs CAP_NET_ADMIN and CAP_NET_RAW (run as root or grant them) (is ErrPermission: true)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

// refuseSocket installs a seccomp filter on every thread of this process
// that makes socket(2) fail with EPERM, as systemd's SystemCallFilter= with
// SystemCallErrorNumber=EPERM or a container's profile does.
func refuseSocket() error {
	var arch uint32
	switch runtime.GOARCH {
	case "amd64":
		arch = unix.AUDIT_ARCH_X86_64
	case "arm64":
		arch = unix.AUDIT_ARCH_AARCH64
	default:
		return fmt.Errorf("no filter for %s", runtime.GOARCH)
	}
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	prog := []unix.SockFilter{
		{Code: ld, K: 4}, // seccomp_data.arch
		{Code: jeq, K: arch, Jt: 0, Jf: 3},
		{Code: ld, K: 0}, // seccomp_data.nr
		{Code: jeq, K: unix.SYS_SOCKET, Jt: 0, Jf: 1},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fp)))
	if e != 0 {
		return e
	}
	return nil
}

// TestErrorsNameTheFilter: with both capabilities held, an EPERM from a
// system call filter is not reported as a missing capability.
func TestErrorsNameTheFilter(t *testing.T) {
	if c, ok := EffectiveCaps(); !ok || !c.Has(CapNetAdmin, CapNetRaw) {
		t.Skip("needs CAP_NET_ADMIN and CAP_NET_RAW (the point is a refusal despite them)")
	}
	ns := netnstest.New(t, "flt")
	cmd := ns.Command(os.Args[0], "-test.run=^TestPermChild$")
	cmd.Env = append(os.Environ(), permChildEnv+"="+t.TempDir(), filterChildEnv+"=1")
	out, _ := cmd.CombinedOutput()
	if strings.Contains(string(out), "seccomp: ") {
		t.Skipf("cannot install a seccomp filter here: %s", out)
	}
	for _, want := range []string{
		"packet: look up interface lo: refused although CAP_NET_ADMIN and CAP_NET_RAW are held: a system call filter",
		"journal: netlink: refused although CAP_NET_ADMIN and CAP_NET_RAW are held: a system call filter",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "run as root") {
		t.Errorf("a filtered call is said to need root:\n%s", out)
	}
}

// TestJournalNeverUndoesWhatWasNotOurs: a device or address that existed
// before is left alone when our attempt to create it fails.
func TestJournalNeverUndoesWhatWasNotOurs(t *testing.T) {
	ns := dummyNS(t)
	ns.MustRun("ip", "tuntap", "add", "dptun0", "mode", "tun")
	ns.MustRun("ip", "addr", "add", "192.0.2.9/32", "dev", "d0")
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	if _, err := j.CreateTUN("dptun0", 1454); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("CreateTUN over an existing device: %v", err)
	}
	if _, err := j.CreateMacvlan("d0", "d1"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("CreateMacvlan over an existing device: %v", err)
	}
	if err := j.AddAddress("d0", netip.MustParsePrefix("192.0.2.9/32")); err == nil {
		t.Error("adding an existing address succeeded")
	}
	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	out := ns.MustRun("ip", "-o", "addr", "show") + ns.MustRun("ip", "-o", "link", "show")
	for _, want := range []string{"dptun0", "192.0.2.9/32", "d1@d0"} {
		if !strings.Contains(out, want) {
			t.Errorf("%s was removed although it was not ours:\n%s", want, out)
		}
	}
}
