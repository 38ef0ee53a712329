package tunnel

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
)

// crashConfig is a tunnel whose BR never answers: enough to make every
// host change (end point, TUN, addresses, rules).
func crashConfig(state string, events func(Event)) Config {
	return Config{
		Interface: "eth0", BR: netip.MustParseAddr("2001:db8:ffff::44"), Block: netip.MustParsePrefix("192.0.2.208/30"),
		MTU: 1460, TUN: "dp-ipip0", Table: 4242, StateDir: state,
		Endpoint: func(p netip.Prefix) (netip.Addr, bool) {
			b := p.Addr().As16()
			b[15] = 0x77
			return netip.AddrFrom16(b), false
		},
		OnEvent: events, VerifyTimeout: time.Second, MinBackoff: 100 * time.Millisecond, Poll: 200 * time.Millisecond,
	}
}

func TestHelperTunnelProcess(t *testing.T) {
	state := os.Getenv("DUALPATH_TUNNEL_HELPER")
	if state == "" {
		t.Skip("helper process for TestLeftoversAfterSIGKILL")
	}
	cfg := crashConfig(state, func(e Event) { fmt.Printf("EVENT %s %s\n", e.Kind, e.Local) })
	if err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
}

// TestLeftoversAfterSIGKILL: a tunnel killed with SIGKILL leaves its end
// point and rules on the host; the next start says so, removes them, and
// on its own stop leaves the host as it found it first.
func TestLeftoversAfterSIGKILL(t *testing.T) {
	srv, peer := netnstest.New(t, "tuk"), netnstest.New(t, "tup")
	netnstest.Veth(t, srv, "eth0", peer, "eth0")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:70:1::99/64", "dev", "eth0", "nodad", "valid_lft", "3600", "preferred_lft", "3600")
	state := func() string {
		return srv.MustRun("ip", "-br", "addr") + srv.MustRun("ip", "rule") + srv.MustRun("ip", "-br", "link")
	}
	before := state()
	dir := t.TempDir()
	p := srv.Start("env", "DUALPATH_TUNNEL_HELPER="+dir, os.Args[0], "-test.run=^TestHelperTunnelProcess$", "-test.v")
	if !netnstest.WaitFor(20*time.Second, func() bool { return strings.Contains(p.Output(), "EVENT endpoint ") }) {
		p.Kill()
		t.Fatalf("the helper never added its end point:\n%s", p.Output())
	}
	p.Kill() // SIGKILL: no clean-up
	_ = p.Wait(5 * time.Second)
	left := state()
	if !strings.Contains(left, "2001:db8:70:1::77/128") || !strings.Contains(left, "lookup 4242") {
		t.Fatalf("test premise: SIGKILL should leave the end point and rules:\n%s", left)
	}

	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan Event, 64)
	done := make(chan error, 1)
	go func() {
		done <- hostnet.InNamespace(srv.Name, func() error {
			return Run(ctx, crashConfig(dir, func(e Event) { events <- e }))
		})
	}()
	var cleanup Event
	deadline := time.After(10 * time.Second)
wait:
	for {
		select {
		case e := <-events:
			if e.Kind == KindCleanup {
				cleanup = e
			}
			if e.Kind == KindEndpoint {
				break wait
			}
		case <-deadline:
			t.Fatal("the restart never added its end point")
		}
	}
	if !strings.Contains(cleanup.Reason, "2001:db8:70:1::77/128") {
		t.Errorf("the restart did not report the leftover end point: %q", cleanup.Reason)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if after := state(); after != before {
		t.Errorf("host not as found:\n%s\nbefore:\n%s", after, before)
	}
}
