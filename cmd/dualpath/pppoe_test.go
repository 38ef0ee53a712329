package main

import (
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"

	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
	"github.com/dualpath/dualpath/ppp"
)

func runPPPoECmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	io := cli.IO{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	err := cli.Lookup("pppoe").Run(context.Background(), io, args)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return cli.Code(err), out.String() + errb.String(), msg
}

func TestPPPoEUsageErrors(t *testing.T) {
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose.pass")
	os.WriteFile(loose, []byte("s3cret-loose\n"), 0o644)
	tight := filepath.Join(dir, "tight.pass")
	os.WriteFile(tight, []byte("s3cret-tight\n"), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no interface", nil, []string{"--username", "u", "--password-file", tight}, 2, "--interface is required"},
		{"no user", nil, []string{"--interface", "lo", "--password-file", tight}, 2, "--username is required"},
		{"no password", nil, []string{"--interface", "lo", "--username", "u"}, 2, "DUALPATH_PPPOE_PASSWORD"},
		{"loose password file", nil, []string{"--interface", "lo", "--username", "u", "--password-file", loose}, 2, "chmod 600 " + loose},
		{"bad auth", nil, []string{"--interface", "lo", "--username", "u", "--password-file", tight, "--auth", "mschap"}, 2, "--auth"},
		{"bad events", nil, []string{"--interface", "lo", "--username", "u", "--password-file", tight, "--events", "xml"}, 2, "--events"},
		{"bad mtu", nil, []string{"--interface", "lo", "--username", "u", "--password-file", tight, "--mtu", "99999"}, 2, "--mtu"},
		{"missing interface", map[string]string{"DUALPATH_PPPOE_PASSWORD": "s3cret-env"}, []string{"--interface", "nosuchif9", "--username", "u"}, 3, "interface nosuchif9 not found"},
		{"password on the command line", nil, []string{"--interface", "lo", "--username", "u", "--password", "s3cret-argv"}, 2, "never goes on the command line"},
		{"unknown flag", nil, []string{"--interface", "lo", "--bogus"}, 2, "usage: dualpath pppoe"},
		{"stray argument", nil, []string{"--interface", "lo", "--username", "u", "--password-file", tight, "extra"}, 2, "no arguments"},
	} {
		code, out, msg := runPPPoECmd(t, tc.env, tc.args...)
		if code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: exit %d %q, want %d containing %q", tc.name, code, msg, tc.code, tc.want)
		}
		if strings.Count(msg, "\n") > 1 {
			t.Errorf("%s: error is more than one line: %q", tc.name, msg)
		}
		for _, secret := range []string{"s3cret-loose", "s3cret-tight", "s3cret-env", "s3cret-argv"} {
			if strings.Contains(out+msg, secret) {
				t.Errorf("%s: password in output: %s %s", tc.name, out, msg)
			}
		}
	}
}

// pppoeBin builds the dualpath binary into the test's temporary directory
// (readable by others, for the unprivileged run).
func pppoeBin(t *testing.T) (string, error) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "dualpath")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	return bin, nil
}

func TestPPPoENeedsPrivileges(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireCommand(t, "setpriv")
	bin, err := pppoeBin(t)
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "pppoe", "--interface", "lo", "--username", "u", "--state-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "DUALPATH_PPPOE_PASSWORD=s3cret-priv")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "CAP_NET_ADMIN") || !strings.Contains(string(out), "CAP_NET_RAW") {
		t.Fatalf("exit %d (%v): %s", code, err, out)
	}
	if strings.Contains(string(out), "s3cret-priv") {
		t.Fatalf("password in output: %s", out)
	}
}

