package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/dualpath/dualpath/internal/termtext"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/doctor/probe"
	"github.com/dualpath/dualpath/internal/doctor/sockets"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/plan"
	"github.com/dualpath/dualpath/mape"
)

func mac(last byte) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, last} }

func testPlan(t *testing.T) *plan.Plan {
	p, err := plan.FromConfig(&config.Config{Interface: "enp1s0", Plan: &config.Plan{
		Mode: "two-routers", Subnet: "192.168.1.0/24", Server: "192.168.1.10",
		IPoERouter: "192.168.1.1", PPPoERouter: "192.168.1.2", DHCPRange: "192.168.1.100-192.168.1.200",
		IPv6Gateway: "fe80::1"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func a(s string) netip.Addr { return netip.MustParseAddr(s) }

// everyVerdict returns outcomes covering each branch of every verdict.
func everyVerdict(t *testing.T) []Outcome {
	p := testPlan(t)
	offer := func(ip string, m byte) probe.Offer {
		return probe.Offer{ServerIP: a(ip), ServerMAC: mac(m), YourIP: a("192.168.1.150")}
	}
	ra := func(ip string, m byte, life time.Duration) probe.RouterAdvert {
		return probe.RouterAdvert{Source: a(ip), MAC: mac(m), Lifetime: life,
			Prefixes: []probe.RAPrefix{{Prefix: netip.MustParsePrefix("2001:db8:12:3400::/64")}}}
	}
	claim := func(m byte) probe.ARPAnswer { return probe.ARPAnswer{MAC: mac(m)} }
	stable := V6Addr{Prefix: netip.MustParsePrefix("2400:4050:1234:5600::10/64")}
	temp := V6Addr{Prefix: netip.MustParsePrefix("2400:4050:1234:5600:a1b2:c3d4:e5f6:789/64"), Temporary: true}
	v6 := V6Addr{Prefix: netip.MustParsePrefix("2001:db8::10/64")}
	cov := func(v4, v6, dual bool, socks ...string) sockets.Coverage {
		return sockets.Coverage{Port: 80, IPv4: v4, IPv6: v6, ViaDualStack: dual, Sockets: socks}
	}
	var outs []Outcome
	add := func(id string, g Group, r Result) { outs = append(outs, Outcome{ID: id, Group: g, Result: r}) }
	_, perr := plan.FromConfig(&config.Config{Interface: "x", Plan: &config.Plan{Mode: "two-routers", Subnet: "192.168.1.0/24",
		Server: "192.168.1.150", IPoERouter: "192.168.1.1", PPPoERouter: "192.168.1.1", DHCPRange: "192.168.1.100-192.168.1.200"}})
	add("lan.plan", GroupLAN, PlanVerdict(nil))
	add("lan.plan", GroupLAN, PlanVerdict(perr))
	add("lan.dhcp", GroupLAN, DHCPVerdict(nil, p))
	add("lan.dhcp", GroupLAN, DHCPVerdict([]probe.Offer{offer("192.168.1.1", 1)}, p))
	add("lan.dhcp", GroupLAN, DHCPVerdict([]probe.Offer{offer("192.168.1.2", 2)}, p))
	add("lan.dhcp", GroupLAN, DHCPVerdict([]probe.Offer{offer("192.168.1.1", 1), offer("192.168.1.2", 2)}, p))
	add("lan.addresses", GroupLAN, ARPVerdict(p, map[netip.Addr][]probe.ARPAnswer{a("192.168.1.1"): {claim(1)}, a("192.168.1.2"): {claim(2)}, a("192.168.1.10"): {claim(10)}}, nil))
	add("lan.addresses", GroupLAN, ARPVerdict(p, map[netip.Addr][]probe.ARPAnswer{a("192.168.1.1"): {claim(1), claim(2)}}, nil))
	add("lan.addresses", GroupLAN, ARPVerdict(p, map[netip.Addr][]probe.ARPAnswer{a("192.168.1.1"): {claim(1)}, a("192.168.1.2"): {claim(2)}, a("192.168.1.10"): {claim(9)}}, []netip.Addr{a("192.168.1.10")}))
	add("lan.addresses", GroupLAN, ARPVerdict(p, map[netip.Addr][]probe.ARPAnswer{a("192.168.1.1"): {claim(1)}}, nil))
	add("lan.ipv6-routers", GroupLAN, RAVerdict(nil, p))
	add("lan.ipv6-routers", GroupLAN, RAVerdict([]probe.RouterAdvert{ra("fe80::1", 1, time.Hour)}, p))
	add("lan.ipv6-routers", GroupLAN, RAVerdict([]probe.RouterAdvert{ra("fe80::1", 1, time.Hour), ra("fe80::2", 2, time.Hour)}, p))
	add("lan.ipv6-routers", GroupLAN, RAVerdict([]probe.RouterAdvert{ra("fe80::9", 9, time.Hour)}, p))
	add("line.pppoe", GroupLine, PPPoEVerdict(nil))
	add("line.pppoe", GroupLine, PPPoEVerdict([]probe.AccessConcentrator{{MAC: mac(7), Name: "TKYOJP-BRAS-01", ServiceNames: []string{""}}}))
	add("line.pppoe", GroupLine, PPPoEVerdict([]probe.AccessConcentrator{{MAC: mac(7), Name: "x", Errors: []string{"Service-Name-Error: no such service"}}}))
	for _, c := range []sockets.Coverage{cov(true, true, false, "0.0.0.0:80", "[::]:80 v6only"), cov(true, true, true, "[::]:80"),
		cov(true, false, false, "0.0.0.0:80"), cov(false, true, false, "[::]:80 v6only"), cov(false, false, false),
		{Port: 80, LoopbackOnly4: true, Sockets: []string{"127.0.0.1:80"}}} {
		add("host.listen.tcp80", GroupHost, ListenVerdict(c))
	}
	add("line.ipv6", GroupLine, IPv6LineVerdict("enp1s0", nil))
	add("line.ipv6", GroupLine, IPv6LineVerdict("enp1s0", []V6Addr{stable, temp}))
	add("host.ipv6-address", GroupHost, IPv6ChoiceVerdict("enp1s0", []V6Addr{temp}))
	add("host.ipv6-address", GroupHost, IPv6ChoiceVerdict("enp1s0", []V6Addr{stable, temp}))
	add("host.ipv6-address", GroupHost, IPv6ChoiceVerdict("enp1s0", nil))
	add("line.mape", GroupLine, MAPEVerdict([]V6Addr{stable}, mape.Builtin(), []uint16{80, 443}))
	add("line.mape", GroupLine, MAPEVerdict([]V6Addr{v6}, mape.Builtin(), []uint16{80, 443}))
	add("line.mape", GroupLine, MAPEVerdict(nil, mape.Builtin(), []uint16{80, 443}))
	add("line.dslite", GroupLine, DSLiteVerdict(nil, nil))
	add("line.dslite", GroupLine, DSLiteVerdict(map[string][]string{"gw.transix.jp": {"2404:8e00::feed:100", "2404:8e01::feed:100"}}, []netip.Addr{a("192.0.0.2")}))
	add("host.rp_filter", GroupHost, RPFilterVerdict(map[string]int{"enp1s0": 2, "dp-ppp0": 1}, "dp-ppp0"))
	add("host.rp_filter", GroupHost, RPFilterVerdict(map[string]int{"enp1s0": 2, "dp-ppp0": 2}, "dp-ppp0"))
	return outs
}

func statusOf(t *testing.T, outs []Outcome, i int) Status { t.Helper(); return outs[i].Status }

func TestVerdicts(t *testing.T) {
	outs := everyVerdict(t)
	want := []Status{OK, Fail, Warn, OK, Warn, Fail, OK, Fail, Fail, Warn, Warn, OK, Warn, Warn,
		Fail, OK, Warn, OK, OK, Fail, Fail, Fail, Fail, Fail, OK, Warn, OK, Skip,
		Warn, OK, Skip, OK, Warn, Fail, OK}
	for i, w := range want {
		if got := statusOf(t, outs, i); got != w {
			t.Errorf("outcome %d (%s): %v, want %v: %s", i, outs[i].ID, got, w, outs[i].Summary.EN)
		}
	}
	// Content that matters to users.
	mustContain := func(i int, subs ...string) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(outs[i].Summary.EN+" | "+outs[i].Fix.EN, s) {
				t.Errorf("outcome %d (%s) lacks %q: %s | %s", i, outs[i].ID, s, outs[i].Summary.EN, outs[i].Fix.EN)
			}
		}
	}
	mustContain(1, "plan.ipoe_router, plan.pppoe_router", "plan.server, plan.dhcp_range")
	mustContain(5, "2 DHCP servers", "192.168.1.1 (02:00:00:00:00:01)", "192.168.1.2 (02:00:00:00:00:02)")
	mustContain(7, "192.168.1.1 (plan.ipoe_router) answered by 2 devices", "02:00:00:00:00:01", "02:00:00:00:00:02")
	mustContain(8, "192.168.1.10", "this host", "02:00:00:00:00:09")
	mustContain(9, "192.168.1.2 (plan.pppoe_router)")
	mustContain(15, "PPPoE passthrough works", "TKYOJP-BRAS-01", "02:00:00:00:00:07")
	mustContain(19, "IPv4 only", "listen [::]:80;")
	mustContain(20, "IPv6 only", "listen 80;")
	mustContain(25, "ipv6-privacy: false")
	mapeOut := outs[28]
	if mapeOut.Status != Warn || !strings.Contains(mapeOut.Summary.EN, "80/443 impossible over IPv4 via MAP-E; IPv6 has no port limit") {
		t.Errorf("MAP-E line: %v %s", mapeOut.Status, mapeOut.Summary.EN)
	}
	if mapeOut.Details["provider"] == "" || mapeOut.Details["shared"] != true {
		t.Errorf("MAP-E details: %v", mapeOut.Details)
	}
	if outs[29].Status != OK || !strings.Contains(outs[29].Summary.EN, "no MAP-E rule") {
		t.Errorf("non-MAP-E prefix: %+v", outs[29])
	}
	if outs[32].Status != Warn || !strings.Contains(outs[32].Summary.EN, "192.0.0.2") {
		t.Errorf("DS-Lite: %+v", outs[32])
	}
	if outs[33].Status != Fail || outs[34].Status != OK {
		t.Errorf("rp_filter: %v %v", outs[33].Status, outs[34].Status)
	}
	// Every result speaks both languages; Japanese lines are Japanese.
	for i, o := range outs {
		if o.Summary.EN == "" || o.Summary.JA == "" || (o.Fix.EN == "") != (o.Fix.JA == "") {
			t.Errorf("outcome %d (%s) lacks a language: %+v", i, o.ID, o)
		}
		if !hasKana(o.Summary.JA) {
			t.Errorf("outcome %d (%s): Japanese summary has no Japanese: %s", i, o.ID, o.Summary.JA)
		}
	}
}

func hasKana(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return true
		}
	}
	return false
}

