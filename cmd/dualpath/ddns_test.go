package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/ddns/providersim"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

func runDDNSCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	io := cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err := cli.Lookup("ddns").Run(context.Background(), io, args)
	if err != nil && err.Error() != "" {
		fmt.Fprintln(&errb, "dualpath: "+err.Error())
	}
	return cli.Code(err), out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDDNSNeverLogsSecrets runs a failing and a succeeding pass over every
// HTTP provider (wrong credentials, an unreachable endpoint with the token in
// its query, then right credentials) and checks that no secret appears in
// anything the command printed.
func TestDDNSNeverLogsSecrets(t *testing.T) {
	const (
		mydnsPW  = "mydns-Pw-7781zz"
		dynPW    = "dyn-Pw-5521yy"
		cfToken  = "cf-Token-0192xx"
		duckTok  = "duck-Token-8830ww"
		wrongSfx = "-WRONG"
	)
	mydns := providersim.NewMyDNS(map[string]string{"mydns1": mydnsPW})
	dyn := providersim.NewDynDNS2("user1", dynPW, "home.example.net")
	cf := providersim.NewCloudflare(cfToken, map[string]string{"example.jp": "z1"})
	duck := providersim.NewDuckDNS(duckTok, "myhome")
	urls := map[string]string{}
	for name, srv := range map[string]*httptest.Server{
		"mydns": httptest.NewServer(mydns), "dyn": httptest.NewServer(dyn),
		"cf": httptest.NewServer(cf), "duck": httptest.NewServer(duck),
	} {
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
	}
	dir := t.TempDir()
	config := func(suffix, duckURL string) string {
		return writeFile(t, dir, "dualpath"+suffix+".yaml", fmt.Sprintf(`state_dir: %s
ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: %s
    ipv4: static:203.0.113.7
  - provider: dyndns2
    name: home.example.net
    username: user1
    password_file: %s
    base_url: %s
    ipv4: static:203.0.113.7
    ipv6: static:2001:db8::10
  - provider: cloudflare
    name: www.example.jp
    token_file: %s
    base_url: %s
    ipv4: static:203.0.113.7
  - provider: duckdns
    name: myhome
    token_file: %s
    base_url: %s
    ipv4: static:203.0.113.7
`, filepath.Join(dir, "state"+suffix),
			writeFile(t, dir, "mydns"+suffix, mydnsPW+suffix+"\n"), urls["mydns"],
			writeFile(t, dir, "dyn"+suffix, dynPW+suffix+"\n"), urls["dyn"],
			writeFile(t, dir, "cf"+suffix, cfToken+suffix+"\n"), urls["cf"],
			writeFile(t, dir, "duck"+suffix, duckTok+suffix+"\n"), duckURL))
	}
	secrets := []string{mydnsPW, dynPW, cfToken, duckTok}

	// Failing: wrong credentials everywhere, DuckDNS unreachable.
	code, out, errOut := runDDNSCmd(t, "--config", config(wrongSfx, "http://127.0.0.1:1"), "--once")
	if code != 1 {
		t.Fatalf("failing run: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"credentials rejected", "connection refused", "4 records not updated"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("failing run does not say %q:\n%s%s", want, out, errOut)
		}
	}
	all := out + errOut

	// Succeeding.
	code, out, errOut = runDDNSCmd(t, "--config", config("", urls["duck"]), "--once")
	if code != 0 {
		t.Fatalf("succeeding run: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "dyndns2 home.example.net: A 203.0.113.7 AAAA 2001:db8::10") {
		t.Errorf("summary missing:\n%s", out)
	}
	if mydns.Record("mydns1").IPv4.String() != "203.0.113.7" || duck.Record("myhome").IPv4.String() != "203.0.113.7" {
		t.Error("records not published")
	}
	all += out + errOut

	// Dry run: shows, sends nothing.
	n := len(dyn.Requests())
	code, out, errOut = runDDNSCmd(t, "--config", config("", urls["duck"]), "--dry-run")
	if code != 0 || strings.Count(strings.Join(strings.Fields(out), " "), "nothing to send") != 4 { // lines wrap at 80 columns
		t.Fatalf("dry run after the update: exit %d\n%s%s", code, out, errOut)
	}
	all += out + errOut
	code, out, errOut = runDDNSCmd(t, "--config", config(wrongSfx, urls["duck"]), "--dry-run")
	if code != 0 || !strings.Contains(out, "would send") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if len(dyn.Requests()) != n {
		t.Error("dry run sent a request")
	}
	all += out + errOut

	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("output contains the secret %q:\n%s", s, all)
		}
	}
}

func TestDDNSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "bad.yaml", `ddns:
  - provider: dyndns2
    name: home.example.net
    username: user1
    ipv4: static:203.0.113.7
  - provider: nodns
    ipv4: static:203.0.113.7
`)
	code, _, errOut := runDDNSCmd(t, "--config", p, "--once")
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	for _, want := range []string{p + ":2:5: ddns[0].password_file: missing", p + ":6:5: ddns[1].provider: unknown provider \"nodns\""} {
		if !strings.Contains(strings.Join(strings.Fields(errOut), " "), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, _, _ := runDDNSCmd(t, "--once"); code != 2 {
		t.Errorf("no --config: exit %d, want 2", code)
	}
	if code, _, _ := runDDNSCmd(t, "--config", filepath.Join(dir, "nope.yaml")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
	// A password file that does not exist: exit 2, naming the key.
	q := writeFile(t, dir, "nofile.yaml", `ddns:
  - provider: dyndns2
    name: home.example.net
    username: user1
    password_file: /nonexistent/dyn.pass
    ipv4: static:203.0.113.7
`)
	code, _, errOut = runDDNSCmd(t, "--config", q, "--once")
	if code != 2 || !strings.Contains(errOut, "password_file") {
		t.Errorf("missing secret file: exit %d\n%s", code, errOut)
	}
}

// TestDDNSFailuresInJapanese: under LANG=ja_JP.UTF-8 what `ddns --once`
// prints about providers that refuse (wrong password, a 503, a 429) or
// cannot be reached (nothing listens) is Japanese, with no English words
// from the layers below, within 80 columns; the English run says the same
// in English.
func TestDDNSFailuresInJapanese(t *testing.T) {
	mydns := providersim.NewMyDNS(map[string]string{"mydns1": "right-pw"})
	dyn := providersim.NewDynDNS2("user1", "dyn-pw", "home.example.net")
	dyn.Fail(providersim.Fault{Status: 503, N: 10})
	duck := providersim.NewDuckDNS("duck-tok", "myhome")
	duck.Fail(providersim.Fault{Status: 429, RetryAfter: 60, N: 10})
	urls := map[string]string{}
	for name, h := range map[string]http.Handler{"mydns": mydns, "dyn": dyn, "duck": duck} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + closed.Addr().String()
	closed.Close()
	dir := t.TempDir()
	cfg := writeFile(t, dir, "dualpath.yaml", fmt.Sprintf(`ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: %s
    ipv4: static:203.0.113.7
  - provider: dyndns2
    name: home.example.net
    username: user1
    password_file: %s
    base_url: %s
    ipv4: static:203.0.113.7
    ipv6: static:fd00::10
  - provider: duckdns
    name: myhome
    token_file: %s
    base_url: %s
    ipv4: static:203.0.113.7
  - provider: cloudflare
    name: www.example.jp
    token_file: %s
    base_url: %s
    ipv4: static:203.0.113.7
`, writeFile(t, dir, "mydns.pw", "wrong-pw\n"), urls["mydns"], writeFile(t, dir, "dyn.pw", "dyn-pw\n"), urls["dyn"],
		writeFile(t, dir, "duck.tok", "duck-tok\n"), urls["duck"], writeFile(t, dir, "cf.tok", "cf-tok\n"), gone))
	run := func(lang string) (int, string) {
		var out, errb bytes.Buffer
		io := cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return map[string]string{"LANG": lang}[k] }}
		err := cli.Lookup("ddns").Run(context.Background(), io, []string{"--config", cfg, "--once"})
		msg.FitText(&out, cli.Message(err, msg.FromLocale(lang)))
		return cli.Code(err), out.String()
	}
	code, ja := run("ja_JP.UTF-8")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, ja)
	}
	msgtest.Japanese(t, ja)
	for _, want := range []string{"認証情報を拒否されました", "相手のサーバー側の障害です（HTTP 503）",
		"プロバイダーにしばらく止められています", "接続を拒否されました", "4 件のレコードを更新できませんでした",
		"AAAA は未登録: ユニークローカルアドレス（RFC 4193、fc00::/7）"} {
		if !strings.Contains(strings.Join(strings.Fields(ja), ""), strings.Join(strings.Fields(want), "")) {
			t.Errorf("Japanese run does not say %q:\n%s", want, ja)
		}
	}
	t.Logf("LANG=ja_JP.UTF-8 dualpath ddns --once:\n%s", ja)
	// The same provider accepting: the check after the update cannot
	// verify a MyDNS record without a name, and says so in Japanese.
	okCfg := writeFile(t, dir, "ok.yaml", fmt.Sprintf(`state_dir: %s
ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: %s
    ipv4: static:203.0.113.7
`, filepath.Join(dir, "state"), writeFile(t, dir, "mydns-ok.pw", "right-pw\n"), urls["mydns"]))
	for i, want := range []string{"送信しました", "変更なし（確認できず: DNS の名前がありません。"} {
		var out, errb bytes.Buffer
		io := cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return map[string]string{"LANG": "ja_JP.UTF-8"}[k] }}
		if err := cli.Lookup("ddns").Run(context.Background(), io, []string{"--config", okCfg, "--once"}); err != nil {
			t.Fatalf("pass %d: %v\n%s%s", i, err, out.String(), errb.String())
		}
		msgtest.Japanese(t, out.String())
		if !strings.Contains(strings.Join(strings.Fields(out.String()), ""), strings.Join(strings.Fields(want), "")) {
			t.Errorf("pass %d lacks %q:\n%s", i, want, out.String())
		}
		t.Logf("pass %d:\n%s", i, out.String())
	}
	_, en := run("C")
	for _, want := range []string{"credentials rejected", "HTTP 503", "HTTP 429", "connection refused"} {
		if !strings.Contains(strings.Join(strings.Fields(en), " "), want) {
			t.Errorf("English run does not say %q:\n%s", want, en)
		}
	}
}
