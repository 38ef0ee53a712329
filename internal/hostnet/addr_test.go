package hostnet

import (
	"net/netip"
	"testing"
)

// The loopback address is listed on its interface and is the host's; a
// documentation address is not.
func TestHostAddrs(t *testing.T) {
	addrs, err := HostAddrs()
	if err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	found := false
	for _, a := range addrs {
		if a.Prefix.Addr() == lo {
			found = a.Link != ""
		}
	}
	if !found {
		t.Fatalf("127.0.0.1 with its interface not among %v", addrs)
	}
	if !IsHostAddr(lo) || !IsHostAddr(netip.MustParseAddr("::ffff:127.0.0.1")) {
		t.Error("127.0.0.1 is not the host's")
	}
	if IsHostAddr(netip.MustParseAddr("192.0.2.199")) {
		t.Error("192.0.2.199 is the host's")
	}
}
