package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
	"github.com/dualpath/dualpath/internal/probeserve"
)

// hookReceiver is a real local HTTP receiver of the generic JSON webhook.
type hookReceiver struct {
	mu  sync.Mutex
	got []notify.JSONPayload
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p notify.JSONPayload
	b, _ := io.ReadAll(r.Body)
	if json.Unmarshal(b, &p) == nil {
		h.mu.Lock()
		h.got = append(h.got, p)
		h.mu.Unlock()
	}
}

func (h *hookReceiver) has(kind notify.Kind, fact, value string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.got {
		if p.Event == kind && (fact == "" || p.Facts[fact] == value) {
			return true
		}
	}
	return false
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// The daemon checks reachability when the session address changes, keeps
// the last result in status and metrics, and sends address_change,
// reach_lost and reach_regained to a real local webhook receiver.
func TestReachLoopStatusMetricsEvents(t *testing.T) {
	site, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(site.Addr().(*net.TCPAddr).Port)
	go http.Serve(site, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer site.Close()

	ps, err := probeserve.NewServer(probeserve.Options{Token: "s3cr3t-probe-token", Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	prober := httptest.NewServer(ps)
	defer prober.Close()
	recv := &hookReceiver{}
	hooks := httptest.NewServer(recv)
	defer hooks.Close()
	tok := filepath.Join(t.TempDir(), "probe.token")
	os.WriteFile(tok, []byte("s3cr3t-probe-token\n"), 0o600)
	// A DNS "server" that refuses at once: the DNS lines fail, the paths
	// are what this test looks at.
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dnsAddr := pc.LocalAddr().String()
	pc.Close()

	cfg := &config.Config{
		Expose: config.Expose{TCP: []uint16{port}},
		Check: &config.Check{Name: "www.example.jp", DNSServers: []string{dnsAddr}, TLSPorts: []uint16{}, Interval: time.Hour,
			Probers: []config.Prober{{URL: prober.URL, TokenFile: tok}}},
		Notify: &config.Notify{Webhooks: []config.Webhook{{URL: hooks.URL, Format: "json"}}},
	}
	st := NewState("test")
	var logs bytes.Buffer
	d := &daemon{cfg: cfg, st: st, log: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
		opts: Options{CheckSettle: 10 * time.Millisecond, CheckPoll: 20 * time.Millisecond, Version: "test"}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if err := d.startOutside(ctx, &wg); err != nil {
		t.Fatal(err)
	}

	reachable := func(a netip.Addr) *ReachPath {
		r := st.Snapshot().Reach
		if r == nil {
			return nil
		}
		for i, p := range r.Paths {
			if p.Family == "ipv4" && p.Port == port && st.Snapshot().Session.Address == a.String() {
				return &r.Paths[i]
			}
		}
		return nil
	}
	one := netip.MustParseAddr("127.0.0.1")
	st.SessionUp(one, netip.Addr{}, nil, 1454)
	waitUntil(t, "a check of 127.0.0.1", func() bool { p := reachable(one); return p != nil && p.Reachable })

	reg := NewRegistry(st)
	m, err := ListenMetrics("127.0.0.1:0", false, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	scrape := func() string {
		resp, err := http.Get("http://" + m.Addr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if want := fmt.Sprintf(`dualpath_reachable{family="ipv4",port="%d"} 1`, port); !strings.Contains(scrape(), want) {
		t.Errorf("metrics lack %q", want)
	}
	var text bytes.Buffer
	st.Snapshot().WriteTextIn(&text, time.Now(), msg.English)
	if want := fmt.Sprintf("IPv4 port %d: ok reachable", port); !strings.Contains(text.String(), want) {
		t.Errorf("status text lacks %q:\n%s", want, text.String())
	}
	// Through the status socket's JSON, in Japanese.
	b, _ := json.Marshal(st.Snapshot())
	decoded, err := DecodeStatus(b)
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	decoded.WriteTextIn(&text, time.Now(), msg.Japanese)
	if want := fmt.Sprintf("IPv4 ポート %d: ok 到達可能", port); !strings.Contains(text.String(), want) {
		t.Errorf("Japanese status text lacks %q:\n%s", want, text.String())
	}

	// A new session address where nothing listens on the port: checked
	// again at once (not after the hour's interval), unreachable.
	two := netip.MustParseAddr("127.0.0.2")
	st.SessionUp(two, netip.Addr{}, nil, 1454)
	waitUntil(t, "a check of 127.0.0.2", func() bool { p := reachable(two); return p != nil && !p.Reachable })
	if want := fmt.Sprintf(`dualpath_reachable{family="ipv4",port="%d"} 0`, port); !strings.Contains(scrape(), want) {
		t.Errorf("metrics lack %q", want)
	}
	waitUntil(t, "address_change and reach_lost at the receiver", func() bool {
		return recv.has(notify.AddressChange, "new", "127.0.0.2") && recv.has(notify.ReachLost, "family", "ipv4")
	})
	// Back to the first address: reachable again.
	st.SessionUp(one, netip.Addr{}, nil, 1454)
	waitUntil(t, "reach_regained at the receiver", func() bool { return recv.has(notify.ReachRegained, "family", "ipv4") })

	d.event(notify.DaemonStop, nil)
	cancel()
	wg.Wait()
	for _, k := range []notify.Kind{notify.DaemonStart, notify.DaemonStop} {
		if !recv.has(k, "", "") {
			t.Errorf("no %s at the receiver", k)
		}
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	for _, p := range recv.got {
		if strings.Contains(fmt.Sprint(p), "s3cr3t") {
			t.Errorf("a payload carries the prober's token: %+v", p)
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// A certificate closer than 14 days to expiry at a check is reported as
// cert_expiring, with the port, family and days left; a farther one not.
func TestCertExpiringEvent(t *testing.T) {
	recv := &hookReceiver{}
	hooks := httptest.NewServer(recv)
	defer hooks.Close()
	nt, err := notify.New(&config.Notify{Webhooks: []config.Webhook{{URL: hooks.URL, Format: "json"}}}, config.ReadSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go nt.Run(ctx)
	d := &daemon{notifier: nt}
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	soon, later := at.Add(5*24*time.Hour+time.Hour), at.Add(60*24*time.Hour)
	first := &ReachStatus{CheckedAt: at, Paths: []ReachPath{
		{Family: "ipv4", Port: 443, Status: "warn", Reachable: true, CertNotAfter: &soon},
		{Family: "ipv6", Port: 443, Status: "ok", Reachable: true, CertNotAfter: &later},
	}}
	d.reachEvents(nil, first)
	waitUntil(t, "cert_expiring", func() bool { return recv.has(notify.CertExpiring, "days_left", "5") })
	// The next check (an hour later, past the debounce) sees the same
	// certificate: no second event for it.
	next := &ReachStatus{CheckedAt: at.Add(time.Hour), Paths: first.Paths}
	d.reachEvents(first, next)
	time.Sleep(200 * time.Millisecond)
	cancel()
	nt.Wait()
	recv.mu.Lock()
	defer recv.mu.Unlock()
	n := 0
	for _, p := range recv.got {
		if p.Event == notify.CertExpiring {
			n++
			if p.Facts["family"] != "ipv4" || p.Facts["port"] != "443" {
				t.Errorf("cert_expiring for %v, want only ipv4 port 443", p.Facts)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d cert_expiring events, want 1", n)
	}
}

// A DNS provider that keeps failing makes one dns_update_failed, with the
// provider, the name and the error, once the updater has failed three
// times in a row (retrying with its backoff in between).
func TestDNSUpdateFailedEvent(t *testing.T) {
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "911\n") // dyndns2: server-side problem, retried
	}))
	defer provider.Close()
	recv := &hookReceiver{}
	hooks := httptest.NewServer(recv)
	defer hooks.Close()
	pw := filepath.Join(t.TempDir(), "dyn.pass")
	os.WriteFile(pw, []byte("s3cr3t-dyn-password\n"), 0o600)
	cfg := &config.Config{DDNS: []config.DDNSRecord{{Provider: "dyndns2", Name: "www.example.net", Username: "u",
		PasswordFile: pw, IPv4: config.Source{Kind: config.SourceStatic, Static: netip.MustParseAddr("203.0.113.7")}, BaseURL: provider.URL, Interval: time.Minute}}}
	nt, err := notify.New(&config.Notify{Webhooks: []config.Webhook{{URL: hooks.URL, Format: "json"}}}, config.ReadSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{notifier: nt}
	u, err := ddns.New(cfg, ddns.Options{StateDir: "-", BackoffBase: 20 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Resolver: "127.0.0.1:1", Interval: 50 * time.Millisecond, OnEvent: d.dnsFailureNotifier()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); nt.Run(ctx) }()
	go func() { defer wg.Done(); _ = u.Run(ctx) }()
	waitUntil(t, "dns_update_failed at the receiver", func() bool { return recv.has(notify.DNSUpdateFailed, "provider", "dyndns2") })
	time.Sleep(300 * time.Millisecond) // more failures: still one event
	cancel()
	wg.Wait()
	recv.mu.Lock()
	defer recv.mu.Unlock()
	n := 0
	for _, p := range recv.got {
		if p.Event == notify.DNSUpdateFailed {
			n++
			if p.Facts["name"] != "www.example.net" || p.Facts["error"] == "" || strings.Contains(fmt.Sprint(p), "s3cr3t") {
				t.Errorf("dns_update_failed facts %v", p.Facts)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d dns_update_failed events, want 1", n)
	}
}
