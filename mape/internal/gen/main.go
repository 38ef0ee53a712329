// Command gen writes mape's built-in table of Japanese MAP-E rules
// (builtin_table.go) from the source files in data/. Run it with
// `go generate ./mape`. See data/README.md for where each file comes from.
//
// Choices it makes (and checks, failing when the data contradicts them):
//   - JPNE v6プラス: the 8 /32 rules of JPNE's own rule API (equivalent to the
//     4 /31 rules of the fc2 table; checked block by block).
//   - BIGLOBE: the fc2 table (two BRs, east and west).
//   - OCN バーチャルコネクト: the 155 rules in OCN's rule-API format. Expanded,
//     they reproduce every /38 block of the fc2 table and map more blocks
//     besides (newer allocations), so they win; any disagreement fails.
//   - NURO: the rules carried by luci-app-fleth (community-sourced).
//
// It imports nothing from mape, so it still runs when the generated file is
// missing or stale.
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"go/format"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// provider is one (name, BR) pair of the generated table.
type provider struct{ name, br string }

// Provider names: the English service name (ASCII-safe, for logs and
// terminals without Japanese fonts) with the name Japanese users know.
var providers = []provider{
	{"JPNE v6plus (v6プラス)", "2404:9200:225:100::64"},
	{"BIGLOBE IPv6 option (IPv6オプション)", "2001:260:700:1::1:275"},
	{"BIGLOBE IPv6 option (IPv6オプション)", "2001:260:700:1::1:276"},
	{"OCN Virtual Connect (OCNバーチャルコネクト)", "2001:380:a120::9"},
	{"NURO Hikari (NURO 光; community-sourced rules)", "2001:3b8:200:ff9::1"},
}

// rule is one generated rule.
type rule struct {
	prov int
	v6   netip.Prefix
	v4   netip.Prefix
	ea   int
	a    int
}

