package doctor

import (
	"os"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

const nftSample = `{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
{"table": {"family": "inet", "name": "t", "handle": 1}},
{"chain": {"family": "inet", "table": "t", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
{"chain": {"family": "inet", "table": "t", "name": "x", "handle": 7}},
{"chain": {"family": "inet", "table": "dualpath", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
{"chain": {"family": "ip6", "table": "v6", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
{"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 2, "expr": [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}, {"accept": null}]}},
{"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 3, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "lo"}}, {"accept": null}]}},
{"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 5, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "dp-*"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [80, 443]}}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}},
{"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 8, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "nfproto"}}, "right": "ipv4"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"range": [8000, 8100]}}}, {"jump": {"target": "x"}}]}},
{"rule": {"family": "inet", "table": "t", "chain": "x", "handle": 9, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.0.0.0", "len": 8}}}}, {"accept": null}]}}
]}`

func TestFirewallNft(t *testing.T) {
	rs, err := ParseNftJSON([]byte(nftSample))
	if err != nil {
		t.Fatal(err)
	}
	// dp-ppp0: 80 and 443 accepted by the wildcard rule; dualpath's own
	// table and the ip6 table do not count.
	r := FirewallVerdict([]*Ruleset{rs}, "dp-ppp0", []uint16{80, 443})
	if r.Status != OK || !strings.Contains(r.Summary.EN, "ports 80, 443 pass") {
		t.Fatalf("%v: %s / %s", r.Status, r.Summary.EN, r.Fix.EN)
	}
	// eth0: dropped by policy, the fix is the exact nft rule.
	r = FirewallVerdict([]*Ruleset{rs}, "eth0", []uint16{80, 443})
	if r.Status != Fail || !strings.Contains(r.Summary.EN, "80 by inet t input (policy drop)") ||
		!strings.Contains(r.Fix.EN, `nft insert rule inet t input iifname "eth0" tcp dport 80 accept`) ||
		!strings.Contains(r.Fix.EN, `tcp dport 443 accept`) {
		t.Fatalf("%v: %s / %s", r.Status, r.Summary.EN, r.Fix.EN)
	}
	// 8080 reaches a rule that depends on the source address: unsure.
	r = FirewallVerdict([]*Ruleset{rs}, "eth0", []uint16{8080})
	if r.Status != Warn || !strings.Contains(r.Summary.EN, "ip saddr") {
		t.Fatalf("%v: %s / %s", r.Status, r.Summary.EN, r.Fix.EN)
	}
	if rs.UFW() {
		t.Fatal("no ufw here")
	}
	if _, err := ParseNftJSON([]byte("not json")); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestFirewallUFWLegacy(t *testing.T) {
	b, err := os.ReadFile("testdata/ufw-legacy.rules")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseIptablesSave(b)
	if err != nil {
		t.Fatal(err)
	}
	if !rs.UFW() {
		t.Fatal("ufw's chains not seen")
	}
	// ufw's default deny: 80 and 443 dropped by INPUT's policy, 22 allowed.
	r := FirewallVerdict([]*Ruleset{rs}, "dp-ppp0", []uint16{80, 443, 22})
	if r.Status != Fail || !strings.Contains(r.Summary.EN, "80 by ip filter INPUT (policy drop)") || strings.Contains(r.Summary.EN, "22 by") ||
		!strings.Contains(r.Fix.EN, "ufw allow in on dp-ppp0 to any port 80 proto tcp; ufw allow in on dp-ppp0 to any port 443 proto tcp") {
		t.Fatalf("%v: %s / %s", r.Status, r.Summary.EN, r.Fix.EN)
	}
	if !strings.Contains(r.Fix.JA, "ufw allow in on dp-ppp0 to any port 80 proto tcp") {
		t.Fatalf("Japanese fix: %s", r.Fix.JA)
	}
	// What `ufw allow in on dp-ppp0 to any port 80 proto tcp` adds.
	allowed := strings.Replace(string(b), "COMMIT", "-A ufw-user-input -i dp-ppp0 -p tcp -m tcp --dport 80 -j ACCEPT\n-A ufw-user-input -i dp-ppp0 -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT", 1)
	rs, err = ParseIptablesSave([]byte(allowed))
	if err != nil {
		t.Fatal(err)
	}
	r = FirewallVerdict([]*Ruleset{rs}, "dp-ppp0", []uint16{80, 443})
	if r.Status != OK || !strings.Contains(r.Summary.EN, "ufw allows them") {
		t.Fatalf("%v: %s / %s", r.Status, r.Summary.EN, r.Fix.EN)
	}
	// On another interface the same rules do not open it.
	if r = FirewallVerdict([]*Ruleset{rs}, "eth0", []uint16{80}); r.Status != Fail {
		t.Fatalf("eth0: %v %s", r.Status, r.Summary.EN)
	}
	for _, bad := range []string{"-A INPUT -j ACCEPT\n", "*filter\n-A NOCHAIN -j ACCEPT\n", "*filter\n:\n", "garbage\n"} {
		if _, err := ParseIptablesSave([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseNftJSON(f *testing.F) {
	f.Add([]byte(nftSample))
	f.Add([]byte(`{"nftables": [{"chain": {"family": "ip", "table": "f", "name": "INPUT", "hook": "input"}}, {"rule": {"family": "ip", "table": "f", "chain": "INPUT", "expr": [{"xt": {"type": "match", "name": "conntrack"}}, {"jump": {"target": "INPUT"}}]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParseNftJSON(b)
		if err != nil {
			return
		}
		_ = FirewallVerdict([]*Ruleset{rs}, "dp-ppp0", []uint16{80, 443})
	})
}

func FuzzParseIptablesSave(f *testing.F) {
	b, err := os.ReadFile("testdata/ufw-legacy.rules")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("*filter\n:INPUT DROP [0:0]\n:a - [0:0]\n-A INPUT -j a\n-A a -g INPUT\n-A a ! -i x -m comment --comment \"x y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParseIptablesSave(b)
		if err != nil {
			return
		}
		_ = FirewallVerdict([]*Ruleset{rs}, "dp-ppp0", []uint16{80, 443})
	})
}

func TestFirewallBlocked(t *testing.T) {
	rs, err := ParseNftJSON([]byte(nftSample))
	if err != nil {
		t.Fatal(err)
	}
	if w := FirewallBlocked([]*Ruleset{rs}, "dp-ppp0", []uint16{80, 443}); len(w) != 0 {
		t.Fatalf("open ports warned: %q", w)
	}
	w := FirewallBlocked([]*Ruleset{rs}, "eth0", []uint16{80, 8080})
	if len(w) != 1 || !strings.Contains(w[0].EN, "TCP port 80 on eth0 (inet t input: policy drop)") || !strings.Contains(w[0].EN, `nft insert rule inet t input iifname "eth0" tcp dport 80 accept`) {
		t.Fatalf("warnings: %q (8080 is unsure, not certainly blocked)", w)
	}
	ja := w[0].JA
	if !strings.Contains(ja, "eth0 の TCP ポート 80 への新規接続を破棄します（「inet t input: policy drop」）") ||
		!strings.Contains(ja, `開けるには「nft insert rule inet t input iifname "eth0" tcp dport 80 accept」`) {
		t.Errorf("Japanese warning: %q", ja)
	}
	if fw := msgtest.ForeignWords(ja); len(fw) > 0 {
		t.Errorf("English %q in %q", fw, ja)
	}
}
