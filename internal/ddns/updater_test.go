package ddns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns/providersim"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/netnstest"

	"github.com/dualpath/dualpath/internal/hostnet"
)

// fakeHost is an injectable set of interface addresses and a clock.
type fakeHost struct {
	mu    sync.Mutex
	links map[string][]hostnet.Addr
	now   time.Time
}

func newFakeHost() *fakeHost {
	return &fakeHost{links: map[string][]hostnet.Addr{}, now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
}

func (h *fakeHost) set(link string, prefixes ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var as []hostnet.Addr
	for _, p := range prefixes {
		as = append(as, hostnet.Addr{Prefix: netip.MustParsePrefix(p), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever})
	}
	h.links[link] = as
}

func (h *fakeHost) addrs(link string) ([]hostnet.Addr, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	as, ok := h.links[link]
	if !ok {
		return nil, fmt.Errorf("interface not found: %s", link)
	}
	return append([]hostnet.Addr(nil), as...), nil
}

func (h *fakeHost) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *fakeHost) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

// writeSecret writes a 0600 secret file.
func writeSecret(t *testing.T, dir, name, value string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadConfig parses YAML text through the real config loader.
func loadConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dualpath.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func testOptions(h *fakeHost, logs *logBuf, state string) Options {
	return Options{
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		StateDir: state, Addrs: h.addrs, Now: h.clock, Jitter: func() float64 { return 0.5 },
		Watch: func(ctx context.Context) <-chan struct{} { return nil },
		// Names are never looked up outside the test: a closed port on
		// loopback makes the DNS truth check "not verifiable".
		Resolver: "127.0.0.1:9",
	}
}

func dyndnsConfig(t *testing.T, url, pwFile, extra string) *config.Config {
	return loadConfig(t, fmt.Sprintf(`
interface: lan0
pppoe:
  username: u@example.jp
  tun: ppp9
ddns:
  - provider: dyndns2
    name: home.example.net
    username: user1
    password_file: %s
    base_url: %s
    ipv4: pppoe
    ipv6: interface:lan0
%s`, pwFile, url, extra))
}

func TestUpdaterSendsOnlyOnChangeAndPersists(t *testing.T) {
	sim := providersim.NewDynDNS2("user1", secretPW, "home.example.net")
	url := serve(t, sim)
	dir := t.TempDir()
	cfg := dyndnsConfig(t, url, writeSecret(t, dir, "pw", secretPW), "")
	h := newFakeHost()
	h.set("ppp9", "203.0.113.7/32")
	h.set("lan0", "192.168.1.10/24", "2001:db8:1:1::10/64", "fe80::1/64")
	state := filepath.Join(dir, "state")
	logs := &logBuf{}
	u, err := New(cfg, testOptions(h, logs, state))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := u.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sim.Record("home.example.net"); len(got) != 2 || got[0] != ip("203.0.113.7") || got[1] != ip("2001:db8:1:1::10") {
		t.Fatalf("published %v", got)
	}
	n := len(sim.Requests())
	if err := u.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sim.Requests()) != n {
		t.Fatal("an unchanged record was re-sent")
	}
	h.set("ppp9", "203.0.113.99/32")
	if err := u.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sim.Record("home.example.net"); got[0] != ip("203.0.113.99") {
		t.Fatalf("after change %v", got)
	}
	c := u.Counters()
	if c.Updates != 2 || c.Unchanged != 1 || c.Failures != 0 {
		t.Fatalf("counters %+v", c)
	}
	if bp := u.ByProvider(); len(bp) != 1 || bp["dyndns2"].Updates != 2 || bp["dyndns2"].Failures != 0 || bp["dyndns2"].LastSuccess.IsZero() {
		t.Fatalf("by provider %+v", bp)
	}
	st := u.Status()
	if len(st) != 1 || st[0].IPv4 != "203.0.113.99" || st[0].IPv6 != "2001:db8:1:1::10" || st[0].LastUpdate.IsZero() {
		t.Fatalf("status %+v", st)
	}

	// A restarted updater reads the state and sends nothing.
	n = len(sim.Requests())
	u2, err := New(cfg, testOptions(h, logs, state))
	if err != nil {
		t.Fatal(err)
	}
	if err := u2.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sim.Requests()) != n {
		t.Fatal("restart re-sent an unchanged record")
	}
	if strings.Contains(logs.String(), secretPW) {
		t.Fatal("log leaks the password")
	}
}

