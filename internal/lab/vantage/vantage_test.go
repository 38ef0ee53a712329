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
