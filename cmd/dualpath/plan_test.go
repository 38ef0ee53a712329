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
	out, errs, code := runPlanDoctor(t, nil, "plan", "--config", cfg)
	if code != 0 || !strings.Contains(out, "==> 90-dualpath.yaml") || !strings.Contains(out, "listen [::]:443 ssl;") {
		t.Fatalf("code %d\n%s\n%s", code, out, errs)
	}
	outDir := filepath.Join(dir, "out")
	if _, errs, code = runPlanDoctor(t, nil, "plan", "--config", cfg, "--out", outDir); code != 0 {
		t.Fatalf("--out: %d %s", code, errs)
	}
	os.WriteFile(filepath.Join(outDir, "dualpath-listen.conf"), []byte("edited\n"), 0o644)
	if _, errs, code = runPlanDoctor(t, nil, "plan", "--config", cfg, "--out", outDir); code != 1 || !strings.Contains(errs, "--force") {
		t.Fatalf("overwrite refused: %d %s", code, errs)
	}
	if _, _, code = runPlanDoctor(t, nil, "plan"); code != cli.ExitUsage {
		t.Fatalf("missing --config: %d", code)
	}
}
