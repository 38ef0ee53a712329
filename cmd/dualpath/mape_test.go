package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/hostnet"
)

// runMapeCmd runs `dualpath mape ARGS` in-process.
func runMapeCmd(t *testing.T, args ...string) (stdout, errMsg string, code int) {
	t.Helper()
	c := cli.Lookup("mape")
	if c == nil {
		t.Fatal("mape is not registered")
	}
	var o, e bytes.Buffer
	err := c.Run(context.Background(), cli.IO{Stdout: &o, Stderr: &e, Getenv: func(string) string { return "" }}, args)
	if err != nil {
		errMsg = err.Error()
	}
	return o.String(), errMsg, cli.Code(err)
}

func TestMapeText(t *testing.T) {
	out, msg, code := runMapeCmd(t, "240b:10:1234:5600::/56")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, want := range []string{
		"JPNE v6plus (v6プラス)",
		"240b:10::/32 -> 106.72.0.0/16",
		"2404:9200:225:100::64",
		"106.72.18.52",
		"86 (0x56)",
		"240, in 15 ranges of 16",
		"5472-5487 9568-9583",
		"62816-62831",
		"240b:10:1234:5600:6a:4812:3400:5600",
		"80/443 cannot be served over IPv4 on this line; ports 5472–5487 can",
		"IPv6 has no port limit",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for i, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "  ") && len(line) > 80 {
			t.Errorf("range line %d longer than 80 columns: %q", i, line)
		}
	}
}

