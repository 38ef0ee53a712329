package vantage

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWhoamiDialSeesLoopbackClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Whoami(ctx, ln)
	s, err := Dial(ctx, ln.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	local, _ := netip.ParseAddrPort(s.Local)
	if s.Addr != netip.MustParseAddr("127.0.0.1") || s.Port != local.Port() {
		t.Fatalf("seen %v:%d, our end %s", s.Addr, s.Port, s.Local)
	}
}

func TestParseSeenRejectsGarbage(t *testing.T) {
	for _, l := range []string{"", "1.2.3.4", "x 80", "1.2.3.4 70000", "1.2.3.4 80 9"} {
		if _, err := ParseSeen(l, ""); err == nil {
			t.Errorf("ParseSeen(%q) accepted", l)
		}
	}
}

func FuzzParseSeen(f *testing.F) {
	f.Add("198.51.100.5 4112\n")
	f.Add("2001:db8::1 80")
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseSeen(s, ""); err == nil && !v.Addr.IsValid() {
			t.Fatal("valid answer with invalid address")
		}
	})
}

func TestParsePorts(t *testing.T) {
	ps, err := ParsePorts("1-3,80,8022")
	if err != nil || len(ps) != 5 || ps[0] != 1 || ps[2] != 3 || ps[4] != 8022 {
		t.Fatalf("%v %v", ps, err)
	}
	for _, bad := range []string{"", "0", "5-1", "a", "1-70000"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) accepted", bad)
		}
	}
}

func TestScanFindsOnlyListeners(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := uint16(ln.Addr().(*net.TCPAddr).Port)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := uint16(closed.Addr().(*net.TCPAddr).Port)
	closed.Close()
	got := Scan(context.Background(), netip.MustParseAddr("127.0.0.1"), []uint16{closedPort, open}, time.Second)
	if len(got) != 1 || got[0] != open {
		t.Fatalf("open ports %v, want [%d]", got, open)
	}
}

func TestFetchLiteral(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }))
	defer srv.Close()
	f, err := Fetch(context.Background(), srv.URL+"/", "", "4", 2*time.Second)
	if err != nil || f.Status != 200 || f.Body != "hi" || f.Addr != "127.0.0.1" {
		t.Fatalf("%+v %v", f, err)
	}
}

func TestWebhookReceiverWritesEachBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- WebhookReceiver(ctx, ln, writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }))
	}()
	url := "http://" + ln.Addr().String() + "/dualpath"
	for _, body := range []string{`{"event":"session_down"}`, "{\n\"event\": \"session_up\"\n}"} {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	if resp, err := http.Get(url); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := out.String(); got != "{\"event\":\"session_down\"}\n{ \"event\": \"session_up\" }\n" {
		t.Errorf("receiver wrote %q", got)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// ScanUDP reports a port open only when a datagram comes back: the UDP
// responder's port is open; a bound socket that answers nothing (as a
// filtered port looks) and a port nobody listens on (ICMP unreachable)
// are not.
func TestScanUDPSeesOnlyAnsweringPorts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	go UDPEcho(ctx, echo)
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closed, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := uint16(closed.LocalAddr().(*net.UDPAddr).Port)
	closed.Close()
	port := func(pc interface{ LocalAddr() net.Addr }) uint16 { return uint16(pc.LocalAddr().(*net.UDPAddr).Port) }
	lo := netip.MustParseAddr("127.0.0.1")
	got := ScanUDP(ctx, lo, []uint16{closedPort, port(silent), port(echo)}, 500*time.Millisecond)
	if len(got) != 1 || got[0] != port(echo) {
		t.Fatalf("open %v, want only the responder's %d (silent %d, closed %d)", got, port(echo), port(silent), closedPort)
	}
	// On the wildcard (dual-stack), the responder answers from the address
	// it was asked at: 127.0.0.2 and ::1 (a reply from 127.0.0.1, where
	// the route back to the scanner points, would be ignored by it).
	wild, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv6unspecified})
	if err != nil {
		t.Fatal(err)
	}
	go UDPEcho(ctx, wild)
	for _, a := range []string{"127.0.0.2", "::1"} {
		if got := ScanUDP(ctx, netip.MustParseAddr(a), []uint16{port(wild)}, time.Second); len(got) != 1 {
			t.Errorf("wildcard responder asked at %s: open %v, want %d", a, got, port(wild))
		}
	}
	// The responder says who asked.
	c, err := net.Dial("udp", echo.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x"))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 128)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSeen(string(buf[:n]), c.LocalAddr().String())
	local, _ := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil || s.Addr != lo || s.Port != local.Port() {
		t.Fatalf("responder said %q (%v), our end %s", buf[:n], err, local)
	}
}
