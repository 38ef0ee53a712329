package hostnet

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestFirewallOpensOnlyListedPorts: a server namespace listens on three TCP
// ports; a peer namespace connects through a veth. With the firewall on the
// server's veth only the listed ports answer, ICMP echo follows the flag,
// and established connections survive; without it all answer.
func TestFirewallOpensOnlyListedPorts(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	srv, peer := netnstest.New(t, "fws"), netnstest.New(t, "fwp")
	netnstest.Veth(t, srv, "wan0", peer, "eth0")
	srv.MustRun("ip", "addr", "add", "10.77.0.1/24", "dev", "wan0")
	peer.MustRun("ip", "addr", "add", "10.77.0.2/24", "dev", "eth0")

	ports := []int{80, 443, 8080}
	err := InNamespace(srv.Name, func() error {
		for _, p := range ports {
			ln, err := net.Listen("tcp", fmt.Sprintf(":%d", p))
			if err != nil {
				return err
			}
			t.Cleanup(func() { ln.Close() })
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Write([]byte("hi\n"))
					go func() { b := make([]byte, 1); c.Read(b); c.Close() }()
				}
			}()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	open := func() string {
		var got []string
		for _, p := range ports {
			var c net.Conn
			_ = InNamespace(peer.Name, func() (err error) {
				c, err = net.DialTimeout("tcp", fmt.Sprintf("10.77.0.1:%d", p), 700*time.Millisecond)
				return err
			})
			if c != nil {
				got = append(got, fmt.Sprint(p))
				c.Close()
			}
		}
		return strings.Join(got, ",")
	}
	ping := func() bool { _, err := peer.Run("ping", "-c1", "-W1", "10.77.0.1"); return err == nil }

	if !netnstest.WaitFor(3*time.Second, func() bool { return open() == "80,443,8080" }) {
		t.Fatalf("without firewall open ports = %s, want all", open())
	}
	// an established connection, opened before the firewall on a port it closes
	var est net.Conn
	if err := InNamespace(peer.Name, func() (err error) { est, err = net.Dial("tcp", "10.77.0.1:8080"); return err }); err != nil {
		t.Fatal(err)
	}
	defer est.Close()

	j := openIn(t, srv, filepath.Join(t.TempDir(), "journal"))
	if err := j.ApplyFirewall(FirewallSpec{Interface: "wan0", TCP: []uint16{80, 443}, ICMPEcho: true}); err != nil {
		t.Fatal(err)
	}
	if got := open(); got != "80,443" {
		t.Errorf("with firewall open ports = %q, want 80,443", got)
	}
	if !ping() {
		t.Error("ICMP echo enabled but ping fails")
	}
	est.SetReadDeadline(time.Now().Add(3 * time.Second))
	if b := make([]byte, 3); func() bool { _, err := est.Read(b); return err != nil }() {
		t.Error("established connection broken by the firewall")
	}

	// replace: ICMP off, only 8080
	if err := j.ApplyFirewall(FirewallSpec{Interface: "wan0", TCP: []uint16{8080}}); err != nil {
		t.Fatal(err)
	}
	if got := open(); got != "8080" {
		t.Errorf("after replace open ports = %q, want 8080", got)
	}
	if ping() {
		t.Error("ICMP echo disabled but ping answers")
	}
	if out := srv.MustRun("nft", "list", "tables"); strings.Count(out, "table") != 1 {
		t.Errorf("tables after replace:\n%s", out)
	}

	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	if out := srv.MustRun("nft", "list", "tables"); strings.Contains(out, "dualpath") {
		t.Errorf("table left after UndoAll:\n%s", out)
	}
	if got := open(); got != "80,443,8080" {
		t.Errorf("after UndoAll open ports = %q, want all", got)
	}
}
