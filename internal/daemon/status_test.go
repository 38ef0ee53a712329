package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixedState is a State with a session up, two DNS records and the firewall.
func fixedState(t *testing.T) *State {
	t.Helper()
	st := NewState("v9.9.9")
	clock := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	st.now = func() time.Time { return clock }
	st.started = clock.Add(-time.Hour)
	st.SetConfig("/etc/dualpath/dualpath.yaml", "127.0.0.1:9842")
	st.SessionConfigured("enp1s0", "dp-ppp0", 1454)
	st.SessionState(StateConnecting)
	st.SessionUp(netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("203.0.113.1"), []netip.Addr{netip.MustParseAddr("203.0.113.53")}, 1454)
	st.SessionDown(msg.Same("LCP echo timeout: the access concentrator stopped answering"), "session-silent")
	clock = clock.Add(time.Minute)
	st.SessionUp(netip.MustParseAddr("203.0.113.8"), netip.MustParseAddr("203.0.113.1"), nil, 0)
	clock = clock.Add(90 * time.Second)
	st.SetTraffic(fixedTraffic{RxBytes: 2048, TxBytes: 1 << 20, RxPackets: 3, TxPackets: 700})
	updated, keepalive, failed := clock, clock.Add(24*time.Hour), clock
	st.SetDNS(fixedDNS{
		{Provider: "mydns", Name: "mydns123456", Family: "A", Source: "pppoe", Value: "203.0.113.8", LastUpdate: &updated, NextKeepalive: &keepalive},
		{Provider: "mydns", Name: "mydns123456", Family: "AAAA", Source: "interface:enp1s0", LastError: "mydns: login failed: check the MasterID and password", LastErrorCode: "ddns-auth", LastErrorAt: &failed},
		{Provider: "dyndns2", Name: "home.example.net", Family: "A", Source: "interface:enp1s0",
			Problem:   "enp1s0 has only 192.168.1.10 (private); in two-router mode use `ipv4: seen`",
			ProblemJA: "enp1s0 には 192.168.1.10（プライベート）しかありません。ルーター2台の構成では `ipv4: seen` を使ってください"},
	})
	st.SetDNSCounters(fixedDNSCounters{"mydns": {Updates: 1, Failures: 1, LastSuccess: clock}})
	st.SetFirewall(FirewallStatus{Active: true, Interface: "dp-ppp0", TCP: []uint16{80, 443}, ICMPEcho: true})
	st.SetComponent("ddns", true, msg.Text{})
	st.SetComponent("line", false, msg.T("no MAP-E rule matches this host's IPv6 prefix", "このホストの IPv6 プレフィックスに合う MAP-E の規則がありません"))
	st.SetWarnings(fixedWarnings{msg.T("nothing listens on TCP port 443 over IPv6", "IPv6 の TCP ポート 443 で待ち受けているプログラムがありません")})
	return st
}

func TestSnapshot(t *testing.T) {
	s := fixedState(t).Snapshot()
	ss := s.Session
	if ss.State != StateUp || ss.Address != "203.0.113.8" || ss.Reconnects != 1 || ss.UptimeSeconds != 90 {
		t.Errorf("session = %+v", ss)
	}
	if ss.LastError == "" || ss.RxBytes != 2048 || ss.TxPackets != 700 || ss.MTU != 1454 {
		t.Errorf("session details = %+v", ss)
	}
	if len(s.DNS) != 3 || s.DNS[0].Value != "203.0.113.8" || s.DNS[0].NextKeepalive == nil || s.DNS[1].LastError == "" || s.DNS[1].Value != "" {
		t.Errorf("dns = %+v", s.DNS)
	}
	if !s.Firewall.Active || len(s.Firewall.TCP) != 2 || s.Firewall.UDP == nil {
		t.Errorf("firewall = %+v", s.Firewall)
	}
}

