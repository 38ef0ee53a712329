package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/internal/termtext"
	"github.com/dualpath/dualpath/internal/tunnel"
)

// The tunnel's steps reach status in both languages, fitted to 80 columns,
// and the A record's address is pushed once the BR answers.
func TestTunnelEventsInStatus(t *testing.T) {
	d := &daemon{cfg: &config.Config{Tunnel: &config.Tunnel{}}, st: NewState("dev"), log: slog.New(slog.DiscardHandler), notify: func(string) {}}
	block := netip.MustParsePrefix("203.0.113.8/29")
	ts := &tunnelState{s: TunnelStatus{State: "starting", TUN: "dp-ipip0", BR: "2001:db8:ffff::1", History: []TunnelStep{}}}
	for _, a := range tunnel.Addresses(block) {
		ts.s.Addresses = append(ts.s.Addresses, a.String())
	}
	d.st.SetTunnel(ts)
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	old, moved := netip.MustParseAddr("2001:db8:1:100::fe01"), netip.MustParseAddr("2001:db8:2:100::fe01")
	for _, e := range []tunnel.Event{
		{Kind: tunnel.KindEndpoint, Time: at, Local: old, Prefix: netip.MustParsePrefix("2001:db8:1:100::/64")},
		{Kind: tunnel.KindUp, Time: at, Local: old},
		{Kind: tunnel.KindEndpoint, Time: at, Local: moved, Old: old, Prefix: netip.MustParsePrefix("2001:db8:2:100::/64")},
		{Kind: tunnel.KindUpdate, Time: at, State: "failed", Local: moved, Reason: "http://[2001:db8::88]/u?pass=xxxxx answered 401 Unauthorized", RetryIn: 2 * time.Second},
		{Kind: tunnel.KindUpdate, Time: at, State: "ok", Local: moved},
		{Kind: tunnel.KindUp, Time: at, Local: moved},
	} {
		d.onTunnelEvent(ts, block, e)
	}
	s := d.st.Snapshot()
	if s.Tunnel == nil || s.Tunnel.State != "up" || s.Tunnel.Local != moved.String() || len(s.Tunnel.History) != 6 {
		t.Fatalf("tunnel status %+v", s.Tunnel)
	}
	var mb strings.Builder
	NewRegistry(d.st).write(&mb)
	for _, want := range []string{"dualpath_tunnel_up 1\n", "dualpath_tunnel_last_update_ok 1\n", "dualpath_tunnel_last_verified_timestamp_seconds "} {
		if !strings.Contains(mb.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, mb.String())
		}
	}
	// dualpath check expects visitors at the fixed address while the
	// tunnel answers
	if v4, _ := ExpectedAddrs(s); v4 != block.Addr() {
		t.Errorf("check would expect IPv4 %v, want %v", v4, block.Addr())
	}
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		var b bytes.Buffer
		s.WriteTextIn(&b, at.Add(time.Minute), lang)
		out := b.String()
		for _, want := range map[msg.Lang][]string{
			msg.English:  {"tunnel:", "203.0.113.8 ... 203.0.113.15", "new prefix: end point 2001:db8:1:100::fe01 ->", "update failed (retry in 2s)"},
			msg.Japanese: {"トンネル:", "新しいプレフィックス", "更新に失敗"},
		}[lang] {
			if !strings.Contains(out, want) {
				t.Errorf("%s: lacks %q:\n%s", lang, want, out)
			}
		}
		for _, l := range strings.Split(out, "\n") {
			if termtext.DisplayWidth(l) > 80 {
				t.Errorf("%s: wider than 80 columns: %q", lang, l)
			}
		}
	}
}