func TestUpdaterGuardsKeepLastGood(t *testing.T) {
	sim := providersim.NewDynDNS2("user1", secretPW, "home.example.net")
	url := serve(t, sim)
	dir := t.TempDir()
	cfg := dyndnsConfig(t, url, writeSecret(t, dir, "pw", secretPW), "")
	h := newFakeHost()
	// The LAN carries an address of a v6プラス line: 240b:10:1234:5600::/56
	// is MAP-E line 106.72.18.52 (PSID 0x56).
	h.set("lan0", "192.168.1.10/24", "240b:10:1234:5600::10/64")
	logs := &logBuf{}
	u, err := New(cfg, testOptions(h, logs, "-"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u.SetSessionAddress(ip("203.0.113.7"))
	if err := u.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"106.72.18.52", "100.64.3.4", "192.168.1.10"} {
		u.SetSessionAddress(ip(bad))
		if err := u.RunOnce(ctx); err == nil || !strings.Contains(err.Error(), "ipv4 source pppoe") {
			t.Fatalf("one-shot run with %s: err %v, want the refusal", bad, err)
		}
		if got := sim.Record("home.example.net"); got[0] != ip("203.0.113.7") {
			t.Fatalf("after pushing %s the record is %v, want the last good 203.0.113.7", bad, got)
		}
	}
	if !strings.Contains(logs.String(), "MAP-E shared IPv4") || !strings.Contains(logs.String(), "6598") {
		t.Fatalf("refusals not explained in the log:\n%s", logs.String())
	}
	if c := u.Counters(); c.Refused != 3 {
		t.Fatalf("refused %d, want 3", c.Refused)
	}
	// Session down: nothing published, record kept.
	u.SetSessionAddress(netip.Addr{})
	if err := u.RunOnce(ctx); err == nil || !strings.Contains(err.Error(), "session is down") {
		t.Fatalf("err %v, want the session down", err)
	}
	// The daemon's pass logs it and goes on.
	if err := u.pass(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := sim.Record("home.example.net"); got[0] != ip("203.0.113.7") {
		t.Fatalf("session down changed the record: %v", got)
	}
}

func TestUpdaterBackoff(t *testing.T) {
	sim := providersim.NewMyDNS(map[string]string{"mydns1": secretPW})
	url := serve(t, sim)
	dir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`
ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: %s
    ipv4: static:203.0.113.7
`, writeSecret(t, dir, "pw", "wrong-password"), url))
	h := newFakeHost()
	logs := &logBuf{}
	o := testOptions(h, logs, "-")
	o.BackoffBase = time.Second
	u, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := u.pass(ctx, false); err == nil {
		t.Fatal("wrong password accepted")
	}
	st := u.Status()[0]
	if st.Failures != 1 || st.NextTry.Sub(h.clock()) < 5*time.Minute {
		t.Fatalf("MyDNS retry in %v, want >= 5 min (status %+v)", st.NextTry.Sub(h.clock()), st)
	}
	if !strings.Contains(st.LastError, "credentials rejected") || strings.Contains(st.LastError, "wrong-password") {
		t.Fatalf("last error %q", st.LastError)
	}
	n := len(sim.Requests())
	h.advance(4 * time.Minute)
	_ = u.pass(ctx, false)
	if len(sim.Requests()) != n {
		t.Fatal("retried during the backoff")
	}
	h.advance(2 * time.Minute)
	_ = u.pass(ctx, false)
	if len(sim.Requests()) != n+1 {
		t.Fatal("did not retry after the backoff")
	}
	if st := u.Status()[0]; st.Failures != 2 {
		t.Fatalf("failures %d", st.Failures)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "wrong-password") {
		t.Fatalf("want an error line without the password:\n%s", logs.String())
	}

	// Retry-After beyond the backoff is honoured.
	sim.Fail(providersim.Fault{Status: 429, RetryAfter: 7200, N: 1})
	h.advance(time.Hour)
	_ = u.pass(ctx, false)
	if d := u.Status()[0].NextTry.Sub(h.clock()); d < 2*time.Hour {
		t.Fatalf("retry in %v, want >= Retry-After 2h", d)
	}
}

