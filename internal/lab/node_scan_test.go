package lab

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
)

// confirmOpen adds an expected port the scan missed only when a second
// look connects to it: a listening port comes back, a closed one stays
// closed, and what the scan saw is kept.
func TestConfirmOpenLooksAgainOnlyAtExpectedPorts(t *testing.T) {
	listen := func() (net.Listener, uint16) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return ln, uint16(ln.Addr().(*net.TCPAddr).Port)
	}
	_, seen := listen()
	_, missed := listen()
	_, unexpected := listen()
	ln, closed := listen()
	ln.Close()
	lo := netip.MustParseAddr("127.0.0.1")
	got := confirmOpen(context.Background(), lo, []uint16{seen}, []uint16{seen, missed, closed})
	want := []uint16{seen, missed}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("open %v, want %v (closed %d, unexpected %d not looked at)", got, want, closed, unexpected)
	}
}
