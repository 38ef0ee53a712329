package config

import (
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
)

func TestParseSource(t *testing.T) {
	for _, c := range []struct {
		in       string
		v6       bool
		back     string // "" with err
		err, eja string
	}{
		{"pppoe", false, "pppoe", "", ""},
		{"tunnel", false, "tunnel", "", ""},
		{"  none ", true, "none", "", ""},
		{"", false, "none", "", ""},
		{"seen", false, "seen", "", ""},
		{"seen:enp1s0", true, "seen:enp1s0", "", ""},
		{"interface:enp1s0", true, "interface:enp1s0", "", ""},
		{"http://api.example/ip", false, "http:http://api.example/ip", "", ""},
		{"http:https://api.example/ip", true, "http:https://api.example/ip", "", ""},
		{"https://api.example/ip", true, "http:https://api.example/ip", "", ""},
		{"static:203.0.113.7", false, "static:203.0.113.7", "", ""},
		{"static:2001:db8::1", true, "static:2001:db8::1", "", ""},
		{"pppoe", true, "", "pppoe gives only IPv4 here", "IPv4 しか"},
		{"tunnel", true, "", "tunnel gives only IPv4", "IPv4（固定アドレス）しか"},
		{"pppoe:ppp0", false, "", "pppoe takes no argument", "引数がありません"},
		{"interface", false, "", "interface needs a name", "名前が必要"},
		{"interface:a/b", false, "", `"a/b" is not a valid interface name`, "インターフェース名として使えません"},
		{"seen:a/b", false, "", `"a/b" is not a valid interface name`, "インターフェース名として使えません"},
		{"seen:waytoolonginterfacename", true, "", "longer than 15 characters", "15文字を超えて"},
		{"http:ftp://x", false, "", "not an http:// or https:// URL", "URL ではありません"},
		{"static:2001:db8::1", false, "", `"2001:db8::1" is not an IPv4 address`, "IPv4 アドレスではありません"},
		{"static:203.0.113.7", true, "", "is not an IPv6 address", "IPv6 アドレスではありません"},
		{"pppo", false, "", `"pppo" is not an address source (did you mean "pppoe"?)`, "アドレスの取得元ではありません"},
		{"none:x", false, "", "is not an address source", "アドレスの取得元ではありません"},
	} {
		s, err := ParseSource(c.in, c.v6)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q (v6 %v): error %v, want %q", c.in, c.v6, err, c.err)
			} else if ja := errJA(err); !strings.Contains(ja, c.eja) {
				t.Errorf("%q (v6 %v): Japanese %q, want %q", c.in, c.v6, ja, c.eja)
			}
			continue
		}
		if err != nil || s.String() != c.back {
			t.Errorf("%q (v6 %v): %+v %q %v, want %q", c.in, c.v6, s, s.String(), err, c.back)
		}
	}
}

// A bad source is reported by Validate at its key, with the file's other
// problems, once; the family comes from the key.
func TestDecodeSource(t *testing.T) {
	c, err := Parse("t.yaml", []byte("ddns:\n  - provider: duckdns\n    ipv4: static:2001:db8::1\n    ipv6: pppoe\n    ttl: -1\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.validate(validateOpts{})
	want := "t.yaml:3:5: ddns[0].ipv4: \"2001:db8::1\" is not an IPv4 address\n" +
		"t.yaml:4:5: ddns[0].ipv6: pppoe gives only IPv4 here: use interface:NAME for the AAAA record\n" +
		"t.yaml:5:5: ddns[0].ttl: -1 is out of range"
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("got\n%v\nwant\n%s...", err, want)
	}
	c, err = Parse("t.yaml", []byte("ddns:\n  - provider: duckdns\n    ipv4: static:203.0.113.7\n    ipv6: seen:enp1s0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.DDNS[0]; d.IPv4.Kind != SourceStatic || d.IPv4.Static.String() != "203.0.113.7" || d.IPv6.Kind != SourceSeen || d.IPv6.Link != "enp1s0" {
		t.Fatalf("decoded %+v %+v", d.IPv4, d.IPv6)
	}
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"pppoe", "tunnel", "interface:enp1s0", "http:https://api.example/ip", "static:203.0.113.7", "none", "static:2001:db8::1", "seen", "seen:enp1s0"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, v6 bool) {
		src, err := ParseSource(s, v6)
		if err != nil {
			return
		}
		again, err := ParseSource(src.String(), v6)
		if err != nil || again != src {
			t.Fatalf("%q -> %q -> %+v, %v", s, src.String(), again, err)
		}
	})
}

func errJA(err error) string { return msg.ErrorText(err).JA }
