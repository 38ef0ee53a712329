package hostnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/netnstest"
)

const permChildEnv = "DUALPATH_HOSTNET_PERM_CHILD"

// TestPermChild is a helper for TestErrorsNameMissingCapabilities: run
// without CAP_NET_ADMIN/CAP_NET_RAW it prints the errors users would see.
func TestPermChild(t *testing.T) {
	dir := os.Getenv(permChildEnv)
	if dir == "" {
		t.Skip("helper process for TestErrorsNameMissingCapabilities")
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
