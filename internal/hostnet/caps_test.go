package hostnet

import "testing"

func TestParseCapEff(t *testing.T) {
	for _, tc := range []struct {
		status     string
		ok         bool
		admin, raw bool
	}{
		{"Name:\tdualpath\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n", true, true, true},
		{"CapEff:\t0000000000003000\n", true, true, true},
		{"CapEff:\t0000000000001000\n", true, true, false},
		{"CapEff:\t0000000000000000\n", true, false, false},
		{"CapEff:\tzz\n", false, false, false},
		{"Name:\tx\n", false, false, false},
	} {
		c, ok := ParseCapEff(tc.status)
		if ok != tc.ok || c.Has(CapNetAdmin) != tc.admin || c.Has(CapNetRaw) != tc.raw || c.Has(CapNetAdmin, CapNetRaw) != (tc.admin && tc.raw) {
			t.Errorf("%q: %#x ok=%v, want ok=%v admin=%v raw=%v", tc.status, uint64(c), ok, tc.ok, tc.admin, tc.raw)
		}
	}
}