func TestMapeJSONFlagsAfterPrefix(t *testing.T) {
	out, msg, code := runMapeCmd(t, "2400:4050:1234:5600:1:2:3:4", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var got struct {
		Provider string `json:"provider"`
		Rule     struct {
			IPv6Prefix string  `json:"ipv6_prefix"`
			IPv4Prefix string  `json:"ipv4_prefix"`
			EALength   int     `json:"ea_length"`
			PSIDOffset int     `json:"psid_offset"`
			PSIDLength int     `json:"psid_length"`
			BR         *string `json:"br"`
		} `json:"rule"`
		IPv4       string      `json:"ipv4"`
		PSID       int         `json:"psid"`
		CE         string      `json:"ce_ipv6"`
		PortRanges [][2]uint16 `json:"port_ranges"`
		PortCount  int         `json:"port_count"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(got.Provider, "OCN") || got.Rule.IPv6Prefix != "2400:4050::/34" || got.Rule.IPv4Prefix != "153.240.0.0/16" ||
		got.Rule.EALength != 22 || got.Rule.PSIDOffset != 6 || got.Rule.PSIDLength != 6 || got.Rule.BR == nil || *got.Rule.BR != "2001:380:a120::9" {
		t.Errorf("rule: %+v", got)
	}
	if got.IPv4 != "153.240.72.209" || got.PSID != 22 || netip.MustParseAddr(got.CE) != netip.MustParseAddr("2400:4050:1234:5600:99:f048:d100:1600") {
		t.Errorf("line: %+v", got)
	}
	if got.PortCount != 1008 || len(got.PortRanges) != 63 || got.PortRanges[0] != [2]uint16{1376, 1391} {
		t.Errorf("ports: %d, %d ranges, first %v", got.PortCount, len(got.PortRanges), got.PortRanges[0])
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("--json printed more than one line")
	}
}

func TestMapeCheckPort(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"--check-port", "5480", "240b:10:1234:5600::/56"}, 0, "yes: port 5480"},
		{[]string{"240b:10:1234:5600::/56", "--check-port", "80"}, 1, "no: port 80"},
		{[]string{"--check-port=443", "240b:10:1234:5600::/56"}, 1, "no: port 443"},
		{[]string{"--check-port", "80", "--rule", "2001:db8:12:3400::/56,192.0.2.18/32,0,6", "2001:db8:12:3400::/56"}, 0, "yes: port 80"},
	} {
		out, msg, code := runMapeCmd(t, c.args...)
		if code != c.code || !strings.HasPrefix(out, c.say) || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: exit %d (%s), output %q; want exit %d and one line starting %q", c.args, code, msg, out, c.code, c.say)
		}
	}
	out, _, code := runMapeCmd(t, "--json", "--check-port", "80", "240b:10:1234:5600::/56")
	if code != 1 || !strings.Contains(out, `"check_port":{"port":80,"in_set":false}`) {
		t.Errorf("--json --check-port 80: exit %d, %s", code, out)
	}
}

func TestMapeRuleAndIID(t *testing.T) {
	// RFC 7597 Appendix A example 1 with its RFC 7597 interface identifier.
	out, msg, code := runMapeCmd(t, "--rule", "2001:db8::/40,192.0.2.0/24,16,6,2001:db8:ffff::1", "--iid", "rfc7597", "2001:db8:12:3400::/56")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, want := range []string{"192.0.2.18", "52 (0x34)", "252, in 63 ranges of 4", "1232-1235", "2001:db8:12:3400:0:c000:212:34", "2001:db8:ffff::1", "(given with --rule)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The default IID of a --rule is draft-03.
	out, _, _ = runMapeCmd(t, "--rule", "2001:db8::/40,192.0.2.0/24,16,6", "2001:db8:12:3400::/56")
	if !strings.Contains(out, "2001:db8:12:3400:c0:2:1200:3400") {
		t.Errorf("draft-03 CE missing:\n%s", out)
	}
}

func TestMapeErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		say  string
	}{
		{nil, 2, "give the line's IPv6 prefix"},
		{[]string{"nonsense"}, 2, "not an IPv6 prefix or address"},
		{[]string{"192.0.2.1"}, 2, "IPv4"},
		{[]string{"fe80::1"}, 2, "link-local"},
		{[]string{"240b:10::/56", "240b:11::/56"}, 2, "one prefix"},
		{[]string{"--local", "240b:10::/56"}, 2, "not both"},
		{[]string{"--bogus", "240b:10::/56"}, 2, "bogus"},
		{[]string{"--check-port", "70000", "240b:10::/56"}, 2, "--check-port"},
		{[]string{"--iid", "eui64", "240b:10::/56"}, 2, "--iid"},
		{[]string{"--rule", "2001:db8::/40,192.0.2.0/24,16", "2001:db8::/56"}, 2, "--rule"},
		{[]string{"--rule", "2001:db8::/40,192.0.2.0/24,x,6", "2001:db8::/56"}, 2, "EA length"},
		{[]string{"--rule", "2001:db8::/40,192.0.2.0/24,16,6,zz", "2001:db8::/56"}, 2, "BR"},
		{[]string{"--rule", "2001:db8::/40,192.0.2.0/24,16,6", "2001:db9::/56"}, 2, "not inside"},
		{[]string{"240b:10:1200::/40"}, 2, "shorter than the end-user prefix /56"},
		{[]string{"2404:8e00::1234:1"}, 3, "DS-Lite"},
		{[]string{"2001:db8::/56"}, 3, "--rule IPV6PREFIX/LEN"},
	} {
		_, msg, code := runMapeCmd(t, c.args...)
		if code != c.code || !strings.Contains(msg, c.say) {
			t.Errorf("mape %v: exit %d %q; want exit %d saying %q", c.args, code, msg, c.code, c.say)
		}
	}
	out, _, code := runMapeCmd(t, "-h")
	if code != 0 || !strings.Contains(out, "--check-port") {
		t.Errorf("-h: exit %d, %q", code, out)
	}
}

func TestMapeLocal(t *testing.T) {
	old := mapeLocalAddrs
	t.Cleanup(func() { mapeLocalAddrs = old })
	addrs := []hostnet.LinkAddr{
		{Link: "lo", Prefix: netip.MustParsePrefix("::1/128")},
		{Link: "enp1s0", Prefix: netip.MustParsePrefix("192.168.1.10/24")},
		{Link: "enp1s0", Prefix: netip.MustParsePrefix("fe80::1/64")},
		{Link: "enp1s0", Prefix: netip.MustParsePrefix("fd00:1::10/64")},
		{Link: "enp1s0", Prefix: netip.MustParsePrefix("2001:db8:1::10/64")},
		{Link: "enp1s0", Prefix: netip.MustParsePrefix("2404:7a82:1234:5678:1:2:3:4/64")},
	}
	mapeLocalAddrs = func() ([]hostnet.LinkAddr, error) { return addrs, nil }
	out, msg, code := runMapeCmd(t, "--local")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if flat := strings.Join(strings.Fields(out), " "); !strings.Contains(out, "BIGLOBE") || !strings.Contains(flat, "on enp1s0") || !strings.Contains(out, "2404:7a82:1234:5600::/56") {
		t.Errorf("output:\n%s", out)
	}
	addrs = addrs[:5]
	_, msg, code = runMapeCmd(t, "--local")
	if code != 3 || !strings.Contains(msg, "2001:db8:1::10 (enp1s0)") || strings.Contains(msg, "fd00") || !strings.Contains(msg, "DS-Lite") {
		t.Errorf("no match: exit %d %q", code, msg)
	}
	addrs = addrs[:4]
	_, msg, code = runMapeCmd(t, "--local", "--json")
	if code != 3 || !strings.Contains(msg, "no global IPv6 address") {
		t.Errorf("no global address: exit %d %q", code, msg)
	}
}

// `LANG=ja_JP.UTF-8 dualpath mape PREFIX` speaks Japanese within 80
// columns; the English run fits too.
func TestMapeJapanese(t *testing.T) {
	for _, env := range []map[string]string{{"LANG": "ja_JP.UTF-8"}, {"LANG": "C.UTF-8"}} {
		out, errOut, code := runDispatch(env, "mape", "240b:10:1234:5600::/56")
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d %q", env, code, errOut)
		}
		assertWithin80(t, "mape "+env["LANG"], out)
		if env["LANG"] == "ja_JP.UTF-8" {
			flat := strings.Join(strings.Fields(out), "")
			for _, want := range []string{"事業者", "（256回線で共有）", "この回線ではIPv4で80/443を公開できません。5472〜5487番なら公開できます", "IPv6にはポートの制限がありません"} {
				if !strings.Contains(flat, want) {
					t.Errorf("Japanese mape lacks %q:\n%s", want, out)
				}
			}
		}
	}
	_, errOut, code := runDispatch(map[string]string{"LANG": "ja_JP.UTF-8"}, "mape", "2001:db8::/56")
	if code != cli.ExitNotFound || !strings.Contains(errOut, "MAP-E のルールがありません") {
		t.Errorf("no rule, Japanese: exit %d %q", code, errOut)
	}
	assertWithin80(t, "mape no rule (ja)", errOut)
}