func TestTextFits80Columns(t *testing.T) {
	outs := everyVerdict(t)
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		var b bytes.Buffer
		if err := WriteText(&b, outs, lang); err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			if w := termtext.DisplayWidth(line); w > Width {
				t.Errorf("lang %d line %d is %d columns: %q", lang, i+1, w, line)
			}
		}
		if lang == msg.Japanese && !strings.Contains(b.String(), "対処: ") {
			t.Errorf("Japanese report lacks 対処:\n%s", b.String())
		}
		// Nothing is lost by wrapping: the words all survive.
		flat := strings.Join(strings.Fields(b.String()), "")
		for _, o := range outs {
			if !strings.Contains(flat, strings.Join(strings.Fields(o.Summary.In(lang)), "")) {
				t.Errorf("wrapping lost text of %s: %s", o.ID, o.Summary.In(lang))
			}
		}
	}
}

func TestJSONSchema(t *testing.T) {
	outs := everyVerdict(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, outs, msg.English); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version int              `json:"version"`
		Checks  []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || len(doc.Checks) != len(outs) {
		t.Fatalf("version %d, %d checks", doc.Version, len(doc.Checks))
	}
	for _, c := range doc.Checks {
		for _, k := range []string{"id", "group", "status", "summary", "fix", "details"} {
			if _, ok := c[k]; !ok {
				t.Fatalf("check lacks %q: %v", k, c)
			}
		}
		switch c["status"] {
		case "ok", "warn", "fail", "skip":
		default:
			t.Fatalf("status %v", c["status"])
		}
		if _, ok := c["details"].(map[string]any); !ok {
			t.Fatalf("details must be an object: %v", c)
		}
	}
}

