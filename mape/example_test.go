package mape_test

import (
	"fmt"
	"net/netip"

	"github.com/dualpath/dualpath/mape"
)

// A v6プラス customer's /56: its shared IPv4 address, PSID, ports and CE.
func ExampleTable_Lookup() {
	a, err := mape.ParsePrefixOrAddress("240b:10:1234:5600::/56")
	if err != nil {
		panic(err)
	}
	rule, ok := mape.Builtin().Lookup(a)
	if !ok {
		panic("no rule")
	}
	line, err := rule.Line(a)
	if err != nil {
		panic(err)
	}
	fmt.Println(rule.Provider, rule.BR)
	fmt.Println(line.IPv4, line.PSID, line.PortCount(), line.PortRanges()[0], line.HasPort(443))
	fmt.Println(line.CE)
	// Output:
	// JPNE v6plus (v6プラス) 2404:9200:225:100::64
	// 106.72.18.52 86 240 5472-5487 false
	// 240b:10:1234:5600:6a:4812:3400:5600
}

// The BR direction: which CE owns 106.72.18.52 port 9570?
func ExampleRule_LineFor() {
	v4 := netip.MustParseAddr("106.72.18.52")
	rule, _ := mape.Builtin().LookupIPv4(v4)
	line, err := rule.LineFor(v4, 9570)
	if err != nil {
		panic(err)
	}
	fmt.Println(line.EndUserPrefix, line.PSID, line.CE)
	// Output: 240b:10:1234:5600::/56 86 240b:10:1234:5600:6a:4812:3400:5600
}

// A rule given by hand (RFC 7597 Appendix A, example 1).
func ExampleParseRule() {
	rule, err := mape.ParseRule("2001:db8::/40,192.0.2.0/24,16,6")
	if err != nil {
		panic(err)
	}
	rule.IID = mape.IIDRFC7597
	line, _ := rule.Line(netip.MustParseAddr("2001:db8:12:3400::"))
	fmt.Println(line.IPv4, line.PSID, line.PortCount(), line.CE)
	// Output: 192.0.2.18 52 252 2001:db8:12:3400:0:c000:212:34
}
