package hostnet

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestAddrsFlagsAndLifetimes reads addresses of a dummy link in a test
// namespace and checks the flags and lifetimes netlink reports.
func TestAddrsFlagsAndLifetimes(t *testing.T) {
	ns := netnstest.New(t, "addrs")
	vethUp(ns)
	ns.MustRun("ip", "addr", "add", "203.0.113.7/32", "dev", "d0")
	ns.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::10/64", "dev", "d0", "nodad")
	ns.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::dead/64", "dev", "d0", "nodad", "preferred_lft", "0", "valid_lft", "3600")
	ns.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::20/64", "dev", "d0", "nodad", "preferred_lft", "1800", "valid_lft", "3600")

	as, err := AddrsIn(ns.Name, "d0")
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[netip.Addr]Addr{}
	for _, a := range as {
		byAddr[a.Prefix.Addr()] = a
	}
	const permanent, deprecated, nodad = 0x80, 0x20, 0x02
	v4 := byAddr[netip.MustParseAddr("203.0.113.7")]
	if v4.Prefix.Bits() != 32 || v4.Flags&permanent == 0 || v4.PreferredLft != AddrForever {
		t.Errorf("IPv4 %+v: want /32 permanent forever", v4)
	}
	st := byAddr[netip.MustParseAddr("2001:db8:1:1::10")]
	if st.Flags&permanent == 0 || st.Flags&nodad == 0 || st.ValidLft != AddrForever || st.Scope != 0 {
		t.Errorf("stable %+v: want permanent, nodad, forever, global", st)
	}
	dp := byAddr[netip.MustParseAddr("2001:db8:1:1::dead")]
	if dp.Flags&deprecated == 0 || dp.PreferredLft != 0 || dp.ValidLft <= 0 || dp.ValidLft > 3600*time.Second {
		t.Errorf("deprecated %+v: want deprecated flag, preferred 0, valid <= 3600 s", dp)
	}
	fin := byAddr[netip.MustParseAddr("2001:db8:1:1::20")]
	if fin.Flags&permanent != 0 || fin.PreferredLft <= 0 || fin.PreferredLft > 1800*time.Second {
		t.Errorf("finite %+v: want not permanent, preferred <= 1800 s", fin)
	}
	var ll bool
	netnstest.WaitFor(5*time.Second, func() bool {
		as, _ = AddrsIn(ns.Name, "d0")
		return len(as) >= 5
	})
	for _, a := range as {
		ll = ll || (a.Prefix.Addr().IsLinkLocalUnicast() && a.Scope == 253)
	}
	if !ll {
		t.Errorf("no link-local address with scope link in %+v", as)
	}
	if _, err := AddrsIn(ns.Name, "nosuch0"); err == nil {
		t.Error("missing interface gave no error")
	}
}

// TestWatchAddrsIn sees an address being added in a test namespace.
func TestWatchAddrsIn(t *testing.T) {
	ns := netnstest.New(t, "watch")
	vethUp(ns)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := WatchAddrsIn(ctx, ns.Name)
	select { // the initial "may have changed" notification
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no initial notification")
	}
	// Drain anything from link setup, then change an address.
	time.Sleep(100 * time.Millisecond)
	select {
	case <-ch:
	default:
	}
	ns.MustRun("ip", "addr", "add", "198.51.100.9/32", "dev", "d0")
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("address add not reported")
	}
	cancel()
	for range ch { // closed when ctx ends
	}
}

// vethUp makes d0 (with its peer d1) in ns, both up: the kernel here may
// lack the dummy driver.
func vethUp(ns *netnstest.NS) {
	ns.MustRun("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ns.MustRun("ip", "link", "set", "d1", "up")
	ns.MustRun("ip", "link", "set", "d0", "up")
}
