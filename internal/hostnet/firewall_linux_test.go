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
// ports and forwards to an inner namespace (directly and by DNAT); a peer
// namespace connects through a veth. With the firewall on the server's veth
// only the listed ports answer, on the host and forwarded alike, ICMP echo
// follows the flag, and established connections survive; without it all
// answer.
func TestFirewallOpensOnlyListedPorts(t *testing.T) {
	netnstest.RequireCommand(t, "ping", "nft", "sysctl")
	srv, peer := netnstest.New(t, "fws"), netnstest.New(t, "fwp")
	netnstest.Veth(t, srv, "wan0", peer, "eth0")
	srv.MustRun("ip", "addr", "add", "10.77.0.1/24", "dev", "wan0")
	peer.MustRun("ip", "addr", "add", "10.77.0.2/24", "dev", "eth0")

	// behind srv, a forwarded network (think containers): inner listens on
	// 80 and 8080, and srv DNATs its port 9000 to inner:8080 (a published
	// container port)
	inner := netnstest.New(t, "fwi")
	netnstest.Veth(t, srv, "lan0", inner, "eth0")
	srv.MustRun("ip", "addr", "add", "10.78.0.1/24", "dev", "lan0")
	srv.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1")
	inner.MustRun("ip", "addr", "add", "10.78.0.2/24", "dev", "eth0")
	inner.MustRun("ip", "route", "add", "default", "via", "10.78.0.1")
	peer.MustRun("ip", "route", "add", "10.78.0.0/24", "via", "10.77.0.1")
	srv.MustRun("nft", "add table ip pub; add chain ip pub pre { type nat hook prerouting priority -100; }; add rule ip pub pre tcp dport 9000 dnat to 10.78.0.2:8080")

	listen := func(ns *netnstest.NS, ports ...int) {
		err := InNamespace(ns.Name, func() error {
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
	}
	listen(srv, 80, 443, 8080)
	listen(inner, 80, 8080)
	targets := []string{"10.77.0.1:80", "10.77.0.1:443", "10.77.0.1:8080", "10.78.0.2:80", "10.78.0.2:8080", "10.77.0.1:9000"}
	open := func() string {
		var got []string
		for _, a := range targets {
			var c net.Conn
			_ = InNamespace(peer.Name, func() (err error) {
				c, err = net.DialTimeout("tcp", a, 700*time.Millisecond)
				return err
			})
			if c != nil {
				got = append(got, a)
				c.Close()
			}
		}
		return strings.Join(got, " ")
	}
	ping := func() bool { _, err := peer.Run("ping", "-c1", "-W1", "10.77.0.1"); return err == nil }

	all := strings.Join(targets, " ")
	if !netnstest.WaitFor(3*time.Second, func() bool { return open() == all }) {
		t.Fatalf("without firewall open = %s, want all", open())
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
	// listed ports are the ones the outside asks for: 80 and 443 here and
	// forwarded to inner; 9000 (DNAT to inner:8080) is not listed
	if got, want := open(), "10.77.0.1:80 10.77.0.1:443 10.78.0.2:80"; got != want {
		t.Errorf("with firewall open = %q, want %q", got, want)
	}
	if !ping() {
		t.Error("ICMP echo enabled but ping fails")
	}
	est.SetReadDeadline(time.Now().Add(3 * time.Second))
	if b := make([]byte, 3); func() bool { _, err := est.Read(b); return err != nil }() {
		t.Error("established connection broken by the firewall")
	}

	// replace: ICMP off, only 9000 (the published port, not inner's 8080)
	if err := j.ApplyFirewall(FirewallSpec{Interface: "wan0", TCP: []uint16{9000}}); err != nil {
		t.Fatal(err)
	}
	if got, want := open(), "10.77.0.1:9000"; got != want {
		t.Errorf("after replace open = %q, want %q", got, want)
	}
	if ping() {
		t.Error("ICMP echo disabled but ping answers")
	}
	if out := srv.MustRun("nft", "list", "tables"); strings.Count(out, "table inet dualpath") != 1 {
		t.Errorf("tables after replace:\n%s", out)
	}

	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	if out := srv.MustRun("nft", "list", "tables"); strings.Contains(out, "dualpath") {
		t.Errorf("table left after UndoAll:\n%s", out)
	}
	if got := open(); got != all {
		t.Errorf("after UndoAll open = %q, want all", got)
	}
}
