package netnstest

import (
	"os/exec"
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