func TestRunAllKeepsOrderAndCatchesPanics(t *testing.T) {
	checks := []Check{
		Func{"a", GroupHost, func(context.Context) Result { time.Sleep(20 * time.Millisecond); return Result{Status: OK} }},
		Func{"b", GroupLine, func(context.Context) Result { panic("boom") }},
		Func{"c", GroupLAN, func(context.Context) Result { return Result{Status: Warn} }},
	}
	outs := RunAll(context.Background(), checks)
	if outs[0].ID != "a" || outs[1].Status != Fail || outs[2].Status != Warn || !Failed(outs) {
		t.Fatalf("%+v", outs)
	}
	if Failed(outs[2:]) {
		t.Fatal("a warning is not a failure")
	}
}

// TestUDPListenVerdict covers each branch of the UDP listener check: the
// status, what the line names, both languages, and 80 columns once wrapped.
func TestUDPListenVerdict(t *testing.T) {
	cov := func(v4, v6, dual bool, socks ...string) sockets.Coverage {
		return sockets.Coverage{Port: 51820, IPv4: v4, IPv6: v6, ViaDualStack: dual, Sockets: socks}
	}
	cases := []struct {
		c    sockets.Coverage
		want Status
		subs []string // in summary | fix (English)
		ja   string   // in the Japanese summary
	}{
		{cov(true, true, false, "0.0.0.0:51820", "[::]:51820 v6only"), OK, []string{"UDP port 51820 listens on IPv4 and IPv6", "[::]:51820 v6only"}, "IPv4 と IPv6で待ち受け"},
		{cov(true, true, true, "[::]:51820"), OK, []string{"one dual-stack socket"}, "デュアルスタック"},
		{cov(true, false, false, "0.0.0.0:51820"), Fail, []string{"IPv4 only", "IPv6 clients get no answer", "[::]:51820"}, "IPv4 だけ"},
		{cov(false, true, false, "[::]:51820 v6only"), Fail, []string{"IPv6 only", "0.0.0.0:51820", "IPV6_V6ONLY"}, "IPv6 だけ"},
		{cov(false, false, false), Fail, []string{"nothing listens on UDP port 51820"}, "待ち受けているプログラムがありません"},
		{sockets.Coverage{Port: 51820, LoopbackOnly4: true, Sockets: []string{"127.0.0.1:51820"}}, Fail, []string{"loopback only", "127.0.0.1:51820"}, "ループバック"},
	}
	var outs []Outcome
	for i, tc := range cases {
		r := UDPListenVerdict(tc.c)
		outs = append(outs, Outcome{ID: "host.listen.udp51820", Group: GroupHost, Result: r})
		if r.Status != tc.want {
			t.Errorf("case %d: %v, want %v: %s", i, r.Status, tc.want, r.Summary.EN)
		}
		for _, s := range tc.subs {
			if !strings.Contains(r.Summary.EN+" | "+r.Fix.EN, s) {
				t.Errorf("case %d lacks %q: %s | %s", i, s, r.Summary.EN, r.Fix.EN)
			}
		}
		if !strings.Contains(r.Summary.JA, tc.ja) || !hasKana(r.Summary.JA) {
			t.Errorf("case %d Japanese lacks %q: %s", i, tc.ja, r.Summary.JA)
		}
		if (r.Status == Fail) != (r.Fix.EN != "" && r.Fix.JA != "") {
			t.Errorf("case %d: a failure needs a fix in both languages, an ok none: %+v", i, r)
		}
		if r.Details["port"] != uint16(51820) || r.Details["ipv6"] != tc.c.IPv6 || r.Details["ipv4"] != tc.c.IPv4 {
			t.Errorf("case %d details: %v", i, r.Details)
		}
	}
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		var b bytes.Buffer
		if err := WriteText(&b, outs, lang); err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			if w := termtext.DisplayWidth(line); w > Width {
				t.Errorf("lang %d line %d is %d columns: %q", lang, i+1, w, line)
			}
		}
	}
}