func TestUpdaterKeepalive(t *testing.T) {
	sim := providersim.NewMyDNS(map[string]string{"mydns1": secretPW})
	url := serve(t, sim)
	dir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`
ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: %s
    ipv4: static:203.0.113.7
`, writeSecret(t, dir, "pw", secretPW), url))
	h := newFakeHost()
	u, err := New(cfg, testOptions(h, &logBuf{}, "-"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := u.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if st := u.Status()[0]; !st.NextKeepalive.Equal(h.clock().Add(24 * time.Hour)) {
		t.Fatalf("next keepalive %v", st.NextKeepalive)
	}
	h.advance(23 * time.Hour)
	_ = u.RunOnce(ctx)
	if sim.Record("mydns1").Notifies != 1 {
		t.Fatal("keepalive sent early")
	}
	h.advance(2 * time.Hour)
	_ = u.RunOnce(ctx)
	if sim.Record("mydns1").Notifies != 2 {
		t.Fatal("keepalive not sent after 24 h")
	}
	if c := u.Counters(); c.Keepalives != 1 || c.Updates != 1 {
		t.Fatalf("counters %+v", c)
	}
}

// TestUpdaterRunReactsToPPPoEEvents runs the event loop: a burst of session
// events inside the debounce window produces one update with the last one.
func TestUpdaterRunReactsToPPPoEEvents(t *testing.T) {
	sim := providersim.NewDynDNS2("user1", secretPW, "home.example.net")
	url := serve(t, sim)
	dir := t.TempDir()
	cfg := dyndnsConfig(t, url, writeSecret(t, dir, "pw", secretPW), "")
	h := newFakeHost()
	h.set("lan0", "2001:db8:1:1::10/64")
	o := testOptions(h, &logBuf{}, "-")
	o.Now = time.Now
	o.Debounce = time.Second
	u, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- u.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if !netnstest.WaitFor(10*time.Second, func() bool { return len(sim.Record("home.example.net")) == 1 }) {
		t.Fatal("initial AAAA not published")
	}
	n := len(sim.Requests())
	for i := 1; i <= 5; i++ {
		u.SetSessionAddress(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}))
	}
	if !netnstest.WaitFor(10*time.Second, func() bool {
		r := sim.Record("home.example.net")
		return len(r) == 2 && r[0] == ip("203.0.113.5")
	}) {
		t.Fatalf("record %v, want the last pushed 203.0.113.5", sim.Record("home.example.net"))
	}
	if got := len(sim.Requests()) - n; got != 1 {
		t.Fatalf("%d requests for a burst of 5 events, want 1", got)
	}
}

