package ddns

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateConfig(t *testing.T) {
	dir := t.TempDir()
	badKey := writeSecret(t, dir, "bad.key", `key "k" { algorithm hmac-sha256; secret "c2VjcmV0LXZhbHVl"`)
	cfg := loadConfig(t, fmt.Sprintf(`interface: lan0
ddns:
  - provider: mydns
    password_file: /etc/dualpath/mydns.pass
    ipv4: pppoe
    ipv6: static:2001:db8::10
  - provider: myddns
    name: x.example.jp
    ipv4: static:203.0.113.7
  - provider: rfc2136
    server: 192.0.2.53:53
    zone: example.jp.
    name: www.example.jp.
    tsig_key_file: %s
    ipv4: interface:lan0
  - provider: cloudflare
    name: www.example.jp
    ipv6: interface:lan0
`, badKey))
	err := ValidateConfig(cfg)
	if err == nil {
		t.Fatal("no error")
	}
	text := err.Error()
	base := filepath.Base(cfg.Path)
	for _, want := range []string{
		":3:5: ddns[0].username: missing: provider mydns needs username",
		"ddns[0].ipv6: MyDNS login records the request's source address",
		"ddns[2].tsig_key_file:",
		"ddns[3].token_file: missing",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors do not contain %q:\n%s", want, text)
		}
	}
	for _, notHere := range []string{"pppoe section", "myddns"} { // config.Validate's
		if strings.Contains(text, notHere) {
			t.Errorf("errors contain %q, config.Validate's business:\n%s", notHere, text)
		}
	}
	if !strings.Contains(text, base) {
		t.Errorf("errors do not name the file %s:\n%s", base, text)
	}
	if strings.Contains(text, "c2VjcmV0LXZhbHVl") {
		t.Error("error quotes the TSIG secret")
	}

	ok := loadConfig(t, `ddns:
  - provider: duckdns
    name: myhome
    token_file: /etc/dualpath/duck.token
    ipv4: static:203.0.113.7
`)
	if err := ValidateConfig(ok); err != nil {
		t.Fatal(err)
	}
}
