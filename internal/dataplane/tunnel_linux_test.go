package dataplane

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
)

// tunnelBed is two namespaces linked by a veth carrying only IPv6: "srv"
// runs a Tunnel on TUN tn0 holding the fixed 198.51.100.2 of the block
// 198.51.100.0/29, "br" plays the provider's border relay with a second
// Tunnel on TUN br0 (192.0.2.1, the internet side), each over a raw
// IPv4-in-IPv6 socket towards the other's IPv6 address.
type tunnelBed struct {
	srv, br       *netnstest.NS
	srvT, brT     *Tunnel
	srvLink       *hostnet.IPIP6Conn
	srv6, br6     netip.Addr
	fixed, remote string
}

func newTunnelBed(t testing.TB) *tunnelBed {
	t.Helper()
	b := &tunnelBed{srv: netnstest.New(t, "tns"), br: netnstest.New(t, "tnb"),
		srv6: netip.MustParseAddr("fd00:66::2"), br6: netip.MustParseAddr("fd00:66::1"),
		fixed: "198.51.100.2", remote: "192.0.2.1"}
	netnstest.Veth(t, b.srv, "eth0", b.br, "eth0")
	// The server's end point is deprecated (as the daemon adds it) beside
	// a preferred address the kernel would pick as source: the tunnel
	// must still send from and receive on the end point.
	b.srv.MustRun("ip", "-6", "addr", "add", "fd00:66::77/64", "dev", "eth0", "nodad")
	b.srv.MustRun("ip", "-6", "addr", "add", "fd00:66::2/128", "dev", "eth0", "nodad", "preferred_lft", "0")
	b.br.MustRun("ip", "-6", "addr", "add", "fd00:66::1/64", "dev", "eth0", "nodad")
	ctx, cancel := context.WithCancel(context.Background())
	var runs []chan error
	t.Cleanup(func() {
		cancel()
		for _, r := range runs {
			select {
			case err := <-r:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after cancel")
			}
		}
	})
	side := func(ns *netnstest.NS, dev string, local, remote netip.Addr, block string) (*Tunnel, *hostnet.IPIP6Conn) {
		var tun TUN
		var link *hostnet.IPIP6Conn
		if err := hostnet.InNamespace(ns.Name, func() error {
			j, err := hostnet.OpenJournal(filepath.Join(t.TempDir(), "journal"))
			if err != nil {
				return err
			}
			t.Cleanup(func() { j.UndoAll(); j.Close() })
			if tun, err = j.CreateTUN(dev, 1460); err != nil {
				return err
			}
			link, err = hostnet.OpenIPIP6(remote, local)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tn, err := NewTunnel(TunnelConfig{TUN: tun, Link: link, IPv4: netip.MustParsePrefix(block), MTU: 1460})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		runs = append(runs, done)
		go func() { done <- tn.Run(ctx) }()
		return tn, link
	}
	b.srvT, b.srvLink = side(b.srv, "tn0", b.srv6, b.br6, "198.51.100.0/29")
	b.brT, _ = side(b.br, "br0", b.br6, b.srv6, "192.0.2.0/24")
	// IPv4 only on the TUNs, as the daemon sets them (no router
	// solicitations to drop as foreign)
	for _, x := range []struct {
		ns  *netnstest.NS
		dev string
	}{{b.srv, "tn0"}, {b.br, "br0"}} {
		x.ns.MustRun("sysctl", "-qw", "net.ipv6.conf."+x.dev+".disable_ipv6=1")
	}
	b.srv.MustRun("ip", "addr", "add", "198.51.100.2/32", "dev", "tn0")
	b.srv.MustRun("ip", "link", "set", "tn0", "up")
	b.srv.MustRun("ip", "route", "add", "192.0.2.0/24", "dev", "tn0", "src", "198.51.100.2")
	b.br.MustRun("ip", "addr", "add", "192.0.2.1/32", "dev", "br0")
	b.br.MustRun("ip", "link", "set", "br0", "up")
	b.br.MustRun("ip", "route", "add", "198.51.100.0/29", "dev", "br0", "src", "192.0.2.1")
	return b
}

func TestTunnelPingAndTCP(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	b := newTunnelBed(t)
	if !netnstest.WaitFor(5*time.Second, func() bool { return ping(b.srv, b.remote) == nil }) {
		t.Fatalf("no ping through the tunnel; srv %+v br %+v", b.srvT.Stats(), b.brT.Stats())
	}
	if err := ping(b.br, b.fixed); err != nil {
		t.Errorf("ping from the BR side: %v", err)
	}
	// (the TUNs' router solicitations, sent as they came up, were
	// dropped as foreign: count from here)
	start := b.srvT.Stats()

	// TCP: 2 MB each way through the tunnel, checked end to end; the
	// 1460-byte tunnel MTU and GSO from the TUN must not lose a byte.
	var ln net.Listener
	if err := hostnet.InNamespace(b.srv.Name, func() (err error) { ln, err = net.Listen("tcp", b.fixed+":7000"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	var c net.Conn
	if err := hostnet.InNamespace(b.br.Name, func() (err error) { c, err = net.Dial("tcp", b.fixed+":7000"); return err }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 2<<20)
	rand.Read(data)
	go func() { c.Write(data); c.(*net.TCPConn).CloseWrite() }()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("TCP echo: %d of %d bytes back, err=%v", len(got), len(data), err)
	}
	s := b.srvT.Stats()
	if s.TxBytes < uint64(len(data)) || s.RxBytes < uint64(len(data)) {
		t.Errorf("counters too low for %d bytes each way: %+v", len(data), s)
	}
	if n := s.Drops[DropTooBig] + s.Drops[DropBadLength] + s.Drops[DropIO] + s.Drops[DropForeign] - start.Drops[DropForeign]; n != 0 {
		t.Errorf("drops on a clean path: %v (%s)", s.Drops, s.LastError)
	}
}

// TestTunnelSourceFollowsSetSource: after a prefix change the tunnel's
// packets leave from the new address (the BR end, connected to it, sees
// them) without reopening the socket or restarting the forwarder.
func TestTunnelSourceFollowsSetSource(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	b := newTunnelBed(t)
	if !netnstest.WaitFor(5*time.Second, func() bool { return ping(b.srv, b.remote) == nil }) {
		t.Fatal("no ping through the tunnel")
	}
	b.srv.MustRun("ip", "-6", "addr", "add", "fd00:66::99/64", "dev", "eth0", "nodad")
	b.srvLink.SetSource(netip.MustParseAddr("fd00:66::99"))
	before := b.brT.Stats()
	if ping(b.srv, b.remote) == nil {
		t.Fatal("the BR end, connected to the old address, answered a packet from the new one")
	}
	if after := b.brT.Stats(); after.RxPackets != before.RxPackets {
		t.Errorf("BR end took %d packets from a source it is not connected to", after.RxPackets-before.RxPackets)
	}
	// and back to the old address: the path works again
	b.srvLink.SetSource(b.srv6)
	if err := ping(b.srv, b.remote); err != nil {
		t.Errorf("back on the old source: %v", err)
	}
}
