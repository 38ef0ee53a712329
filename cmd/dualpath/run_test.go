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

// TestRunRefusesWhatCheckConfigRefuses: `dualpath run` and `dualpath ddns`
// go through the same validation as check-config and refuse (exit 2, the
// same lines) before they touch the host: the state directory is never
// created, nothing is sent.
// (Only configs that check-config refuses are given to run: a good one
// would start the daemon here.)
func TestRunRefusesWhatCheckConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	secret := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := secret("good.pass", "hunter2\n", 0o600)
	token := secret("duck.token", "t0ken\n", 0o600)
	duck := func(src string) string {
		return "ddns:\n  - provider: duckdns\n    name: x\n    token_file: " + token + "\n    " + src + "\n"
	}
	state := filepath.Join(dir, "state")
	base := "interface: lo\nstate_dir: " + state + "\nmetrics:\n  listen: \"off\"\npppoe:\n  username: user@example.ne.jp\n  password_file: PASS\n"
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"empty secret", strings.Replace(base, "PASS", secret("empty.pass", "\n", 0o600), 1), "is empty: write the secret into it"},
		{"blank secret", strings.Replace(base, "PASS", secret("blank.pass", "  \n", 0o600), 1), "is empty: write the secret into it"},
		{"loose secret", strings.Replace(base, "PASS", secret("loose.pass", "hunter2\n", 0o644), 1), "run chmod 600"},
		{"missing secret", strings.Replace(base, "PASS", filepath.Join(dir, "none.pass"), 1), "does not exist"},
		{"unknown key", strings.Replace(base, "PASS", good, 1) + "exposse:\n  tcp: [80]\n", "unknown key"},
		// A DNS record's address source: its syntax (parsed once, at
		// decode), the section it needs, and what the provider and the
		// routes allow.
		{"misspelt source", strings.Replace(base, "PASS", good, 1) + duck("ipv4: ppoe"), `ddns[0].ipv4: "ppoe" is not an address source (did you mean "pppoe"?)`},
		{"pppoe for AAAA", strings.Replace(base, "PASS", good, 1) + duck("ipv6: pppoe"), "ddns[0].ipv6: pppoe gives only IPv4 here: use interface:NAME for the AAAA record"},
		{"bad seen link", strings.Replace(base, "PASS", good, 1) + duck("ipv4: seen:a/b"), `ddns[0].ipv4: "a/b" is not a valid interface name`},
		{"tunnel without its section", strings.Replace(base, "PASS", good, 1) + duck("ipv4: tunnel"), "ddns[0].ipv4: tunnel needs a tunnel section in this file (or use interface:NAME)"},
		{"seen by MAP-E", strings.Replace(base, "PASS", good, 1) + duck("ipv4: seen"), "ddns[0].ipv4: seen sends by the normal route, which is MAP-E when this server holds the PPPoE session"},
		{"bad ddns token", strings.Replace(base, "PASS", good, 1) + "ddns:\n  - provider: duckdns\n    name: x\n    ipv4: pppoe\n    token_file: " + filepath.Join(dir, "empty.pass") + "\n", "ddns[0].token_file"},
	} {
		file := filepath.Join(dir, "dualpath.yaml")
		if err := os.WriteFile(file, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var cout, cerr bytes.Buffer
		err := runCheckConfig(context.Background(), cli.IO{Stdout: &cout, Stderr: &cerr, Getenv: os.Getenv}, []string{file})
		if cli.Code(err) != 2 || !strings.Contains(strings.Join(strings.Fields(cerr.String()), " "), c.want) {
			t.Fatalf("%s: check-config exit %d, %q; want 2 and %q (not running the daemon)", c.name, cli.Code(err), cerr.String(), c.want)
		}
		var rout, rerr bytes.Buffer
		err = runDaemon(context.Background(), cli.IO{Stdout: &rout, Stderr: &rerr, Getenv: func(string) string { return "" }}, []string{"--config", file})
		if cli.Code(err) != 2 || rerr.String() != cerr.String() || rout.Len() != 0 {
			t.Errorf("%s: run exit %d, stderr %q, stdout %q; want exit 2 and check-config's %q", c.name, cli.Code(err), rerr.String(), rout.String(), cerr.String())
		}
		if _, err := os.Stat(state); !os.IsNotExist(err) {
			t.Fatalf("%s: run created its state directory before refusing (%v)", c.name, err)
		}
		if !strings.Contains(c.yaml, "ddns:") {
			continue // dualpath ddns wants a ddns section first
		}
		var dout, derr bytes.Buffer
		err = runDDNS(context.Background(), cli.IO{Stdout: &dout, Stderr: &derr, Getenv: func(string) string { return "" }}, []string{"--config", file, "--once"})
		if cli.Code(err) != 2 || derr.String() != cerr.String() || dout.Len() != 0 {
			t.Errorf("%s: ddns exit %d, stderr %q, stdout %q; want exit 2 and check-config's %q", c.name, cli.Code(err), derr.String(), dout.String(), cerr.String())
		}
	}
}
