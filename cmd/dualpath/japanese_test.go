package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/mape"
)

// A new Japanese user's session, command by command, with no network: help
// of every command and subcommand, mape (answers, bad prefixes, bad rules,
// bad flags), check-config on broken files, plan, status without a daemon,
// a ddns dry run and notify. (run, doctor, pppoe and check are not run
// here: they touch the host's network; their Japanese is tested in
// namespaces.) Every line printed, on stdout and stderr, is
// read with the strict checker: Japanese, no English word but names, paths,
// keys and quoted values, within 80 columns.
func TestJapaneseSession(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secret := file("pw", "secret-pw\n")
	example, err := os.ReadFile("../../packaging/dualpath.ja.yaml")
	if err != nil {
		t.Fatal(err)
	}
	good := file("good.yaml", strings.NewReplacer("/etc/dualpath/pppoe.pass", secret, "/etc/dualpath/mydns.pass", secret).Replace(string(example)))
	runs := [][]string{{"-h"}, {"nosuch"}, {"mpae"}}
	for _, d := range describeAll() {
		runs = append(runs, append(strings.Fields(d.Name), "-h"))
	}
	const prefix = "240b:10:1234:5600::/56"
	runs = append(runs,
		[]string{"mape", prefix},
		[]string{"mape", "--check-port", "80", prefix},
		[]string{"mape", "--check-port", "5472", prefix},
		[]string{"mape", "2001:db8::/56"},
		[]string{"mape"},
		[]string{"mape", "foo"},
		[]string{"mape", "fe80::1"},
		[]string{"mape", "192.0.2.1"},
		[]string{"mape", "240b::/200"},
		[]string{"mape", "240b:10::/40"},
		[]string{"mape", "--rule", "bad", prefix},
		[]string{"mape", "--rule", "240b:10::1/32,106.72.0.0/16,24,4", prefix},
		[]string{"mape", "--rule", "240b:10::/32,106.72.0.0/16,x,4", prefix},
		[]string{"mape", "--rule", "240b:10::/32,106.72.0.0/16,60,4", prefix},
		[]string{"mape", "--iid", "x", prefix},
		[]string{"mape", "--check-port", "x", prefix},
		[]string{"mape", "--bogus"},
		[]string{"check-config", good},
		[]string{"check-config"},
		[]string{"check-config", filepath.Join(dir, "missing.yaml")},
		[]string{"check-config", file("empty.yaml", "")},
		[]string{"check-config", file("binary.yaml", "\x7fELF\x02\x01\x01\x00\x00")},
		[]string{"check-config", file("tab.yaml", "\tinterface: enp1s0\n")},
		[]string{"check-config", file("syntax.yaml", "interface: [\n")},
		[]string{"check-config", file("keys.yaml", "mode: ppoe\npppoe:\n  interface: eth0\n  usernme: x\n  mtu: big\n"+
			"  echo_interval: 10\n  macvlan: maybe\nddns: {provider: mydns}\nexpose:\n  tcp: [80, 80, 70000]\n")},
		[]string{"check-config", file("values.yaml", "interface: enp1s0\npppoe:\n  username: u\n  auth: chapp\n"+
			"  password_file: "+filepath.Join(dir, "nope.pass")+"\nlog:\n  level: verbose\n")},
		[]string{"check-config", file("ddns-bad.yaml", "ddns:\n  - provider: mydns\n    username: m\n    password_file: "+secret+
			"\n    ipv4: static:203.0.113.7\n  - provider: rfc2136\n    name: www.example.jp\n    zone: example.jp\n"+
			"    server: 192.0.2.53:53\n    tsig_key_file: "+file("bad.key", "secret \"x\";\n")+"\n    ipv4: static:203.0.113.7\n")},
		[]string{"plan"},
		[]string{"plan", "--config", file("plan.yaml", "interface: enp1s0\nplan:\n  mode: two-routers\n  subnet: 192.168.1.0/24\n"+
			"  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n  pppoe_router: 192.168.1.1\n")},
		[]string{"plan", "--netplan-dir", t.TempDir(), "--config", file("plan-ok.yaml", "interface: enp1s0\nplan:\n  mode: two-routers\n"+
			"  subnet: 192.168.1.0/24\n  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n  pppoe_router: 192.168.1.2\n")},
		[]string{"status", "--socket", filepath.Join(dir, "no.sock")},
		[]string{"ddns"},
		[]string{"ddns", "--dry-run", "--config", file("ddns.yaml", fmt.Sprintf(`state_dir: %s
ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: http://192.0.2.1/d
    ipv4: static:203.0.113.7
  - provider: dyndns2
    name: home.example.net
    username: user1
    password_file: %s
    base_url: http://192.0.2.1
    ipv4: static:203.0.113.7
    ipv6: static:fd00::10
  - provider: rfc2136
    name: www.example.jp
    zone: example.jp
    server: 192.0.2.53:53
    tsig_key_file: %s
    ipv4: static:203.0.113.7
`, filepath.Join(dir, "state"), secret, secret, file("tsig", "key \"k.\" {\n algorithm hmac-sha256;\n secret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\";\n};\n")))},
		[]string{"notify", "--test", "--config", file("nonotify.yaml", "interface: enp1s0\n")},
		[]string{"lab", "bogus"},
		[]string{"lab"},
		[]string{"lab", "exec"},
		[]string{"lab", "status", "--prefix", "BAD"},
		[]string{"probe-serve"},
		[]string{"probe-serve", "--listen", "127.0.0.1:0", "--token-file", secret, "--tls-cert", "x"},
		[]string{"status", "extra"},
		[]string{"plan", "extra"},
	)
	// Config keys and lab fault kinds are what the user types, "ssl" is
	// nginx's own word in the file plan writes: names in a Japanese line
	// (「ここで使えるキー: ac_name、auth…」, 「既定はすべて: ac-dead,...,link,...」,
	// "listen 443 ssl;").
	for _, k := range append(config.Keys(), "link", "padt", "ssl") {
		k = k[strings.LastIndex(k, ".")+1:]
		if !msgtest.Names[k] {
			msgtest.Names[k] = true
			t.Cleanup(func() { delete(msgtest.Names, k) })
		}
	}
	env := map[string]string{"LANG": "ja_JP.UTF-8"}
	for _, args := range runs {
		out, errOut, code := runDispatch(env, args...)
		text := strings.TrimRight(out+errOut, "\n")
		if n := msgtest.JapaneseLog(t, text, "why", "err", "reason"); n > 0 {
			text = notLog(text)
		}
		t.Logf("$ dualpath %s   (exit %d)\n%s", strings.Join(args, " "), code, text)
		if text == "" {
			t.Errorf("dualpath %s printed nothing (exit %d)", strings.Join(args, " "), code)
			continue
		}
		if strings.Contains(text, "%!") {
			t.Errorf("dualpath %s: a broken format:\n%s", strings.Join(args, " "), text)
		}
		t.Run(strings.Join(args, "_"), func(t *testing.T) { msgtest.Japanese(t, prose(text)) })
	}
}