func TestUpdaterHTTPSource(t *testing.T) {
	sim := providersim.NewDynDNS2("user1", secretPW, "home.example.net")
	url := serve(t, sim)
	var mu sync.Mutex
	answer := "Current IP Address: 203.0.113.50"
	echoURL := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(w, answer)
	}))
	dir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`interface: lan0
ddns:
  - provider: dyndns2
    name: home.example.net
    username: user1
    password_file: %s
    base_url: %s
    ipv4: http:%s/ip
`, writeSecret(t, dir, "pw", secretPW), url, echoURL))
	logs := &logBuf{}
	h := newFakeHost()
	h.set("lan0", "192.168.1.10/24", "240b:10:1234:5600::10/64") // v6プラス line 106.72.18.52
	u, err := New(cfg, testOptions(h, logs, "-"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := u.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sim.Record("home.example.net"); len(got) != 1 || got[0] != ip("203.0.113.50") {
		t.Fatalf("published %v", got)
	}
	mu.Lock()
	answer = "10.20.30.40"
	mu.Unlock()
	if err := u.RunOnce(ctx); err == nil {
		t.Fatal("a private echo answer is not reported by a one-shot run")
	}
	if got := sim.Record("home.example.net"); got[0] != ip("203.0.113.50") {
		t.Fatalf("a private echo answer was published: %v", got)
	}
	// The echo saw the line's MAP-E shared address: the request left by the
	// IPoE router; refused too.
	mu.Lock()
	answer = "106.72.18.52"
	mu.Unlock()
	if err := u.RunOnce(ctx); err == nil {
		t.Fatal("the MAP-E shared address is not reported")
	}
	if got := sim.Record("home.example.net"); got[0] != ip("203.0.113.50") {
		t.Fatalf("the MAP-E shared address was published: %v", got)
	}
	for _, want := range []string{"RFC 1918", "MAP-E shared IPv4"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("refusal %q not logged:\n%s", want, logs.String())
		}
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	u := &Updater{opts: Options{BackoffBase: time.Second, BackoffMax: 10 * time.Second, Jitter: func() float64 { return 0.5 }}}
	r := &record{}
	var got []time.Duration
	for i := 1; i <= 6; i++ {
		r.st.Failures = i
		got = append(got, u.backoff(r, errors.New("x")))
	}
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("backoff %v, want %v seconds", got, want)
		}
	}
	// Jitter spreads retries by ±25 %.
	u.opts.Jitter = func() float64 { return 0 }
	r.st.Failures = 3
	if d := u.backoff(r, errors.New("x")); d != 3*time.Second {
		t.Fatalf("low jitter %v", d)
	}
	u.opts.Jitter = func() float64 { return 0.999999 }
	if d := u.backoff(r, errors.New("x")); d < 4999*time.Millisecond || d > 5*time.Second {
		t.Fatalf("high jitter %v", d)
	}
	// The provider's floor and Retry-After win.
	r.minBackoff = 5 * time.Minute
	if d := u.backoff(r, errors.New("x")); d != 5*time.Minute {
		t.Fatalf("floor %v", d)
	}
	if d := u.backoff(r, &Error{Kind: KindRateLimited, RetryAfter: time.Hour}); d != time.Hour {
		t.Fatalf("retry-after %v", d)
	}
}

// With a fixed-IP tunnel, the session the address comes from is the
// tunnel: a down or missing one is named so, never "PPPoE", in both
// languages.
func TestSessionDownNamesTheTunnel(t *testing.T) {
	sim := providersim.NewDynDNS2("user1", secretPW, "home.example.net")
	url := serve(t, sim)
	dir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`
interface: lan0
tunnel:
  br: 2001:db8:ffff::1
  interface_id: ::c6:3364:7b00:0
  ipv4: 203.0.113.7
ddns:
  - provider: dyndns2
    name: home.example.net
    username: user1
    password_file: %s
    base_url: %s
    ipv4: tunnel
`, writeSecret(t, dir, "pw", secretPW), url))
	u, err := New(cfg, testOptions(newFakeHost(), &logBuf{}, "-"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Before the daemon says anything: the tunnel's device is read.
	err = u.RunOnce(ctx)
	if err == nil || !strings.Contains(err.Error(), "the device dp-ipip0 of the fixed-IP tunnel") || strings.Contains(err.Error(), "PPPoE") {
		t.Fatalf("err %v, want the tunnel's device named", err)
	}
	u.SetSessionAddress(netip.Addr{})
	err = u.RunOnce(ctx)
	if err == nil || !strings.Contains(err.Error(), "the fixed-IP tunnel is down") || strings.Contains(err.Error(), "PPPoE") {
		t.Fatalf("err %v, want the tunnel down", err)
	}
	_, err = u.sessionAddr()
	if ja := msg.ErrorIn(err, msg.Japanese); ja != "固定 IP トンネルが切れています" {
		t.Errorf("Japanese %q", ja)
	}
}