// The update call goes out from the tunnel's end point, with the password
// from its file; errors name the URL with the password hidden.
func TestTunnelUpdaterHidesThePassword(t *testing.T) {
	const pw = "s3cr&t"
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query().Get("pass")
		if got != pw {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	pf := filepath.Join(dir, "pass")
	if err := os.WriteFile(pf, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tc := &config.Tunnel{IPv4: "203.0.113.8/29", Update: &config.TunnelUpdate{
		URLTemplate: srv.URL + "/u?user={username}&pass={password}&ip6={ipv6}", Username: "u", PasswordFile: pf}}
	local := netip.MustParseAddr("127.0.0.1") // the test server listens on loopback
	up := tunnelUpdater(tc, "test", func(netip.Addr) {})
	if err := up(context.Background(), local); err != nil || got != pw {
		t.Fatalf("update: %v (server saw %q)", err, got)
	}
	os.WriteFile(pf, []byte("wrong\n"), 0o600)
	err := up(context.Background(), local)
	if err == nil || strings.Contains(err.Error(), "wrong") || !strings.Contains(err.Error(), "pass=xxxxx") || !strings.Contains(err.Error(), "401") {
		t.Errorf("refused update: %v", err)
	}
	srv.Close()
	err = up(context.Background(), local)
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("unreachable update: %v", err)
	}
}

// The tunnel's failures read as Japanese in a Japanese locale: the update
// URL refused (a real call to a closed port) and a BR that does not send
// the probe back, in the history and as the last error.
func TestTunnelFailuresInJapanese(t *testing.T) {
	d := &daemon{cfg: &config.Config{Tunnel: &config.Tunnel{}}, st: NewState("dev"), log: slog.New(slog.DiscardHandler), notify: func(string) {}}
	block := netip.MustParsePrefix("203.0.113.8/29")
	ts := &tunnelState{s: TunnelStatus{State: "starting", TUN: "dp-ipip0", BR: "2001:db8:ffff::1", History: []TunnelStep{}}}
	d.st.SetTunnel(ts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	pf := filepath.Join(dir, "pass")
	os.WriteFile(pf, []byte("pw\n"), 0o600)
	tc := &config.Tunnel{IPv4: block.String(), Update: &config.TunnelUpdate{
		URLTemplate: "http://" + gone + "/u?pass={password}&ip6={ipv6}", Username: "u", PasswordFile: pf}}
	local := netip.MustParseAddr("127.0.0.1")
	upErr := tunnelUpdater(tc, "test", func(netip.Addr) {})(context.Background(), local)
	if upErr == nil {
		t.Fatal("update to a closed port succeeded")
	}
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for _, e := range []tunnel.Event{
		{Kind: tunnel.KindUpdate, Time: at, State: "failed", Local: local, Reason: upErr.Error(), Err: upErr, RetryIn: 2 * time.Second},
		{Kind: tunnel.KindVerify, Time: at, Local: local, Reason: dataplane.ErrNoProbeBack.Error(), Err: dataplane.ErrNoProbeBack, RetryIn: 4 * time.Second},
	} {
		d.onTunnelEvent(ts, block, e)
	}
	s := d.st.Snapshot()
	var b bytes.Buffer
	s.WriteTextIn(&b, at.Add(time.Minute), msg.Japanese)
	msgtest.Japanese(t, b.String())
	flat := strings.Join(strings.Fields(b.String()), "")
	for _, want := range []string{"を呼び出せません:接続を拒否されました", "最後のエラー:BRがトンネル越しに確認用のパケットを返しませんでした"} {
		if !strings.Contains(flat, want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "pw&") || s.Tunnel.LastError != dataplane.ErrNoProbeBack.Error() {
		t.Errorf("status: %q\n%s", s.Tunnel.LastError, b.String())
	}
	t.Logf("Japanese:\n%s", b.String())
}

// A session that ended because configuring the host failed says what
// failed there in Japanese too (the code alone would say only "the host").
func TestSessionHostFailureInJapanese(t *testing.T) {
	d := &daemon{cfg: &config.Config{PPPoE: &config.PPPoE{}}, st: NewState("dev"), log: slog.New(slog.DiscardHandler), notify: func(string) {}}
	err := fmt.Errorf("adding 203.0.113.7/32 to dp-ppp0: %w", hostnet.ErrPermission)
	d.onSessionEvent(session.Event{Kind: session.KindDown, Reason: "configuring the host: " + err.Error(), Cause: session.CauseHost, Code: "session-host", Err: err})
	s := d.st.Snapshot()
	if s.Session.LastErrorCode != "session-host" || s.Session.LastError != "configuring the host: "+err.Error() {
		t.Fatalf("session %+v", s.Session)
	}
	var b bytes.Buffer
	s.WriteTextIn(&b, time.Now(), msg.Japanese)
	msgtest.Japanese(t, b.String())
	if flat := strings.Join(strings.Fields(b.String()), ""); !strings.Contains(flat, "ホストかデータ転送部の設定に失敗しました:CAP_NET_ADMINとCAP_NET_RAWが必要です") {
		t.Errorf("Japanese status:\n%s", b.String())
	}
}
