package tunnel

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/lab/mapetun"
	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestRunFollowsAPrefixChange runs the server's end against a fixed-IP BR
// (the lab's, userspace) in another namespace: the end point appears on
// the line's /64, the provider is told, the BR's hairpin answers, the fixed
// address serves pings; when the line moves to a new /64, the end point
// moves, the provider is told the new one, the tunnel answers again; on
// stop, nothing of it is left on the host.
func TestRunFollowsAPrefixChange(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	srv, br := netnstest.New(t, "tus"), netnstest.New(t, "tub")
	netnstest.Veth(t, srv, "eth0", br, "eth0")
	brAddr := netip.MustParseAddr("2001:db8:ffff::44")
	block := netip.MustParsePrefix("192.0.2.208/29")
	br.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	br.MustRun("ip", "-6", "addr", "add", "2001:db8:70:1::1/64", "dev", "eth0", "nodad")
	br.MustRun("ip", "-6", "addr", "add", brAddr.String()+"/128", "dev", "lo")
	br.MustRun("ip", "addr", "add", "198.51.100.1/32", "dev", "lo")
	// the line's address as SLAAC gives it (finite lifetimes)
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:70:1::99/64", "dev", "eth0", "nodad", "valid_lft", "3600", "preferred_lft", "3600")
	srv.MustRun("ip", "-6", "route", "add", "2001:db8:ffff::/48", "via", "2001:db8:70:1::1")
	state := func() string {
		t4242, _ := srv.Run("ip", "route", "show", "table", "4242") // an error once the table is gone
		return srv.MustRun("ip", "-br", "addr") + srv.MustRun("ip", "rule") + srv.MustRun("ip", "-br", "link") +
			fmt.Sprint(strings.Contains(t4242, "dp-ipip0"))
	}
	before := state()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	x := &mapetun.FixedBR{Block: block}
	brDone := make(chan error, 1)
	go func() {
		brDone <- hostnet.InNamespace(br.Name, func() error {
			return (&mapetun.Tunnel{TUN: "fbr0", MTU: 1460, Local: brAddr, X: x}).Run(ctx)
		})
	}()
	if !netnstest.WaitFor(5*time.Second, func() bool { _, err := br.Run("ip", "link", "show", "fbr0"); return err == nil }) {
		t.Fatal("the BR's TUN never appeared")
	}
	br.MustRun("ip", "link", "set", "fbr0", "up")
	br.MustRun("ip", "route", "add", block.String(), "dev", "fbr0", "src", "198.51.100.1")

	var mu sync.Mutex
	var updates []netip.Addr
	events := make(chan Event, 64)
	cfg := Config{
		Interface: "eth0", BR: brAddr, Block: block, MTU: 1460, TUN: "dp-ipip0", Table: 4242,
		StateDir: t.TempDir(),
		Endpoint: func(p netip.Prefix) (netip.Addr, bool) {
			b := p.Addr().As16()
			b[14], b[15] = 0xfe, 0x01
			return netip.AddrFrom16(b), false
		},
		// the provider's update: the BR now sends to the caller
		Update: func(_ context.Context, local netip.Addr) error {
			mu.Lock()
			updates = append(updates, local)
			mu.Unlock()
			x.SetCE(local)
			return nil
		},
		OnEvent:       func(e Event) { events <- e },
		VerifyTimeout: 3 * time.Second, MinBackoff: 200 * time.Millisecond, Poll: 500 * time.Millisecond,
	}
	runDone := make(chan error, 1)
	go func() { runDone <- hostnet.InNamespace(srv.Name, func() error { return Run(ctx, cfg) }) }()

	waitUp := func(want netip.Addr) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case e := <-events:
				if e.Kind == KindUp {
					if e.Local != want {
						t.Fatalf("up on %v, want %v", e.Local, want)
					}
					return
				}
			case err := <-runDone:
				t.Fatalf("Run returned: %v", err)
			case <-deadline:
				t.Fatalf("the tunnel never came up on %v", want)
			}
		}
	}
	first := netip.MustParseAddr("2001:db8:70:1::fe01")
	waitUp(first)
	if out := srv.MustRun("ip", "-6", "addr", "show", "dev", "eth0"); !strings.Contains(out, "2001:db8:70:1::fe01/128") {
		t.Errorf("no end point on eth0:\n%s", out)
	}
	if err := ping(br, "192.0.2.208"); err != nil {
		t.Errorf("ping of the fixed address through the tunnel: %v", err)
	}

	// The line moves to a new /64.
	br.MustRun("ip", "-6", "addr", "add", "2001:db8:70:2::1/64", "dev", "eth0", "nodad")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:70:2::99/64", "dev", "eth0", "nodad", "valid_lft", "3600", "preferred_lft", "3600")
	srv.MustRun("ip", "-6", "addr", "change", "2001:db8:70:1::99/64", "dev", "eth0", "valid_lft", "3600", "preferred_lft", "0")
	moved := netip.MustParseAddr("2001:db8:70:2::fe01")
	waitUp(moved)
	mu.Lock()
	got := append([]netip.Addr(nil), updates...)
	mu.Unlock()
	if len(got) != 2 || got[0] != first || got[1] != moved {
		t.Errorf("update calls %v, want [%v %v]", got, first, moved)
	}
	out := srv.MustRun("ip", "-6", "addr", "show", "dev", "eth0")
	if strings.Contains(out, "2001:db8:70:1::fe01") || !strings.Contains(out, "2001:db8:70:2::fe01/128") {
		t.Errorf("end points after the change:\n%s", out)
	}
	if err := ping(br, "192.0.2.213"); err != nil {
		t.Errorf("ping of the block's address through the moved tunnel: %v", err)
	}

	cancel()
	select {
	case err := <-runDone:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	<-brDone
	srv.MustRun("ip", "-6", "addr", "del", "2001:db8:70:2::99/64", "dev", "eth0")
	srv.MustRun("ip", "-6", "addr", "change", "2001:db8:70:1::99/64", "dev", "eth0", "valid_lft", "3600", "preferred_lft", "3600")
	if after := state(); after != before {
		t.Errorf("host not left as found:\n%s\nbefore:\n%s", after, before)
	}
}

