package mape

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./internal/gen -data internal/gen/data -out builtin_table.go

// Builtin returns the embedded table of Japanese MAP-E rules: JPNE v6プラス
// (also resold by many ISPs), BIGLOBE IPv6オプション, OCN バーチャルコネクト and
// NURO. Every rule carries its provider name and BR and uses the draft-03 CE
// interface identifier. The table is parsed once, on first use, and shared.
func Builtin() *Table { return builtin() }

var builtin = sync.OnceValue(func() *Table {
	rules, err := parseBuiltin(builtinRules)
	if err != nil {
		// The generator validated every line; this is a build defect.
		panic("mape: built-in table: " + err.Error())
	}
	return NewTable(rules)
})

// parseBuiltin reads builtinRules' format: provider index, rule IPv6 prefix,
// rule IPv4 prefix, EA length, PSID offset, separated by spaces.
func parseBuiltin(s string) ([]Rule, error) {
	rules := make([]Rule, 0, strings.Count(s, "\n"))
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 5 {
			return nil, &builtinError{line}
		}
		pi, err1 := strconv.Atoi(f[0])
		p6, err2 := netip.ParsePrefix(f[1])
		p4, err3 := netip.ParsePrefix(f[2])
		ea, err4 := strconv.Atoi(f[3])
		a, err5 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || pi < 0 || pi >= len(builtinProviders) {
			return nil, &builtinError{line}
		}
		br, err := netip.ParseAddr(builtinProviders[pi].br)
		if err != nil {
			return nil, &builtinError{line}
		}
		r := Rule{
			Provider:   builtinProviders[pi].name,
			IPv6Prefix: p6,
			IPv4Prefix: p4,
			EALen:      ea,
			PSIDOffset: a,
			BR:         br,
			IID:        IIDDraft03,
		}
		if err := r.Validate(); err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

type builtinError struct{ line string }

func (e *builtinError) Error() string { return "bad line " + strconv.Quote(e.line) }
