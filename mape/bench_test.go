package mape

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// benchAddrs are lookups a user could make: 3 of 4 inside random built-in
// rules (hits), 1 of 4 random addresses in 2400::/12 (mostly misses).
func benchAddrs() []netip.Addr {
	rng := rand.New(rand.NewPCG(56, 38))
	rules := Builtin().Rules()
	out := make([]netip.Addr, 1024)
	for i := range out {
		if i%4 == 3 {
			out[i] = randomIn(rng, netip.MustParsePrefix("2400::/12"))
		} else {
			out[i] = randomIn(rng, rules[rng.IntN(len(rules))].IPv6Prefix)
		}
	}
	return out
}

// linearLookup is the baseline: scan every rule, keep the longest match.
func linearLookup(rules []Rule, a netip.Addr) (Rule, bool) {
	best, found := Rule{}, false
	for _, r := range rules {
		if r.IPv6Prefix.Contains(a) && (!found || r.IPv6Prefix.Bits() > best.IPv6Prefix.Bits()) {
			best, found = r, true
		}
	}
	return best, found
}

func TestLinearLookupAgrees(t *testing.T) {
	rules := Builtin().Rules()
	for _, a := range benchAddrs() {
		r1, ok1 := Builtin().Lookup(a)
		r2, ok2 := linearLookup(rules, a)
		if ok1 != ok2 || r1 != r2 {
			t.Fatalf("Lookup(%s) = %v %v, linear scan %v %v", a, r1, ok1, r2, ok2)
		}
	}
}

// BenchmarkLookupBuiltin: Table.Lookup against the full embedded table.
func BenchmarkLookupBuiltin(b *testing.B) {
	tb, addrs := Builtin(), benchAddrs()
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := tb.Lookup(addrs[i%len(addrs)]); ok {
			hits++
		}
	}
	b.ReportMetric(float64(tb.Len()), "rules")
}

// BenchmarkLookupLinear is the baseline for BenchmarkLookupBuiltin: the same
// addresses against the same rules by a naive linear scan.
func BenchmarkLookupLinear(b *testing.B) {
	rules, addrs := Builtin().Rules(), benchAddrs()
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := linearLookup(rules, addrs[i%len(addrs)]); ok {
			hits++
		}
	}
	b.ReportMetric(float64(len(rules)), "rules")
}

// BenchmarkLine: a full line computation (EA bits, IPv4, PSID, CE address).
func BenchmarkLine(b *testing.B) {
	r, _ := Builtin().Lookup(netip.MustParseAddr("240b:10:1234:5600::"))
	a := netip.MustParseAddr("240b:10:1234:5600::")
	for b.Loop() {
		if _, err := r.Line(a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltinParse: parsing the embedded table (done once, on first use).
func BenchmarkBuiltinParse(b *testing.B) {
	for b.Loop() {
		rules, err := parseBuiltin(builtinRules)
		if err != nil {
			b.Fatal(err)
		}
		NewTable(rules)
	}
}