func TestStatusSocketRoundTrip(t *testing.T) {
	st := fixedState(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "run", "status.sock")
	srv, err := ListenStatus(path, "", st.Snapshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v, want socket 0660", fi.Mode())
	}
	got, err := QueryStatus(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := st.Snapshot()
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("round trip changed the status:\n got %s\nwant %s", gj, wj)
	}
	// The JSON keys are the documented schema.
	var raw map[string]any
	if err := json.Unmarshal(gj, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "pid", "started", "session", "dns", "firewall", "components", "warnings"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, gj)
		}
	}
	sess := raw["session"].(map[string]any)
	for _, k := range []string{"state", "address", "uptime_seconds", "reconnects", "last_error", "rx_bytes"} {
		if _, ok := sess[k]; !ok {
			t.Errorf("session JSON lacks %q", k)
		}
	}
	var text bytes.Buffer
	got.WriteText(&text, st.now())
	out := text.String()
	for _, want := range []string{
		"dualpath v9.9.9",
		"session:  up on dp-ppp0 via enp1s0, address 203.0.113.8 (peer 203.0.113.1), up 1m30s, 1 reconnects",
		"traffic in 2.0 KiB (3 packets), out 1.0 MiB (700 packets)",
		"last error (2m30s ago): LCP echo timeout",
		"mydns mydns123456 A = 203.0.113.8 from pppoe, updated 0s ago, keepalive in 1d0h",
		"mydns mydns123456 AAAA = (not published yet) from interface:enp1s0",
		"last error: mydns: login failed",
		"dyndns2 home.example.net A = (not published yet) from interface:enp1s0\n           not published: enp1s0 has only 192.168.1.10 (private); in two-router mode use `ipv4: seen`",
		"firewall: inbound on dp-ppp0: TCP 80,443, UDP none, ping answered; all else dropped",
		"note:     line is not running: no MAP-E rule matches",
		"warning:  nothing listens on TCP port 443 over IPv6",
	} {
		if flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }; !strings.Contains(flat(out), flat(want)) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	// Fitted to 80 columns, in English and in Japanese.
	var ja bytes.Buffer
	got.WriteTextIn(&ja, st.now(), msg.Japanese)
	for _, l := range strings.Split(out+ja.String(), "\n") {
		if termtext.DisplayWidth(l) > termtext.Width {
			t.Errorf("%d columns: %q", termtext.DisplayWidth(l), l)
		}
	}
	for _, want := range []string{"セッション:", "接続中（dp-ppp0、enp1s0 経由）", "再接続 1 回", "最後のエラー（2m30s前）: ISP 側の AC が LCP エコーに", "最後のエラー: 認証情報を拒否されました", "注意:             回線の判定は動いていません: このホストの IPv6", "未登録の理由: enp1s0 には 192.168.1.10", "（未登録）", "ファイアウォール:", "TCP 80,443、UDP なし、ping に応答"} {
		if !strings.Contains(ja.String(), want) {
			t.Errorf("Japanese text lacks %q:\n%s", want, ja.String())
		}
	}
	if flat := strings.Join(strings.Fields(ja.String()), ""); !strings.Contains(flat, "IPv6のTCPポート443で待ち受けているプログラムがありません") {
		t.Errorf("Japanese text lacks the warning in Japanese:\n%s", ja.String())
	}

	// A second daemon must not steal the socket.
	if _, err := ListenStatus(path, "", st.Snapshot, nil); err == nil || !strings.Contains(err.Error(), "another dualpath is running") {
		t.Errorf("second listener: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket left behind after Close: %v", err)
	}
	_, err = QueryStatus(context.Background(), path)
	var nr *NotRunningError
	if !errors.As(err, &nr) || err.Error() != "dualpath is not running (no socket at "+path+"): start it with systemctl start dualpath" {
		t.Errorf("after Close: %v", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status.sock")
	// A socket file nobody listens on, as left by a killed daemon.
	first, err := ListenStatus(path, "", NewState("x").Snapshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	first.ln.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	first.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("test setup: stale socket missing: %v", err)
	}
	_, err = QueryStatus(context.Background(), path)
	var nr *NotRunningError
	if !errors.As(err, &nr) {
		t.Errorf("stale socket: %v, want NotRunningError", err)
	}
	srv, err := ListenStatus(path, "", NewState("y").Snapshot, nil)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer srv.Close()
	s, err := QueryStatus(context.Background(), path)
	if err != nil || s.Version != "y" {
		t.Errorf("after replace: %+v %v", s, err)
	}
}

func TestEmptyStateText(t *testing.T) {
	s := NewState("dev").Snapshot()
	var b bytes.Buffer
	s.WriteText(&b, time.Now())
	for _, want := range []string{"session:  not running", "dns:      no records", "firewall: not active"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
	j, _ := json.Marshal(s)
	if strings.Contains(string(j), "null") {
		t.Errorf("empty lists must be [] in JSON, not null: %s", j)
	}
}

// fixedTraffic, fixedDNS and fixedWarnings stand in for the session, the
// updater and the host.
type (
	fixedTraffic  Traffic
	fixedDNS      []DNSStatus
	fixedWarnings []msg.Text
)

func (f fixedTraffic) Traffic() Traffic      { return Traffic(f) }
func (f fixedDNS) DNSStatus() []DNSStatus    { return f }
func (f fixedWarnings) Warnings() []msg.Text { return f }

// fixedDNSCounters stands in for the updater's counters.
type fixedDNSCounters map[string]ddns.ProviderCounters

func (f fixedDNSCounters) ByProvider() map[string]ddns.ProviderCounters { return f }

// countingWarnings counts how often the warnings were computed.
type countingWarnings struct{ n *int }

func (w countingWarnings) Warnings() []msg.Text { *w.n++; return nil }

// Expected gives the addresses a Snapshot gives (session, then DNS), and
// systemd's status line says how the session is, without computing the
// warnings, which run nft and read /proc: the watchers ask every few
// seconds, the status line follows every session event.
func TestBriefSkipsWarnings(t *testing.T) {
	st := fixedState(t)
	n := 0
	st.SetWarnings(countingWarnings{&n})
	v4, v6 := st.Expected()
	d := &daemon{cfg: &config.Config{PPPoE: &config.PPPoE{}}, st: st}
	if line := d.statusLine(); !strings.HasPrefix(line, "session up: 203.0.113.8 on dp-ppp0, firewall on, 1 reconnects") {
		t.Errorf("status line %q", line)
	}
	if n != 0 {
		t.Errorf("Expected and the status line computed the warnings %d times", n)
	}
	w4, w6 := ExpectedAddrs(st.Snapshot())
	if v4 != w4 || v6 != w6 || v4 != netip.MustParseAddr("203.0.113.8") {
		t.Errorf("Expected = %v %v, Snapshot says %v %v", v4, v6, w4, w6)
	}
	st.SessionDown(msg.Same("PADT from the access concentrator"), "session-padt")
	if v4, _ := st.Expected(); v4 != netip.MustParseAddr("203.0.113.8") {
		t.Errorf("after session down the A record's value stays expected, got %v", v4)
	}
}

// The host's warnings (a process and /proc each time) are computed once per
// warningsTTL however often status is asked, and again after it.
func TestWarningsCache(t *testing.T) {
	n := 0
	clock := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	c := newWarningsCache(countingWarnings{&n}, 10*time.Second)
	c.now = func() time.Time { return clock }
	st := fixedState(t)
	st.SetWarnings(c)
	for i := 0; i < 50; i++ {
		st.Snapshot()
		clock = clock.Add(50 * time.Millisecond) // a poller's pace
	}
	if n != 1 {
		t.Errorf("50 status queries in 2.5 s computed the warnings %d times, want 1", n)
	}
	clock = clock.Add(10 * time.Second)
	st.Snapshot()
	if n != 2 {
		t.Errorf("after the TTL: computed %d times, want 2", n)
	}
	clock = clock.Add(-time.Hour) // the clock stepped back: look again
	st.Snapshot()
	if n != 3 {
		t.Errorf("after the clock stepped back: computed %d times, want 3", n)
	}
}
