package bras

import (
	"net/netip"
	"testing"
)

func TestPoolRoundRobinSkipsReserved(t *testing.T) {
	p, err := NewPool(netip.MustParsePrefix("203.0.113.0/29"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Local().String() != "203.0.113.1" {
		t.Fatalf("local %v", p.Local())
	}
	var got []string
	for {
		a, ok := p.Get()
		if !ok {
			break
		}
		got = append(got, a.String())
	}
	want := []string{"203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5", "203.0.113.6"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// A returned address is handed out again only when its turn comes.
	p.Put(netip.MustParseAddr("203.0.113.3"))
	if a, ok := p.Get(); !ok || a.String() != "203.0.113.3" {
		t.Fatalf("after Put: %v %v", a, ok)
	}
}

func TestPoolNewAddressAfterReconnect(t *testing.T) {
	p, _ := NewPool(netip.MustParsePrefix("203.0.113.0/24"))
	a, _ := p.Get()
	p.Put(a)
	b, _ := p.Get()
	if a == b {
		t.Fatalf("reconnect got the same address %v", a)
	}
}

func TestPoolRejectsTinyOrIPv6(t *testing.T) {
	for _, s := range []string{"203.0.113.0/31", "2001:db8::/64"} {
		if _, err := NewPool(netip.MustParsePrefix(s)); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}
