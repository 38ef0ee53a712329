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

func runPlanDoctor(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	stdio := cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	err := dispatch(context.Background(), stdio, args)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), cli.Code(err)
}

func TestPlanCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("interface: enp1s0\nplan:\n  mode: two-routers\n  subnet: 192.168.1.0/24\n  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n  pppoe_router: 192.168.1.1\n")
	_, errs, code := runPlanDoctor(t, nil, "plan", "--config", cfg)
	if code != cli.ExitUsage || !strings.Contains(errs, "plan.ipoe_router, plan.pppoe_router") {
		t.Fatalf("duplicate routers: code %d, %s", code, errs)
	}
	write("interface: enp1s0\nplan:\n  mode: two-routers\n  subnet: 192.168.1.0/24\n  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n  pppoe_router: 192.168.1.2\n")
	empty := t.TempDir() // not the machine's /etc/netplan
	out, errs, code := runPlanDoctor(t, nil, "plan", "--config", cfg, "--netplan-dir", empty)
	if code != 0 || !strings.Contains(out, "==> 90-dualpath.yaml") || !strings.Contains(out, "listen [::]:443 ssl;") {
		t.Fatalf("code %d\n%s\n%s", code, out, errs)
	}
	outDir := filepath.Join(dir, "out")
	if _, errs, code = runPlanDoctor(t, nil, "plan", "--config", cfg, "--out", outDir, "--netplan-dir", empty); code != 0 {
		t.Fatalf("--out: %d %s", code, errs)
	}
	os.WriteFile(filepath.Join(outDir, "dualpath-listen.conf"), []byte("edited\n"), 0o644)
	if _, errs, code = runPlanDoctor(t, nil, "plan", "--config", cfg, "--out", outDir, "--netplan-dir", empty); code != 1 || !strings.Contains(errs, "--force") {
		t.Fatalf("overwrite refused: %d %s", code, errs)
	}
	if _, _, code = runPlanDoctor(t, nil, "plan"); code != cli.ExitUsage {
		t.Fatalf("missing --config: %d", code)
	}
}

// TestPlanNetplanDir: the article's house, its 04-... file in the netplan
// directory: plan names the conflicting lines and the file to move away.
func TestPlanNetplanDir(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("interface: enp1s0\nplan:\n  mode: two-routers\n  subnet: 192.168.1.0/24\n  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n  pppoe_router: 192.168.1.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	np := filepath.Join(dir, "netplan")
	old, err := os.ReadFile("../../internal/plan/testdata/netplan-article/04-network-setting-20210315.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(np, 0o755)
	oldPath := filepath.Join(np, "04-network-setting-20210315.yaml")
	if err := os.WriteFile(oldPath, old, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []map[string]string{nil, {"LANG": "ja_JP.UTF-8"}} {
		out, errs, code := runPlanDoctor(t, env, "plan", "--config", cfg, "--netplan-dir", np, "--out", filepath.Join(dir, "out"), "--force")
		if code != 0 {
			t.Fatalf("code %d: %s", code, errs)
		}
		for _, want := range []string{oldPath + ":7:", oldPath + ":8:", "sudo mv " + oldPath} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	}
	if _, errs, code := runPlanDoctor(t, nil, "plan", "--config", cfg, "--netplan-dir", filepath.Join(dir, "nope")); code != cli.ExitUsage || !strings.Contains(errs, "nope") {
		t.Fatalf("missing dir: %d %s", code, errs)
	}
}

// TestPlanNginx: --nginx (twice) writes an edited copy and a diff of each
// site beside the other outputs, names each added line, leaves a site that
// already listens on both families alone, and refuses a broken file.
func TestPlanNginx(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	site := filepath.Join(dir, "default")
	done := filepath.Join(dir, "done")
	broken := filepath.Join(dir, "broken")
	for name, s := range map[string]string{
		cfg:    "interface: enp1s0\nplan:\n  mode: server-pppoe\n  subnet: 192.168.1.0/24\n  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n",
		site:   "server {\n    listen 443 ssl http2 default_server;\n    ssl_certificate c.pem;\n}\n",
		done:   "server {\n    listen 80;\n    listen [::]:80;\n}\n",
		broken: "server {\n    listen 80;\n",
	} {
		if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out")
	stdout, errs, code := runPlanDoctor(t, nil, "plan", "--config", cfg, "--netplan-dir", dir, "--out", out, "--nginx", site, "--nginx", done)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	for _, want := range []string{site + ":2: adds listen [::]:443 ssl http2", done + " already listens on IPv6", "nginx"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	copyB, err := os.ReadFile(filepath.Join(out, "nginx-default"))
	if err != nil || !strings.Contains(string(copyB), "    listen 443 ssl http2 default_server;\n    listen [::]:443 ssl http2 default_server;\n") {
		t.Fatalf("copy: %v\n%s", err, copyB)
	}
	if d, err := os.ReadFile(filepath.Join(out, "nginx-default.diff")); err != nil || !strings.Contains(string(d), "+    listen [::]:443 ssl http2 default_server;") {
		t.Fatalf("diff: %v\n%s", err, d)
	}
	if _, err := os.Stat(filepath.Join(out, "nginx-done")); err == nil {
		t.Error("a copy of a site with nothing to change")
	}
	if _, errs, code := runPlanDoctor(t, nil, "plan", "--config", cfg, "--netplan-dir", dir, "--nginx", broken); code != cli.ExitUsage || !strings.Contains(errs, "unbalanced") {
		t.Fatalf("broken site: %d %s", code, errs)
	}
}

// TestPlanUnreadableNetplanDir: without root the netplan files (mode 0600)
// cannot be read; an explicit --netplan-dir then fails clearly, the default
// one is reported as not checked and the rest is still written.
func TestPlanUnreadableNetplanDir(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("interface: enp1s0\nplan:\n  mode: server-pppoe\n  subnet: 192.168.1.0/24\n  server: 192.168.1.10\n  ipoe_router: 192.168.1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	np := filepath.Join(dir, "np")
	if err := os.Mkdir(np, 0o700); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(np, "01-x.yaml")
	if err := os.WriteFile(secret, []byte("network: {}\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// root reads mode-0 files: test the error path with a directory
		// named like a file instead.
		os.Remove(secret)
		if err := os.Mkdir(secret, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, errs, code := runPlanDoctor(t, nil, "plan", "--config", cfg, "--netplan-dir", np); code != cli.ExitUsage || !strings.Contains(errs, "01-x.yaml") {
		t.Fatalf("unreadable explicit dir: %d %s", code, errs)
	}
}