// prose is text without its command syntax, which stays as it is typed
// (as GNU tools' Japanese help keeps "--width=COLS"): usage lines
// ("使い方: dualpath lab up|down... [flags]" and their continuation),
// flag synopses ("  --config FILE", "  -h, --help"), the names in a list of
// commands ("  check-config  設定ファイルを…"), and the request lines of a
// dry run ("    GET http://...": what would be sent, whole).
func prose(text string) string {
	var out []string
	usage := false
	for _, l := range strings.Split(text, "\n") {
		if i := strings.Index(l, "使い方: "); i >= 0 {
			out = append(out, l[:i])
			usage = true
			continue
		}
		if usage && l != "" && !msgtest.HasJapanese(l) {
			continue
		}
		usage = false
		trim := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trim, "-") && !msgtest.HasJapanese(l),
			strings.HasPrefix(l, "    GET "), strings.HasPrefix(l, "    PUT/POST "), strings.HasPrefix(l, "    DNS UPDATE "):
			continue
		}
		if m := commandItem.FindStringSubmatch(l); m != nil {
			l = m[1] + strings.Repeat(" ", len(m[2])) + m[3]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// commandItem is a line of a list of commands: indent, name, purpose.
var commandItem = regexp.MustCompile(`^(\s+)([a-z][-a-z]*\s{2,})(.*)$`)

// notLog is text without its log lines (slog's text format), which
// JapaneseLog reads.
func notLog(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if _, ok := msgtest.LogLine(l); !ok {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Every kind of mape.InputError has its Japanese.
func TestMapeInputErrorsHaveJapanese(t *testing.T) {
	for k := mape.InputErrorKind(1); k < mape.InputKinds; k++ {
		if mapeInputJA[k] == "" {
			t.Errorf("mape.InputErrorKind %d has no Japanese in mapeInputJA", k)
		}
	}
}
