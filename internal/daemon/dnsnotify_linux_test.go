package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/notify"
)

// TestDNSFailureNotifiedByRun: the daemon as Run builds it (config file,
// notify section, DNS updater) sends dns_update_failed to the webhook when
// a record keeps failing, and again when the record fails anew after a
// success. Nothing but Run's own wiring connects the updater's events to
// the notifier. Run itself stays in a namespace of the test's; the
// provider, the echo service and the receiver are on loopback.
func TestDNSFailureNotifiedByRun(t *testing.T) {
	ns := netnstest.New(t, "dnsf")
	var addr atomic.Value // what the echo service answers
	addr.Store("203.0.113.7")
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, addr.Load().(string)+"\n")
	}))
	defer echo.Close()
	var failing atomic.Bool
	failing.Store(true)
	var goods atomic.Int32
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			io.WriteString(w, "911\n") // dyndns2: a server-side problem, retried
			return
		}
		goods.Add(1)
		io.WriteString(w, "good "+r.URL.Query().Get("myip")+"\n")
	}))
	defer provider.Close()
	recv := &hookReceiver{}
	hooks := httptest.NewServer(recv)
	defer hooks.Close()

	dir := t.TempDir()
	pw := filepath.Join(dir, "dyn.pass")
	if err := os.WriteFile(pw, []byte("s3cr3t-dyn-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "dualpath.yaml")
	y := fmt.Sprintf(`state_dir: %s
status:
  socket: %s
metrics:
  listen: "off"
ddns:
  - provider: dyndns2
    name: www.example.net
    username: u
    password_file: %s
    base_url: %s
    ipv4: http:%s/ip
notify:
  webhooks:
    - url: %s
  debounce: 1ms
`, filepath.Join(dir, "state"), filepath.Join(dir, "status.sock"), pw, provider.URL, echo.URL, hooks.URL)
	if err := os.WriteFile(file, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckConfig(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- hostnet.InNamespace(ns.Name, func() error {
			return Run(ctx, Options{Config: cfg, Version: "test", Notify: func(string) {},
				DDNS: ddns.Options{BackoffBase: 20 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
					Interval: 50 * time.Millisecond, Resolver: "127.0.0.1:1"}})
		})
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}()
	failed := func() (n int) {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		for _, p := range recv.got {
			if p.Event == notify.DNSUpdateFailed {
				n++
				if p.Facts["provider"] != "dyndns2" || p.Facts["name"] != "www.example.net" || p.Facts["error"] == "" || strings.Contains(fmt.Sprint(p), "s3cr3t") {
					t.Errorf("dns_update_failed facts %v", p.Facts)
				}
			}
		}
		return n
	}

	waitUntil(t, "the first dns_update_failed", func() bool { return failed() == 1 })
	failing.Store(false)
	waitUntil(t, "a successful update", func() bool { return goods.Load() > 0 })
	time.Sleep(200 * time.Millisecond) // more checks, nothing to send
	if n := failed(); n != 1 {
		t.Fatalf("%d dns_update_failed after the success, want still 1", n)
	}
	// The address changes and the provider fails again: a new failure,
	// told again.
	failing.Store(true)
	addr.Store("203.0.113.8")
	waitUntil(t, "the second dns_update_failed", func() bool { return failed() == 2 })
	time.Sleep(200 * time.Millisecond) // more failures: still two
	if n := failed(); n != 2 {
		t.Errorf("%d dns_update_failed, want 2", n)
	}
}