func main() {
	data := flag.String("data", "internal/gen/data", "directory of source files")
	out := flag.String("out", "builtin_table.go", "generated Go file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("mape/gen: ")

	fc2 := readCSV(filepath.Join(*data, "jp_mape_rules_fc2_derived.csv"))
	var bigl, fc2JPNE, fc2OCN []rule
	for _, row := range fc2.rows {
		r := rule{
			v6: prefix(row, fc2, "rule_ipv6_prefix", "rule_ipv6_len"),
			v4: prefix(row, fc2, "rule_ipv4_prefix", "rule_ipv4_len"),
			ea: atoi(row, fc2, "ea_len"),
			a:  atoi(row, fc2, "psid_offset"),
		}
		checkK(r, atoi(row, fc2, "psid_len"))
		name, br := fc2.get(row, "provider"), fc2.get(row, "br_ipv6")
		switch {
		case strings.HasPrefix(name, "BIGLOBE"):
			r.prov = providerByBR(br)
			bigl = append(bigl, r)
		case strings.HasPrefix(name, "JPNE"):
			r.prov = providerByBR(br)
			fc2JPNE = append(fc2JPNE, r)
		case strings.HasPrefix(name, "OCN"):
			r.prov = providerByBR(br)
			fc2OCN = append(fc2OCN, r)
		default:
			log.Fatalf("fc2 table: unknown provider %q", name)
		}
	}

	jp := readCSV(filepath.Join(*data, "jpne_v6plus_rules_api_format.csv"))
	var jpne []rule
	for _, row := range jp.rows {
		r := rule{
			prov: providerByBR(jp.get(row, "br_or_dmr")),
			v6:   netip.MustParsePrefix(jp.get(row, "rule_ipv6_prefix")),
			v4:   netip.MustParsePrefix(jp.get(row, "rule_ipv4_prefix")),
			ea:   atoi(row, jp, "ea_len"),
			a:    atoi(row, jp, "psid_offset"),
		}
		if r.v6.Bits()+r.ea != atoi(row, jp, "ipv6_fixlen") {
			log.Fatalf("JPNE rule %s: n+o != ipv6_fixlen", r.v6)
		}
		jpne = append(jpne, r)
	}

	oc := readCSV(filepath.Join(*data, "ocn_vc_rules_api_format.csv"))
	var ocn []rule
	for _, row := range oc.rows {
		r := rule{
			prov: providerByBR(oc.get(row, "br_ipv6")),
			v6:   prefix(row, oc, "rule_ipv6_prefix", "rule_ipv6_len"),
			v4:   prefix(row, oc, "rule_ipv4_prefix", "rule_ipv4_len"),
			ea:   atoi(row, oc, "ea_len"),
			a:    atoi(row, oc, "psid_offset"),
		}
		checkK(r, atoi(row, oc, "psid_len_derived"))
		ocn = append(ocn, r)
	}

	nu := readCSV(filepath.Join(*data, "nuro_rules_fleth.csv"))
	var nuro []rule
	for _, row := range nu.rows {
		r := rule{
			prov: providerByBR(nu.get(row, "br_ipv6")),
			v6:   prefix(row, nu, "rule_ipv6_prefix", "rule_ipv6_len"),
			v4:   prefix(row, nu, "rule_ipv4_prefix", "rule_ipv4_len"),
			ea:   atoi(row, nu, "ea_len"),
			a:    atoi(row, nu, "psid_offset"),
		}
		checkK(r, atoi(row, nu, "psid_len"))
		nuro = append(nuro, r)
	}

	// JPNE: the API rules must map every fc2 block identically, and no more.
	jSame, jMis, jExtra, _ := compare(fc2JPNE, jpne)
	if jMis > 0 || jExtra > 0 || jSame == 0 {
		log.Fatalf("JPNE: API rules and fc2 rules differ (%d same, %d mismatched, %d extra blocks)", jSame, jMis, jExtra)
	}
	// OCN: keep the API-format rules when they contradict no fc2 block.
	oSame, oMis, oExtra, oExtra38 := compare(fc2OCN, ocn)
	if oMis > 0 {
		log.Fatalf("OCN: API-format rules contradict %d fc2 blocks: decide which source reproduces real lines", oMis)
	}
	oMissing := blocks(fc2OCN) - oSame
	ocnNote := fmt.Sprintf("OCN: the %d OCN rule-API-format rules are kept, not the %d fc2 /38 rules: "+
		"expanded to /39 blocks they reproduce %d of the fc2 table's %d blocks (0 mismatches, %d missing) "+
		"and map %d more /39 blocks, in %d /38s the fc2 table lacks (newer allocations, e.g. 2400:4052:a000::/35).",
		len(ocn), len(fc2OCN), oSame, blocks(fc2OCN), oMissing, oExtra, oExtra38)
	if oMissing > 0 {
		// Keep fc2 rules for blocks the API rules do not cover.
		for _, r := range fc2OCN {
			if !coveredBy(r, ocn) {
				ocn = append(ocn, r)
			}
		}
	}

	all := slices.Concat(jpne, bigl, ocn, nuro)
	slices.SortStableFunc(all, func(x, y rule) int {
		if x.prov != y.prov {
			return x.prov - y.prov
		}
		return x.v6.Addr().Compare(y.v6.Addr())
	})
	seen := map[netip.Prefix]bool{}
	for _, r := range all {
		if seen[r.v6] {
			log.Fatalf("duplicate rule IPv6 prefix %s", r.v6)
		}
		seen[r.v6] = true
		if r.v6 != r.v6.Masked() || r.v4 != r.v4.Masked() || r.v6.Bits()+r.ea != 56 {
			log.Fatalf("rule %s %s: unmasked prefix or end-user prefix not /56", r.v6, r.v4)
		}
	}
	for i, x := range all {
		for _, y := range all[i+1:] {
			if x.v6.Overlaps(y.v6) {
				log.Printf("note: rules %s (%s) and %s (%s) overlap; the longer prefix wins", x.v6, providers[x.prov].name, y.v6, providers[y.prov].name)
			}
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by mape/internal/gen from mape/internal/gen/data; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package mape\n\n")
	fmt.Fprintf(&b, "// Sources and choices (see internal/gen/main.go and data/README.md):\n")
	fmt.Fprintf(&b, "//   - JPNE: %d rules from JPNE's rule API; they map the same %d blocks as the fc2 table's %d rules.\n", len(jpne), jSame, len(fc2JPNE))
	fmt.Fprintf(&b, "//   - BIGLOBE: %d rules from the fc2 table (negineri/mapeced, MIT).\n", len(bigl))
	for _, line := range wrap(ocnNote, 92) {
		fmt.Fprintf(&b, "//   %s\n", line)
	}
	fmt.Fprintf(&b, "//   - NURO: %d rules from makeding/luci-app-fleth (MIT), community-sourced.\n", len(nuro))
	fmt.Fprintf(&b, "// All use the draft-03 CE interface identifier and a /56 end-user prefix.\n\n")
	fmt.Fprintf(&b, "// builtinProviders are the (name, BR) pairs the rules refer to by index.\n")
	fmt.Fprintf(&b, "var builtinProviders = [...]struct{ name, br string }{\n")
	for _, p := range providers {
		fmt.Fprintf(&b, "\t{%q, %q},\n", p.name, p.br)
	}
	fmt.Fprintf(&b, "}\n\n")
	fmt.Fprintf(&b, "// builtinRules holds %d rules, one a line: provider index, rule IPv6\n", len(all))
	fmt.Fprintf(&b, "// prefix, rule IPv4 prefix, EA length, PSID offset.\n")
	fmt.Fprintf(&b, "const builtinRules = `")
	for _, r := range all {
		fmt.Fprintf(&b, "%d %s %s %d %d\n", r.prov, r.v6, r.v4, r.ea, r.a)
	}
	fmt.Fprintf(&b, "`\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s: %d rules (JPNE %d, BIGLOBE %d, OCN %d, NURO %d)", *out, len(all), len(jpne), len(bigl), len(ocn), len(nuro))
	log.Print(ocnNote)
}

// unit is the granularity at which two rule sets are compared: /39 blocks,
// the longest rule prefix in the sources.
const unit = 39

// expand maps every /39 block of the rules to the IPv4 prefix it gets.
func expand(rs []rule) map[netip.Prefix]netip.Prefix {
	m := map[netip.Prefix]netip.Prefix{}
	for _, r := range rs {
		extra := unit - r.v6.Bits()
		if extra < 0 {
			log.Fatalf("rule %s is longer than /%d", r.v6, unit)
		}
		for i := uint64(0); i < 1<<extra; i++ {
			b6 := r.v6.Addr().As16()
			hi := be64(b6[:8]) | i<<(64-unit)
			put64(b6[:8], hi)
			v4len := r.v4.Bits() + extra
			b4 := r.v4.Addr().As4()
			v := uint32(b4[0])<<24 | uint32(b4[1])<<16 | uint32(b4[2])<<8 | uint32(b4[3])
			if v4len <= 32 {
				v |= uint32(i) << (32 - v4len)
			} else {
				// The block's EA bits reach into the PSID: keep the
				// address and the part of the PSID as the key.
				v |= uint32(i >> (v4len - 32))
				v4len = 32
			}
			key := netip.PrefixFrom(netip.AddrFrom16(b6), unit)
			m[key] = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), v4len)
		}
	}
	return m
}

// compare counts the /39 blocks of ref that cand maps the same (same), maps
// differently or with another PSID offset/EA layout (mismatched), the blocks
// only cand maps (extra) and the /38s those lie in (extra38).
func compare(ref, cand []rule) (same, mismatched, extra, extra38 int) {
	rm, cm := expand(ref), expand(cand)
	ra, ca := layout(ref), layout(cand)
	for k, v := range rm {
		cv, ok := cm[k]
		switch {
		case !ok:
		case cv == v && ra[k] == ca[k]:
			same++
		default:
			mismatched++
		}
	}
	in38 := map[netip.Prefix]bool{}
	for k := range cm {
		if _, ok := rm[k]; !ok {
			extra++
			in38[netip.PrefixFrom(k.Addr(), 38).Masked()] = true
		}
	}
	return same, mismatched, extra, len(in38)
}

// layout maps every /39 block to its (PSID offset, end-user length).
func layout(rs []rule) map[netip.Prefix][2]int {
	m := map[netip.Prefix][2]int{}
	for k := range expand(rs) {
		for _, r := range rs {
			if r.v6.Contains(k.Addr()) {
				m[k] = [2]int{r.a, r.v6.Bits() + r.ea}
			}
		}
	}
	return m
}

func blocks(rs []rule) int { return len(expand(rs)) }

func coveredBy(r rule, rs []rule) bool {
	for _, x := range rs {
		if x.v6.Overlaps(r.v6) {
			return true
		}
	}
	return false
}

func checkK(r rule, k int) {
	if got := r.ea - (32 - r.v4.Bits()); got != k {
		log.Fatalf("rule %s: PSID length column %d, EA length gives %d", r.v6, k, got)
	}
}

func providerByBR(br string) int {
	for i, p := range providers {
		if p.br == br {
			return i
		}
	}
	log.Fatalf("no provider with BR %q", br)
	return -1
}

type table struct {
	col  map[string]int
	rows [][]string
	file string
}

func readCSV(path string) table {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	t := table{col: map[string]int{}, rows: recs[1:], file: path}
	for i, h := range recs[0] {
		t.col[h] = i
	}
	return t
}

func (t table) get(row []string, col string) string {
	i, ok := t.col[col]
	if !ok {
		log.Fatalf("%s: no column %q", t.file, col)
	}
	return strings.TrimSpace(row[i])
}

func atoi(row []string, t table, col string) int {
	n, err := strconv.Atoi(t.get(row, col))
	if err != nil {
		log.Fatalf("%s: column %s: %v", t.file, col, err)
	}
	return n
}

func prefix(row []string, t table, addrCol, lenCol string) netip.Prefix {
	a, err := netip.ParseAddr(t.get(row, addrCol))
	if err != nil {
		log.Fatalf("%s: column %s: %v", t.file, addrCol, err)
	}
	p, err := a.Prefix(atoi(row, t, lenCol))
	if err != nil {
		log.Fatalf("%s: %v", t.file, err)
	}
	if p.Addr() != a {
		log.Fatalf("%s: %s/%d has bits set after the prefix", t.file, a, p.Bits())
	}
	return p
}

func be64(b []byte) uint64 {
	var v uint64
	for _, x := range b[:8] {
		v = v<<8 | uint64(x)
	}
	return v
}

func put64(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

func wrap(s string, width int) []string {
	var lines []string
	line := "-"
	for _, w := range strings.Fields(s) {
		if len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = " "
		}
		line += " " + w
	}
	return append(lines, line)
}
