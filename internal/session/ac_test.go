package session

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/ppp"
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

// lcpConfReqs counts the LCP Configure-Requests among PPP frames.
func lcpConfReqs(frames [][]byte) int {
	n := 0
	for _, f := range frames {
		proto, info, err := ppp.ParseFrame(f)
		if err == nil && proto == ppp.ProtoLCP && len(info) > 0 && info[0] == 1 { // RFC 1661 section 5.1: code 1
			n++
		}
	}
	return n
}

// TestACHoldsLCPUntilClientSpeaks: after PADS the AC sends no LCP
// Configure-Request of its own (the client may not have installed the
// session yet and would drop it) until the client's first frame arrives,
// and then answers it and sends its own at once.
func TestACHoldsLCPUntilClientSpeaks(t *testing.T) {
	conn, err := serverConn()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	s := &acSession{conn: conn, openAt: t0.Add(lcpOpenDelay)}
	if d := s.deadline(); !d.Equal(s.openAt) {
		t.Fatalf("deadline %v, want openAt %v", d, s.openAt)
	}
	s.tick(t0.Add(lcpOpenDelay / 2))
	if out := conn.Output(); len(out) != 0 {
		t.Fatalf("sent %d frames before the client spoke or openAt", len(out))
	}
	// The client's Configure-Request (no options): we start LCP, answer
	// it with Configure-Ack and send our own Configure-Request.
	s.startLCP(t0.Add(lcpOpenDelay / 2))
	conn.Input(t0.Add(lcpOpenDelay/2), []byte{0xc0, 0x21, 1, 7, 0, 4})
	out := conn.Output()
	if n := lcpConfReqs(out); n != 1 {
		t.Fatalf("after the client's request: %d Configure-Requests of ours in %x, want 1", n, out)
	}
	acked := false
	for _, f := range out {
		if proto, info, err := ppp.ParseFrame(f); err == nil && proto == ppp.ProtoLCP && len(info) > 1 && info[0] == 2 && info[1] == 7 {
			acked = true
		}
	}
	if !acked {
		t.Fatalf("no Configure-Ack for the client's request in %x", out)
	}
	// Starting twice (the next frame, openAt) does not restart LCP.
	s.startLCP(t0.Add(lcpOpenDelay))
	s.tick(t0.Add(lcpOpenDelay))
	if n := lcpConfReqs(conn.Output()); n != 0 {
		t.Fatalf("LCP restarted: %d more Configure-Requests", n)
	}
}

// TestACOpensLCPForPassiveClient: a client that waits for the AC gets our
// Configure-Request once openAt passes.
func TestACOpensLCPForPassiveClient(t *testing.T) {
	conn, err := serverConn()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	s := &acSession{conn: conn, openAt: t0.Add(lcpOpenDelay)}
	s.tick(s.deadline())
	if n := lcpConfReqs(conn.Output()); n != 1 {
		t.Fatalf("%d Configure-Requests at openAt, want 1", n)
	}
	if d := s.deadline(); d.IsZero() || !d.After(s.openAt) {
		t.Fatalf("after opening, deadline %v should be LCP's restart timer", d)
	}
}

// serverConn is a server-role PPP link like the AC's, without
// authentication.
func serverConn() (*ppp.Conn, error) {
	return ppp.NewConn(ppp.Config{Role: ppp.RoleServer, Auth: ppp.AuthNone, LocalIPv4: netip.MustParseAddr("10.0.0.1"),
		AssignIPv4: func() (netip.Addr, bool) { return netip.MustParseAddr("10.0.0.2"), true }})
}
