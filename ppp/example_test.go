package ppp_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/dualpath/dualpath/ppp"
)

// Example wires a client and an access concentrator back to back in
// memory, the way a PPPoE session driver uses a Conn: frames out of one go
// into the other, and the clock jumps to the next deadline when idle.
func Example() {
	client, _ := ppp.NewConn(ppp.Config{
		Role:     ppp.RoleClient,
		MRU:      1454,
		Username: "user@example.jp",
		Password: []byte("secret"),
	})
	server, _ := ppp.NewConn(ppp.Config{
		Role:       ppp.RoleServer,
		Auth:       ppp.AuthCHAP,
		Secrets:    func(u string) ([]byte, bool) { return []byte("secret"), u == "user@example.jp" },
		LocalIPv4:  netip.MustParseAddr("192.0.2.1"),
		AssignIPv4: func() (netip.Addr, bool) { return netip.MustParseAddr("192.0.2.100"), true },
		DNS:        []netip.Addr{netip.MustParseAddr("192.0.2.53")},
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	client.Open(now)
	server.Open(now)
	for !client.Up() || !server.Up() {
		moved := false
		for _, f := range client.Output() {
			// A data plane handles ProtoIPv4/ProtoIPv6 itself once Up;
			// everything else goes to Input.
			server.Input(now, f)
			moved = true
		}
		for _, f := range server.Output() {
			client.Input(now, f)
			moved = true
		}
		if !moved {
			now = client.NextDeadline() // a real driver also watches server's
			client.Tick(now)
			server.Tick(now)
		}
	}
	for _, e := range client.Events() {
		fmt.Println(e.Kind)
	}
	p := client.Negotiated()
	fmt.Println(p.LocalIPv4, p.PeerIPv4, p.DNS, p.MTU, p.AuthMethod)
	// Output:
	// lcp-up
	// auth-ok
	// ipcp-up
	// 192.0.2.100 192.0.2.1 [192.0.2.53] 1492 chap
}