// TestPPPoECommandAgainstPppd runs the built binary in the client namespace
// against the real pppd AC with --events json, then stops it with SIGTERM.
func TestPPPoECommandAgainstPppd(t *testing.T) {
	ac := umlac.Start(t, umlac.CHAP)
	bin, err := pppoeBin(t)
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	dir := t.TempDir()
	pw := filepath.Join(dir, "pass")
	os.WriteFile(pw, []byte(ac.Password+"\n"), 0o600)
	p := ac.ClientNS.Start(bin, "pppoe", "--interface", umlac.ClientIf, "--username", ac.Username, "--password-file", pw,
		"--auth", "chap", "--service", umlac.ServiceName, "--ac-name", umlac.ACName, "--state-dir", filepath.Join(dir, "state"),
		"--echo-interval", "2s", "--events", "json")
	var up map[string]any
	if !netnstest.WaitFor(60*time.Second, func() bool {
		for _, ev := range pppoeEvents(p.Output()) {
			if ev["event"] == "up" {
				up = ev
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no up event:\n%s", p.Output())
	}
	kinds := map[string]bool{}
	for _, ev := range pppoeEvents(p.Output()) {
		kinds[ev["event"].(string)] = true
	}
	for _, k := range []string{"discovery", "session", "auth", "up"} {
		if !kinds[k] {
			t.Errorf("no %q event in:\n%s", k, p.Output())
		}
	}
	addr, _ := up["address"].(string)
	if !strings.HasPrefix(addr, "192.0.2.") || up["peer"] != umlac.ACAddr.String() || up["mtu"] != float64(1454) || up["dns"] == nil {
		t.Errorf("up event %v", up)
	}
	ac.MustCtl("ping -c 1 -W 5 " + addr)
	ac.MustCtl("killall pppd")
	if !netnstest.WaitFor(30*time.Second, func() bool {
		for _, ev := range pppoeEvents(p.Output()) {
			if ev["event"] == "down" && ev["reason"] != "" {
				return true
			}
		}
		return false
	}) {
		t.Errorf("no down event with a reason:\n%s", p.Output())
	}
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(20 * time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, p.Output())
	}
	if strings.Contains(p.Output(), ac.Password) {
		t.Fatal("password in output")
	}
	if out := ac.ClientNS.MustRun("ip", "rule"); strings.Contains(out, "4242") {
		t.Errorf("rule left after exit:\n%s", out)
	}
}

func pppoeEvents(out string) []map[string]any {
	var evs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			evs = append(evs, m)
		}
	}
	return evs
}

func TestPPPoETextEvents(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ev       session.Event
		want, ja string
	}{
		{session.Event{Kind: session.KindUp, Time: at, Address: netip.MustParseAddr("203.0.113.7"), Peer: netip.MustParseAddr("203.0.113.1"),
			DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("192.0.2.54")}, MTU: 1454},
			"12:00:00 pppoe: up: address 203.0.113.7 peer 203.0.113.1 dns 192.0.2.53,192.0.2.54 mtu 1454\n", ""},
		{session.Event{Kind: session.KindDown, Time: at, Reason: "no PPPoE access concentrator answered on enp1s0: is PPPoE passthrough enabled on the router?", Code: "session-no-offer", RetryIn: 4 * time.Second},
			"12:00:00 pppoe: down: no PPPoE access concentrator answered on enp1s0: is PPPoE passthrough enabled on the router?; retrying in 4s\n",
			"切断: PPPoE の接続先（ISP 側の AC）が応答しません。ルーターの PPPoE パススルーが有効か確認してください。4s 後に再接続"},
		{session.Event{Kind: session.KindDown, Time: at, Reason: "the data plane stopped: the TUN dp-ppp0 or the socket on eth0 was closed or removed"},
			"12:00:00 pppoe: down: the data plane stopped: the TUN dp-ppp0 or the socket on eth0 was closed or removed\n", ""},
		{session.Event{Kind: session.KindAuth, Time: at, State: "failed", Method: ppp.AuthCHAP, Reason: "chap authentication failed for user \"u\": check user name and password", Code: "session-auth-chap"},
			"12:00:00 pppoe: auth chap: failed chap authentication failed for user \"u\": check user name and password\n",
			"認証 chap: CHAP の認証に失敗しました"},
		{session.Event{Kind: session.KindDiscovery, Time: at, State: "failed", Reason: "the access concentrator refused the session", Code: "session-refused"},
			"12:00:00 pppoe: discovery failed the access concentrator refused the session\n",
			"接続先探しに失敗: ISP 側の AC がセッションを拒否しました"},
	} {
		var b bytes.Buffer
		printEvent(&b, tc.ev, msg.English)
		if flat := strings.Join(strings.Fields(b.String()), " ") + "\n"; flat != tc.want {
			t.Errorf("got  %q\nwant %q", b.String(), tc.want)
		}
		assertWithin80(t, "event", b.String())
		b.Reset()
		printEvent(&b, tc.ev, msg.Japanese)
		assertWithin80(t, "event (ja)", b.String())
		if tc.ja != "" {
			msgtest.Japanese(t, b.String())
			if !strings.Contains(strings.Join(strings.Fields(b.String()), ""), strings.Join(strings.Fields(tc.ja), "")) {
				t.Errorf("Japanese %q lacks %q", b.String(), tc.ja)
			}
		}
	}
}
