//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dualpath/dualpath/internal/cli"
)

// TestCheckConfigAsNobody: run as another user (here nobody, in use the
// daemon's user dualpath), check-config opens the secret files as that user:
// root's 0600 files exit 2 with one line per file naming it and the fix;
// readable ones pass.
func TestCheckConfigAsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run check-config as another user")
	}
	bin := labBin(t)
	dir := filepath.Dir(bin) // mode 0755: nobody may look inside
	pass, token := filepath.Join(dir, "pppoe.pass"), filepath.Join(dir, "duckdns.token")
	for _, f := range []string{pass, token} {
		if err := os.WriteFile(f, []byte("topsecret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "dualpath.yaml")
	yaml := "interface: lo\npppoe:\n  username: user@example.ne.jp\n  password_file: " + pass +
		"\nddns:\n  - provider: duckdns\n    name: example\n    token_file: " + token + "\n    ipv4: pppoe\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	asNobody := func() (string, int) {
		c := exec.Command(bin, "check-config", file)
		c.Dir = "/"
		c.Env = []string{"PATH=/usr/bin:/bin"}
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := c.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	out, code := asNobody()
	lines := messages(out)
	if code != 2 || len(lines) != 2 {
		t.Fatalf("root's 0600 secrets, as nobody: exit %d, output:\n%s\nwant exit 2 and two lines", code, out)
	}
	for i, want := range []string{
		file + ":4:3: pppoe.password_file: " + pass + " cannot be read by user nobody: the daemon runs as user dualpath and must read it: run chown dualpath " + pass,
		file + ":8:5: ddns[0].token_file: " + token + " cannot be read by user nobody: the daemon runs as user dualpath and must read it: run chown dualpath " + token,
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d:\n%s\nwant it to start with\n%s", i+1, lines[i], want)
		}
	}
	if strings.Contains(out, "topsecret") {
		t.Error("check-config printed a secret")
	}
	// The fix the message names works.
	for _, f := range []string{pass, token} {
		if err := os.Chown(f, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if out, code := asNobody(); code != 0 || !strings.HasPrefix(out, file+": ok\n") {
		t.Errorf("after chown: exit %d, output:\n%s", code, out)
	}
}

// TestCheckConfigWarnsMissingInterface: an interface this machine does not
// have is a warning (exit 0), one line per key, saying what ip link shows;
// one it has (lo) is not.
func TestCheckConfigWarnsMissingInterface(t *testing.T) {
	dir, pass := passDir(t)
	file := filepath.Join(dir, "dualpath.yaml")
	yaml := "interface: dpnone0\npppoe:\n  username: user@example.ne.jp\n  password_file: " + pass +
		"\nddns:\n  - provider: duckdns\n    name: example\n    token_file: " + pass + "\n    ipv4: pppoe\n    ipv6: interface:dpnone1\n" +
		"  - provider: mydns\n    username: mydns2\n    password_file: " + pass + "\n    ipv6: seen:lo\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := runCheckConfig(context.Background(), cli.IO{Stdout: &out, Stderr: &errb, Getenv: os.Getenv}, []string{file})
	if code := cli.Code(err); code != 0 || !strings.HasPrefix(out.String(), file+": ok\n") {
		t.Fatalf("exit %d, out %q, err %q; want ok with warnings", code, out.String(), errb.String())
	}
	lines := messages(errb.String())
	want := []string{
		file + ":1:1: interface: warning: interface dpnone0 not found (ip link shows: lo",
		file + ":10:5: ddns[0].ipv6: warning: interface dpnone1 not found (ip link shows: lo",
	}
	if len(lines) != len(want) {
		t.Fatalf("warnings:\n%s\nwant %d lines", errb.String(), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) || !strings.HasSuffix(lines[i], "): correct the name, or create the interface before the daemon needs it") {
			t.Errorf("warning %d:\n%s\nwant it to start with\n%s", i+1, lines[i], want[i])
		}
	}
}

// messages splits what check-config printed into its messages: each starts
// at the left margin; its continuation lines (80 columns) are indented.
func messages(out string) []string {
	var ms []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, " ") && len(ms) > 0 {
			ms[len(ms)-1] += " " + strings.TrimSpace(l)
		} else if l != "" {
			ms = append(ms, l)
		}
	}
	return ms
}