func ping(ns *netnstest.NS, addr string) error {
	_, err := ns.Run("ping", "-c1", "-W2", addr)
	return err
}

// noHairpin is a BR that drops packets whose source is their destination
// (as a provider's anti-spoofing filter may): the tunnel's probe never
// comes back.
type noHairpin struct{ *mapetun.FixedBR }

func (n noHairpin) Decap(src netip.Addr, pkt []byte) error {
	if len(pkt) >= 20 && [4]byte(pkt[12:16]) == [4]byte(pkt[16:20]) {
		return fmt.Errorf("source is destination")
	}
	return n.FixedBR.Decap(src, pkt)
}

// TestRunPassiveCheckWithoutHairpin: with a BR that never sends the probe
// back, the tunnel is not up until traffic from the BR reaches the end
// point, and then it is.
func TestRunPassiveCheckWithoutHairpin(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	srv, br := netnstest.New(t, "tns"), netnstest.New(t, "tnb")
	netnstest.Veth(t, srv, "eth0", br, "eth0")
	brAddr := netip.MustParseAddr("2001:db8:ffff::44")
	block := netip.MustParsePrefix("192.0.2.208/29")
	br.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1")
	br.MustRun("ip", "-6", "addr", "add", "2001:db8:70:1::1/64", "dev", "eth0", "nodad")
	br.MustRun("ip", "-6", "addr", "add", brAddr.String()+"/128", "dev", "lo")
	br.MustRun("ip", "addr", "add", "198.51.100.1/32", "dev", "lo")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:70:1::99/64", "dev", "eth0", "nodad", "valid_lft", "3600", "preferred_lft", "3600")
	srv.MustRun("ip", "-6", "route", "add", "2001:db8:ffff::/48", "via", "2001:db8:70:1::1")
	ctx, cancel := context.WithCancel(context.Background())
	x := &mapetun.FixedBR{Block: block}
	x.SetCE(netip.MustParseAddr("2001:db8:70:1::fe01"))
	brDone := make(chan error, 1)
	go func() {
		brDone <- hostnet.InNamespace(br.Name, func() error {
			return (&mapetun.Tunnel{TUN: "fbr0", MTU: 1460, Local: brAddr, X: noHairpin{x}}).Run(ctx)
		})
	}()
	if !netnstest.WaitFor(5*time.Second, func() bool { _, err := br.Run("ip", "link", "show", "fbr0"); return err == nil }) {
		t.Fatal("the BR's TUN never appeared")
	}
	br.MustRun("ip", "link", "set", "fbr0", "up")
	br.MustRun("ip", "route", "add", block.String(), "dev", "fbr0", "src", "198.51.100.1")
	events := make(chan Event, 64)
	cfg := Config{
		Interface: "eth0", BR: brAddr, Block: block, MTU: 1460, TUN: "dp-ipip0", Table: 4242, StateDir: t.TempDir(),
		Endpoint: func(p netip.Prefix) (netip.Addr, bool) {
			b := p.Addr().As16()
			b[14], b[15] = 0xfe, 0x01
			return netip.AddrFrom16(b), false
		},
		OnEvent:       func(e Event) { events <- e },
		VerifyTimeout: time.Second, MinBackoff: 300 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Poll: 300 * time.Millisecond,
	}
	runDone := make(chan error, 1)
	go func() { runDone <- hostnet.InNamespace(srv.Name, func() error { return Run(ctx, cfg) }) }()
	defer func() {
		cancel()
		<-runDone
		<-brDone
	}()
	// no traffic: the check fails, the tunnel is not up
	deadline := time.After(10 * time.Second)
	for failed := false; !failed; {
		select {
		case e := <-events:
			if e.Kind == KindUp {
				t.Fatal("up although the BR never sent anything to the end point")
			}
			failed = e.Kind == KindVerify
		case <-deadline:
			t.Fatal("no failed check")
		}
	}
	// a visitor's traffic arrives through the BR: the next check passes
	if err := ping(br, "192.0.2.210"); err != nil {
		t.Fatalf("ping of the fixed block: %v", err)
	}
	deadline = time.After(10 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Kind == KindUp {
				return
			}
		case <-deadline:
			t.Fatal("not up after traffic from the BR")
		}
	}
}
