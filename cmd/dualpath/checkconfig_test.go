package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/cli"
)

// passDir is a temporary directory holding pppoe.pass (password hunter2,
// mode 0600), as a config's password_file.
func passDir(t *testing.T) (dir, pass string) {
	t.Helper()
	dir = t.TempDir()
	pass = filepath.Join(dir, "pppoe.pass")
	if err := os.WriteFile(pass, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, pass
}

func TestCheckConfig(t *testing.T) {
	dir, pass := passDir(t)
	file := filepath.Join(dir, "dualpath.yaml")
	run := func(yaml string) (string, string, int) {
		if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		err := runCheckConfig(context.Background(), cli.IO{Stdout: &out, Stderr: &errb, Getenv: os.Getenv}, []string{file})
		return out.String(), errb.String(), cli.Code(err)
	}
	ok := "interface: enp1s0\npppoe:\n  username: user@example.ne.jp\n  password_file: " + pass + "\nexpose:\n  tcp: [80, 443]\n"
	out, errs, code := run(ok)
	if code != 0 || !strings.HasPrefix(out, file+": ok\n") || !strings.Contains(out, "TCP 80,443") {
		t.Errorf("good config: code %d, out %q, err %q", code, out, errs)
	}
	if strings.Contains(out+errs, "hunter2") {
		t.Error("check-config printed the password")
	}
	out, errs, code = run(strings.Replace(ok, "username:", "usernmae:", 1))
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if code != 2 || out != "" || flat(errs) != file+":3:3: pppoe.usernmae: unknown key: did you mean \"username\"?" {
		t.Errorf("misspelt key: code %d, out %q, err %q", code, out, errs)
	}
	out, errs, code = run(strings.Replace(ok, "tcp: [80, 443]", "tcp: [80, 443]\n  sctp: [9]", 1))
	if code != 2 || out != "" || flat(errs) != file+":7:3: expose.sctp: unknown key (known keys here: icmp_echo, tcp, udp)" {
		t.Errorf("bad config: code %d, out %q, err %q", code, out, errs)
	}
	if err := os.Chmod(pass, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code = run(ok)
	if code != 2 || !strings.Contains(flat(errs), "chmod 600 "+pass) {
		t.Errorf("loose secret: code %d, err %q", code, errs)
	}
	var out2 bytes.Buffer
	err := runCheckConfig(context.Background(), cli.IO{Stdout: &out2, Stderr: &out2}, nil)
	if cli.Code(err) != 2 {
		t.Errorf("no FILE: %v", err)
	}
	err = runCheckConfig(context.Background(), cli.IO{Stdout: &out2, Stderr: &out2}, []string{filepath.Join(dir, "none.yaml")})
	if cli.Code(err) != 2 || !strings.Contains(out2.String(), "cannot read config") {
		t.Errorf("missing file: %v %q", err, out2.String())
	}
}

// check-config on a bad file, in Japanese: every problem in Japanese with
// did-you-mean for mistyped values, each line within 80 columns.
func TestCheckConfigJapanese(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dualpath.yaml")
	bad := "interface: enp1s0\npppoe:\n  username: user@example.ne.jp\n  auth: chapp\nexpose:\n  tcp: [80, 80]\n" +
		"ddns:\n  - provider: mydsn\n    ipv4: ppoe\nlog:\n  level: verbose\n"
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LANG": "ja_JP.UTF-8", "DUALPATH_PPPOE_PASSWORD": "x"}
	_, errs, code := runDispatch(env, "check-config", file)
	if code != cli.ExitUsage {
		t.Errorf("exit %d", code)
	}
	flat := strings.Join(strings.Fields(errs), "")
	for _, want := range []string{"認証方式ではありません（\"chap\"の誤りでは？）", "というサービスはありません（\"mydns\"の誤りでは？）",
		"アドレスの取得元ではありません（\"pppoe\"の誤りでは？）", "ポート80が2回書かれています", "ログのレベルではありません"} {
		if !strings.Contains(flat, want) {
			t.Errorf("lacks %q:\n%s", want, errs)
		}
	}
	assertWithin80(t, "check-config (ja)", errs)
	// A binary file is not a YAML text file.
	if err := os.WriteFile(file, []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runDispatch(nil, "check-config", file); code != cli.ExitUsage || !strings.Contains(errs, "not a YAML text file") {
		t.Errorf("binary file: exit %d, %q", code, errs)
	}
}
