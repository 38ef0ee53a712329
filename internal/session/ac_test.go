package session

import (
	"net/netip"
	"strings"
	"testing"
)

func TestPoolRoundRobin(t *testing.T) {
	a, err := NewAccessConcentrator(ACConfig{Interface: "x", StateDir: "/nonexistent",
		Local: netip.MustParseAddr("10.0.0.1"), Pool: netip.MustParsePrefix("10.0.0.0/29")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < 5; i++ {
		p, ok := a.allocate()
		if !ok {
			t.Fatalf("pool exhausted after %v", got)
		}
		got = append(got, p.String())
	}
	// .0 network, .1 Local, .7 broadcast are never handed out.
	want := "10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("got %s, want %s", s, want)
	}
	if p, ok := a.allocate(); ok {
		t.Fatalf("allocated %v from a full pool", p)
	}
	delete(a.used, netip.MustParseAddr("10.0.0.3"))
	delete(a.used, netip.MustParseAddr("10.0.0.5"))
	if p, _ := a.allocate(); p.String() != "10.0.0.3" {
		t.Fatalf("after wrap: %v, want 10.0.0.3", p)
	}
	if p, _ := a.allocate(); p.String() != "10.0.0.5" {
		t.Fatalf("next: %v, want 10.0.0.5 (not the lowest free)", p)
	}
}
