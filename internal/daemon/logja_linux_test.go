package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/ddns/providersim"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/ppp"
)

// TestLogFollowsTheLocale runs `dualpath run` as systemd would, once under
// LANG=ja_JP.UTF-8 and once under LANG=C, through a life a user reads in
// journalctl: start, firewall, session up, DNS record published, the ISP
// dropping the session (PADT), the session back, SIGTERM, host left as
// found. Under the Japanese locale every line for people (info and above)
// is Japanese, reasons and errors too; under C the lines are the English
// ones log parsers already know. Keys stay English in both.
func TestLogFollowsTheLocale(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	isp := netnstest.New(t, "lgi")
	home := netnstest.New(t, "lgh")
	netnstest.Veth(t, isp, "isp0", home, "home0")

	const user, pass = "dpuser", "log-Secret-0042"
	ac, err := session.NewAccessConcentrator(session.ACConfig{
		Interface: "isp0", Namespace: isp.Name, StateDir: t.TempDir(), Name: "lab-isp",
		Local: netip.MustParseAddr("198.51.100.1"), Pool: netip.MustParsePrefix("198.51.100.0/24"),
		Auth: ppp.AuthPAP, Secrets: map[string][]byte{user: []byte(pass)},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	acDone := make(chan error, 1)
	go func() { acDone <- ac.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-acDone })
	select {
	case <-ac.Ready():
	case err := <-acDone:
		t.Fatalf("AC: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("AC not ready")
	}

	// A dyndns2 service on the home loopback.
	const dynUser, dynPass, host = "dynuser", "dyn-Secret-4242", "www.example.net"
	dyn := providersim.NewDynDNS2(dynUser, dynPass, host)
	var dynLn net.Listener
	if err := hostnet.InNamespace(home.Name, func() error {
		var err error
		dynLn, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: dyn}
	go srv.Serve(dynLn)
	t.Cleanup(func() { srv.Close() })

	run := func(lang, statusUp string) string {
		dir := t.TempDir()
		dynPassFile := filepath.Join(dir, "dyn.pass")
		if err := os.WriteFile(dynPassFile, []byte(dynPass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		extra := fmt.Sprintf("ddns:\n  - provider: dyndns2\n    name: %s\n    username: %s\n    password_file: %s\n    base_url: http://%s\n    ipv4: pppoe\n",
			host, dynUser, dynPassFile, dynLn.Addr())
		cfg, socket := daemonConfig{dir: dir, iface: "home0", password: pass, extra: extra}.write(t)
		d := startDaemonEnv(t, home, cfg, socket, "LC_ALL=", "LC_MESSAGES=", "LANG="+lang)
		addr := waitUp(t, d)
		// systemd's status line (systemctl status) speaks the same language.
		d.waitNotifyPrefix(statusUp+addr, 10*time.Second)
		published := func(addr string) bool {
			return netnstest.WaitFor(30*time.Second, func() bool {
				s := d.status()
				return len(s.DNS) == 1 && s.DNS[0].Value == addr && s.DNS[0].LastUpdate != nil
			})
		}
		if !published(addr) {
			t.Fatalf("%s: record not published: %+v\n%s", lang, d.status().DNS, d.proc.Output())
		}
		ac.DropAll("maintenance")
		if !netnstest.WaitFor(60*time.Second, func() bool {
			s, err := QueryStatus(t.Context(), socket)
			return err == nil && s.Session.State == StateUp && s.Session.Reconnects >= 1
		}) {
			t.Fatalf("%s: session not back after PADT:\n%s", lang, d.proc.Output())
		}
		d.stop(syscall.SIGTERM)
		out := d.proc.Output()
		if strings.Contains(out, pass) || strings.Contains(out, dynPass) {
			t.Errorf("%s: a password in the log", lang)
		}
		return out
	}

	ja := run("ja_JP.UTF-8", "STATUS=セッション接続中: ")
	if n := msgtest.JapaneseLog(t, ja, "reason", "err", "why", "warning"); n < 8 {
		t.Errorf("only %d lines for people in the Japanese log:\n%s", n, ja)
	}
	for _, want := range [][]string{
		{"dualpath を起動します", "version", ""},
		{"ファイアウォールを設定しました", "interface", "dp-ppp0"},
		{"PPPoE セッションがつながりました", "address", "198.51.100."},
		{"DDNS のレコードを公開しました", "record", "dyndns2 www.example.net", "ipv4", "198.51.100."},
		{"PPPoE セッションが切れました", "reason", "ISP 側の AC が PADT", "cause", "padt"},
		{"ホストを起動前の状態に戻しました"},
		{"ホストの警告", "warning", "TCP ポート 8080"}, // nothing listens on the exposed port
	} {
		if !logHas(ja, want[0], want[1:]...) {
			t.Errorf("Japanese log lacks %q:\n%s", want, ja)
		}
	}

	// A crash, then the start that cleans up after it, in Japanese. The
	// lists of host changes (changes=, what=) are the commands' own words.
	dir := t.TempDir()
	cfg, socket := daemonConfig{dir: dir, iface: "home0", password: pass}.write(t)
	jaEnv := []string{"LC_ALL=", "LC_MESSAGES=", "LANG=ja_JP.UTF-8"}
	d := startDaemonEnv(t, home, cfg, socket, jaEnv...)
	waitUp(t, d)
	d.stop(syscall.SIGKILL)
	d = startDaemonEnv(t, home, cfg, socket, jaEnv...)
	waitUp(t, d)
	d.stop(syscall.SIGTERM)
	crash := d.proc.Output()
	msgtest.JapaneseLog(t, crash, "reason", "err", "why")
	if !logHas(crash, "PPPoE: 前回の実行の残りを片付けました", "what", "前回のセッション 0x") {
		t.Errorf("no Japanese line for the stale session's PADT:\n%s", crash)
	}
	for _, want := range []string{"前回の異常終了で残った変更を取り消しました", "PPPoE: 前回の実行の残りを片付けました"} {
		if !logHas(crash, want) {
			t.Errorf("Japanese log after a crash lacks %q:\n%s", want, crash)
		}
	}

	en := run("C.UTF-8", "STATUS=session up: ")
	for _, want := range [][]string{
		{"dualpath starting", "version", ""},
		{"firewall in place", "interface", "dp-ppp0"},
		{"pppoe session up", "address", "198.51.100."},
		{"ddns record published", "record", "dyndns2 www.example.net", "ipv4", "198.51.100."},
		{"pppoe session down", "reason", "PADT from the access concentrator", "cause", "padt"},
		{"host left as found"},
		{"host warning", "warning", "nothing listens on TCP port 8080"},
	} {
		if !logHas(en, want[0], want[1:]...) {
			t.Errorf("English log lacks %q:\n%s", want, en)
		}
	}
	for _, l := range strings.Split(en, "\n") {
		if msgtest.HasJapanese(l) {
			t.Errorf("Japanese in the log under LANG=C: %s", l)
		}
	}
}

// logHas reports whether out has a line with message m whose keys start
// with the given values: logHas(out, m, key, prefix, ...).
func logHas(out, m string, kv ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		got, ok := msgtest.LogLine(l)
		if !ok || got["msg"] != m {
			continue
		}
		match := true
		for i := 0; i+1 < len(kv); i += 2 {
			v, has := got[kv[i]]
			match = match && has && strings.HasPrefix(v, kv[i+1])
		}
		if match {
			return true
		}
	}
	return false
}

// waitNotifyPrefix waits for a notification that starts with prefix.
func (d *testDaemon) waitNotifyPrefix(prefix string, timeout time.Duration) {
	d.t.Helper()
	deadline := time.After(timeout)
	var seen []string
	for {
		select {
		case m, ok := <-d.notify:
			if !ok {
				d.t.Fatalf("notify socket closed before %q; saw %q", prefix, seen)
			}
			if strings.HasPrefix(m, prefix) {
				return
			}
			seen = append(seen, m)
		case <-deadline:
			d.t.Fatalf("no notification %q... within %v; saw %q", prefix, timeout, seen)
		}
	}
}
