package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckSection(t *testing.T) {
	s := writeSecrets(t)
	tok := filepath.Join(t.TempDir(), "probe.token")
	if err := os.WriteFile(tok, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	section := `check:
  name: www.example.jp
  dns_servers: [192.0.2.53:53, "[2001:db8::53]:53"]
  interval: 15m
  probers:
    - url: https://probe.example.net:8443
      token_file: TOKEN
`
	y := s.fill(good) + strings.ReplaceAll(section, "TOKEN", tok)
	c, err := Parse("dualpath.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateEnv(c, nil); err != nil {
		t.Fatal(err)
	}
	k := c.CheckSettings()
	if k.Name != "www.example.jp" || k.Interval != 15*time.Minute || len(k.TLSPorts) != 1 || k.TLSPorts[0] != 443 || len(k.Probers) != 1 {
		t.Errorf("settings %+v", k)
	}

	// Without a check section: the defaults, the name from ddns.
	c, err = Parse("dualpath.yaml", []byte(s.fill(good)))
	if err != nil {
		t.Fatal(err)
	}
	if k := c.CheckSettings(); k.Name != "www.example.jp" || k.Interval != DefaultCheckInterval || len(k.Probers) != 0 {
		t.Errorf("default settings %+v", k)
	}

	for _, tc := range []struct{ edit, want string }{
		{"  name: www.example.jp\n", "check.name: \"www example\" is not a DNS name"},
		{"  dns_servers: [192.0.2.53:53, \"[2001:db8::53]:53\"]\n", `check.dns_servers[0]: "ns1.example.jp:53": write the server's IP address`},
		{"  interval: 15m\n", "check.interval: 10s is out of range"},
		{"      token_file: TOKEN\n", "check.probers[0].token_file: missing"},
		{"    - url: https://probe.example.net:8443\n", `check.probers[0].url: "ftp://x" is not an http:// or https:// URL`},
	} {
		bad := map[string]string{
			"  name: www.example.jp\n":                                "  name: www example\n",
			"  dns_servers: [192.0.2.53:53, \"[2001:db8::53]:53\"]\n": "  dns_servers: [ns1.example.jp:53]\n",
			"  interval: 15m\n":                                       "  interval: 10s\n",
			"      token_file: TOKEN\n":                               "",
			"    - url: https://probe.example.net:8443\n":             "    - url: ftp://x\n",
		}[tc.edit]
		y := s.fill(good) + strings.ReplaceAll(strings.Replace(section, tc.edit, bad, 1), "TOKEN", tok)
		c, err := Parse("dualpath.yaml", []byte(y))
		if err == nil {
			err = validateEnv(c, nil)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "dualpath.yaml:") {
			t.Errorf("edit %q: got %v, want an error at FILE:LINE:COL containing %q", tc.edit, err, tc.want)
		}
	}

	// A TLS port that is not exposed; a misspelt key.
	for _, tc := range []struct{ add, want string }{
		{"  tls_ports: [8443]\n", "check.tls_ports[0]: port 8443 is not in expose.tcp"},
		{"  probers_: []\n", `check.probers_: unknown key: did you mean "probers"?`},
	} {
		y := s.fill(good) + strings.ReplaceAll(section, "TOKEN", tok) + tc.add
		c, err := Parse("dualpath.yaml", []byte(y))
		if err == nil {
			err = validateEnv(c, nil)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("adding %q: got %v, want %q", tc.add, err, tc.want)
		}
	}
}

func TestCheckNameNeeded(t *testing.T) {
	c, err := Parse("dualpath.yaml", []byte("expose:\n  tcp: [80]\nplan:\n  mode: two-routers\n  pppoe_router: 192.168.1.2\ncheck:\n  interval: 10m\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = validateEnv(c, nil)
	if err == nil || !strings.Contains(err.Error(), "check.name: missing") {
		t.Errorf("got %v, want check.name missing", err)
	}
}
