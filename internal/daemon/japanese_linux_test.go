package daemon

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/ppp"
)

// TestStatusInJapaneseUnderFaults runs the daemon against our access
// concentrator with a host firewall that drops the exposed port, and reads
// `dualpath status` under LANG=ja_JP.UTF-8 after each way a session ends
// (wrong password, PADT, an AC gone silent): every line is Japanese (no
// English words from the layers below) and fits 80 columns, and the line
// says why the session ended.
func TestStatusInJapaneseUnderFaults(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	isp := netnstest.New(t, "isp")
	home := netnstest.New(t, "home")
	netnstest.Veth(t, isp, "isp0", home, "home0")
	ac, err := session.NewAccessConcentrator(session.ACConfig{Interface: "isp0", Namespace: isp.Name, StateDir: t.TempDir(),
		Auth: ppp.AuthPAP, Secrets: map[string][]byte{"dpuser": []byte("right-pass")},
		Local: netip.MustParseAddr("198.51.100.1"), Pool: netip.MustParsePrefix("198.51.100.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ac.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-ac.Ready():
	case err := <-done:
		t.Fatalf("AC: %v", err)
	}
	// The host's own firewall drops everything new: the status warns that
	// it drops the exposed port.
	home.MustRun("nft", "add table inet hostfw")
	home.MustRun("nft", "add chain inet hostfw input { type filter hook input priority 0; policy drop; }")

	statusJA := func(d *testDaemon, code string) string {
		t.Helper()
		if !netnstest.WaitFor(30*time.Second, func() bool {
			s, err := QueryStatus(context.Background(), d.socket)
			return err == nil && s.Session.LastErrorCode == code
		}) {
			t.Fatalf("no session end %q in the status: %+v\n%s", code, d.status().Session, d.proc.Output())
		}
		out, err := home.Run("env", "LC_ALL=", "LANG=ja_JP.UTF-8", dualpathBinary(t), "status", "--socket", d.socket)
		if err != nil {
			t.Fatal(err)
		}
		msgtest.Japanese(t, out)
		return out
	}
	wants := func(out string, want ...string) {
		t.Helper()
		flat := strings.Join(strings.Fields(out), "")
		for _, w := range want {
			if !strings.Contains(flat, strings.Join(strings.Fields(w), "")) {
				t.Errorf("status lacks %q:\n%s", w, out)
			}
		}
	}

	dir := t.TempDir()
	cfg, socket := daemonConfig{dir: dir, iface: "home0", password: "wrong-pass"}.write(t)
	d := startDaemon(t, home, cfg, socket)
	out := statusJA(d, "session-auth-pap")
	wants(out, "PAP の認証に失敗しました", "ホスト自身のファイアウォールが dp-ppp0 の TCP ポート 8080 への新規接続を破棄します",
		"設定に ddns のレコードがありません")
	t.Logf("wrong password:\n%s", out)
	d.stop(syscall.SIGTERM)

	if err := os.WriteFile(filepath.Join(dir, "pppoe.pass"), []byte("right-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d = startDaemon(t, home, cfg, socket)
	if !netnstest.WaitFor(30*time.Second, func() bool { return d.status().Session.State == StateUp }) {
		t.Fatalf("session not up:\n%s", d.proc.Output())
	}
	ac.DropAll("maintenance window")
	wants(statusJA(d, "session-padt"), "ISP 側の AC が PADT でセッションを終えました")

	if !netnstest.WaitFor(30*time.Second, func() bool { return d.status().Session.State == StateUp }) {
		t.Fatalf("session not back up:\n%s", d.proc.Output())
	}
	home.MustRun("nft", "add table netdev silent")
	home.MustRun("nft", `add chain netdev silent in { type filter hook ingress device "home0" priority 0; policy accept; }`)
	home.MustRun("nft", "add rule netdev silent in ether type 0x8864 drop")
	wants(statusJA(d, "session-silent"), "ISP 側の AC が LCP エコーに応答しなくなりました")
	d.stop(syscall.SIGTERM)
}
