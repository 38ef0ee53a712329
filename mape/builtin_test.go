package mape

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// Real Japanese lines, worked out by hand from the rules (RFC 7597 5.2,
// draft-03 IID).
func TestBuiltinKnownLines(t *testing.T) {
	for _, c := range []struct {
		in, provider, ipv4, ce, br string
		psid                       uint16
		first                      PortRange
		count                      int
	}{
		{
			// 240b:10::/32 -> 106.72.0.0/16, o = 24, a = 4: EA = 0x123456.
			in: "240b:10:1234:5600::/56", provider: "v6プラス",
			ipv4: "106.72.18.52", psid: 0x56, ce: "240b:10:1234:5600:6a:4812:3400:5600",
			br: "2404:9200:225:100::64", first: PortRange{5472, 5487}, count: 240,
		},
		{
			// A host's SLAAC address in the same /56.
			in: "240b:10:1234:56ab:1c2:3ff:fe45:6789", provider: "v6プラス",
			ipv4: "106.72.18.52", psid: 0x56, ce: "240b:10:1234:5600:6a:4812:3400:5600",
			br: "2404:9200:225:100::64", first: PortRange{5472, 5487}, count: 240,
		},
		{
			// 2400:4050::/34 -> 153.240.0.0/16, o = 22, a = 6: EA = 0x123456.
			in: "2400:4050:1234:5600::/64", provider: "OCNバーチャルコネクト",
			ipv4: "153.240.72.209", psid: 0x16, ce: "2400:4050:1234:5600:99:f048:d100:1600",
			br: "2001:380:a120::9", first: PortRange{1376, 1391}, count: 1008,
		},
	} {
		a, err := ParsePrefixOrAddress(c.in)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := Builtin().Lookup(a)
		if !ok {
			t.Fatalf("%s: no rule", c.in)
		}
		l, err := r.Line(a)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Provider, c.provider) || r.BR != netip.MustParseAddr(c.br) || r.IID != IIDDraft03 {
			t.Errorf("%s: rule %+v", c.in, r)
		}
		if l.IPv4 != netip.MustParseAddr(c.ipv4) || l.PSID != c.psid || l.CE != netip.MustParseAddr(c.ce) {
			t.Errorf("%s: IPv4 %s PSID %#x CE %s; want %s %#x %s", c.in, l.IPv4, l.PSID, l.CE, c.ipv4, c.psid, c.ce)
		}
		if rs := l.PortRanges(); rs[0] != c.first || l.PortCount() != c.count {
			t.Errorf("%s: first range %v count %d", c.in, rs[0], l.PortCount())
		}
	}
}

// Every built-in rule: provider and BR set, draft-03, /56, and any line under
// it has 240 (JPNE, BIGLOBE, NURO) or 1008 (OCN) ports, never 80 or 443.
func TestBuiltinRulesGiveNoWebPorts(t *testing.T) {
	tb := Builtin()
	rules := tb.Rules()
	if len(rules) < 400 {
		t.Fatalf("only %d built-in rules", len(rules))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]int{}
	for _, r := range rules {
		if r.Provider == "" || !r.BR.Is6() || r.IID != IIDDraft03 || r.EndUserPrefixLen() != 56 {
			t.Fatalf("rule %+v", r)
		}
		want := 240
		if strings.HasPrefix(r.Provider, "OCN") {
			want = 1008
		}
		seen[strings.Fields(r.Provider)[0]]++
		for range 4 {
			addr := randomIn(rng, r.IPv6Prefix)
			got, ok := tb.Lookup(addr)
			if !ok || got != r {
				t.Fatalf("Lookup(%s) = %v, %v; want %v", addr, got, ok, r)
			}
			l, err := r.Line(addr)
			if err != nil {
				t.Fatal(err)
			}
			if l.PortCount() != want || l.HasPort(80) || l.HasPort(443) {
				t.Fatalf("%s (%s): %d ports, has 80: %v, has 443: %v", addr, r.Provider, l.PortCount(), l.HasPort(80), l.HasPort(443))
			}
			for _, pr := range l.PortRanges() {
				if pr.First <= 443 {
					t.Fatalf("%s: range %v reaches the web ports", addr, pr)
				}
			}
			// The BR direction finds the same rule and line.
			br, ok := tb.LookupIPv4(l.IPv4)
			if !ok || br != r {
				t.Fatalf("LookupIPv4(%s) = %v, %v; want %v", l.IPv4, br, ok, r)
			}
			rs := l.PortRanges()
			back, err := br.LineFor(l.IPv4, rs[rng.IntN(len(rs))].First)
			if err != nil || back != l {
				t.Fatalf("LineFor(%s) = %+v, %v; want %+v", l.IPv4, back, err, l)
			}
		}
	}
	for _, p := range []string{"JPNE", "BIGLOBE", "OCN", "NURO"} {
		if seen[p] == 0 {
			t.Errorf("no %s rules in %v", p, seen)
		}
	}
}

func TestBuiltinNoMatch(t *testing.T) {
	for _, s := range []string{
		"2404:8e00::feed:100", // transix (DS-Lite AFTR)
		"2001:db8::1",
		"fd00::1",
	} {
		if r, ok := Builtin().Lookup(netip.MustParseAddr(s)); ok {
			t.Errorf("Lookup(%s) = %v", s, r)
		}
	}
	// Rules() is a copy: changing it does not change the table.
	rs := Builtin().Rules()
	rs[0].Provider = "changed"
	if slices.ContainsFunc(Builtin().Rules(), func(r Rule) bool { return r.Provider == "changed" }) {
		t.Error("Rules() shares its backing array")
	}
}

func TestParseBuiltinRejects(t *testing.T) {
	for _, s := range []string{
		"0 240b:10::/32 106.72.0.0/16 24\n",
		"9 240b:10::/32 106.72.0.0/16 24 4\n",
		"0 240b:10::/32 106.72.0.0/16 49 4\n",
		"0 nope 106.72.0.0/16 24 4\n",
	} {
		if _, err := parseBuiltin(s); err == nil {
			t.Errorf("parseBuiltin(%q): no error", s)
		}
	}
}

// randomIn returns a random address inside p.
func randomIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	x := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(x)*8; i++ {
		x[i/8] |= byte(rng.IntN(2)) << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(x)
	return a
}
