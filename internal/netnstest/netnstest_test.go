package netnstest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNamespacesPingAndCleanup(t *testing.T) {
	RequireRoot(t)
	var name string
	t.Run("inner", func(t *testing.T) {
		a, b := New(t, "a"), New(t, "b")
		name = a.Name
		Veth(t, a, "eth0", b, "eth0")
		a.MustRun("ip", "addr", "add", "10.99.0.1/24", "dev", "eth0")
		b.MustRun("ip", "addr", "add", "10.99.0.2/24", "dev", "eth0")
		if !WaitFor(3*time.Second, func() bool { _, err := a.Run("ping", "-c1", "-W1", "10.99.0.2"); return err == nil }) {
			t.Fatal("no ping between the two namespaces")
		}
		p := b.Start("sleep", "60")
		if err := p.Wait(100 * time.Millisecond); err == nil {
			t.Fatal("sleep exited early")
		}
	})
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), name) {
		t.Fatalf("namespace %s left behind", name)
	}
}

// A namespace whose test process died (no cleanup ran) is removed by the
// next test that makes one.
func TestOrphansAreSwept(t *testing.T) {
	RequireRoot(t)
	// A process that exits at once stands for the dead test binary.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	name := UniqueName("orphan")
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() { Delete(name) })
	if err := os.MkdirAll(ownersDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ownersDir+"/"+name, []byte(strconv.Itoa(dead.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	sweepOrphans()
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), name) {
		t.Fatalf("orphan namespace %s was not swept", name)
	}
	if _, err := os.Stat(ownersDir + "/" + name); !os.IsNotExist(err) {
		t.Fatalf("owner file of %s left: %v", name, err)
	}
}
