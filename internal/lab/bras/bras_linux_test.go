package bras

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/ppp"
)

// The BRAS against dualpath's own PPPoE client: CHAP, IPCP address from
// the pool, IPv4 both ways through the session, and DropAll ending the
// session with PADT so that the client dials again and gets a new address.
func TestBRASSessionDropAndNewAddress(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	ac := netnstest.New(t, "bras")
	cl := netnstest.New(t, "cl")
	netnstest.Veth(t, ac, "acc0", cl, "eth0")

	var logBuf strings.Builder
	var logMu sync.Mutex
	srv, err := New(Config{
		Interface: "acc0", TUN: "bras0", Name: "test-bras", Pool: netip.MustParsePrefix("203.0.113.0/24"),
		DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}, Auth: ppp.AuthCHAP, Namespace: ac.Name,
		Secrets: func(u string) ([]byte, bool) { return []byte("s3cret"), u == "alice" },
		Log:     slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf, mu: &logMu}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-srvDone; err != nil {
			t.Errorf("BRAS: %v", err)
		}
	}()
	if !netnstest.WaitFor(10*time.Second, func() bool { _, err := ac.Run("ip", "link", "show", "bras0"); return err == nil }) {
		t.Fatal("no bras0")
	}
	ac.MustRun("ip", "link", "set", "bras0", "up")
	ac.MustRun("ip", "addr", "add", "203.0.113.1/32", "dev", "bras0")
	ac.MustRun("ip", "route", "add", "203.0.113.0/24", "dev", "bras0")

	ups := make(chan netip.Addr, 4)
	c, err := session.NewClient(session.ClientConfig{
		Interface: "eth0", Username: "alice", Password: []byte("s3cret"), Namespace: cl.Name,
		StateDir: t.TempDir(), MinBackoff: 100 * time.Millisecond,
		OnEvent: func(e session.Event) {
			if e.Kind == session.KindUp {
				if a, err := netip.ParseAddr(e.Address); err == nil && a.Is4() {
					ups <- a
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	clDone := make(chan error, 1)
	go func() { clDone <- c.Run(cctx) }()
	defer func() { ccancel(); <-clDone }()

	first := waitUp(t, ups)
	if !netip.MustParsePrefix("203.0.113.0/24").Contains(first) || first.String() == "203.0.113.1" {
		t.Fatalf("session address %v not from the pool", first)
	}
	// IPv4 through the session: the ISP side pings the client's address.
	if !netnstest.WaitFor(5*time.Second, func() bool {
		_, err := ac.Run("ping", "-c1", "-W1", first.String())
		return err == nil
	}) {
		t.Fatalf("no ping through the session to %v", first)
	}

	srv.DropAll("test drop")
	second := waitUp(t, ups)
	if second == first {
		t.Fatalf("after PADT the client got the same address %v", first)
	}
	logMu.Lock()
	log := logBuf.String()
	logMu.Unlock()
	if !strings.Contains(log, "dropping session (PADT)") || strings.Contains(log, "s3cret") {
		t.Errorf("BRAS log:\n%s", log)
	}
}

func waitUp(t *testing.T, ups chan netip.Addr) netip.Addr {
	t.Helper()
	select {
	case a := <-ups:
		return a
	case <-time.After(20 * time.Second):
		t.Fatal("the session did not come up")
	}
	return netip.Addr{}
}

type lockedWriter struct {
	w  *strings.Builder
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if os.Getenv("BRAS_TEST_LOG") != "" {
		os.Stderr.Write(p)
	}
	return l.w.Write(p)
}
