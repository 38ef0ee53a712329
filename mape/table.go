package mape

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// Table is a set of rules with fast longest-prefix lookups in both
// directions. It is immutable and safe for concurrent use.
type Table struct {
	rules []Rule
	by6   []level // by rule IPv6 prefix length, longest first
	by4   []level // by rule IPv4 prefix length, longest first
}

// level indexes the rules of one prefix length by their prefix bits
// (right-aligned). Every valid rule has n <= 64, so the first 64 bits of an
// address decide the IPv6 match; one map probe per distinct length.
type level struct {
	bits int
	idx  map[uint64]int32
}

// NewTable builds a table of rules. Rules that fail Validate are kept in
// Rules but never returned by lookups. When two rules have the same prefix,
// the first one wins.
func NewTable(rules []Rule) *Table {
	t := &Table{rules: slices.Clone(rules)}
	for i, r := range t.rules {
		if r.Validate() != nil {
			continue
		}
		t.by6 = insert(t.by6, r.IPv6Prefix.Bits(), hi64(r.IPv6Prefix.Addr())>>(64-r.IPv6Prefix.Bits()), i)
		b4 := r.IPv4Prefix.Bits()
		t.by4 = insert(t.by4, b4, uint64(v4u32(r.IPv4Prefix.Addr()))>>(32-b4), i)
	}
	return t
}

func insert(ls []level, bits int, key uint64, i int) []level {
	if bits == 0 {
		key = 0
	}
	at := -1
	for j, l := range ls {
		if l.bits == bits {
			at = j
			break
		}
	}
	if at < 0 {
		ls = append(ls, level{bits: bits, idx: map[uint64]int32{}})
		slices.SortFunc(ls, func(x, y level) int { return y.bits - x.bits })
		for j, l := range ls {
			if l.bits == bits {
				at = j
			}
		}
	}
	if _, dup := ls[at].idx[key]; !dup {
		ls[at].idx[key] = int32(i)
	}
	return ls
}

// Rules returns a copy of the table's rules, in the order given to NewTable.
func (t *Table) Rules() []Rule { return slices.Clone(t.rules) }

// Len returns the number of rules.
func (t *Table) Len() int { return len(t.rules) }

// Lookup returns the rule whose IPv6 prefix is the longest one containing a
// (RFC 7597 section 5: the BMR is chosen by longest-prefix match).
func (t *Table) Lookup(a netip.Addr) (Rule, bool) {
	if !a.Is6() || a.Is4In6() {
		return Rule{}, false
	}
	hi := hi64(a)
	for _, l := range t.by6 {
		key := uint64(0)
		if l.bits > 0 {
			key = hi >> (64 - l.bits)
		}
		if i, ok := l.idx[key]; ok {
			return t.rules[i], true
		}
	}
	return Rule{}, false
}

// LookupIPv4 is the BR direction: the rule whose IPv4 prefix is the longest
// one containing v4.
func (t *Table) LookupIPv4(v4 netip.Addr) (Rule, bool) {
	if !v4.Is4() {
		return Rule{}, false
	}
	u := uint64(v4u32(v4))
	for _, l := range t.by4 {
		key := uint64(0)
		if l.bits > 0 {
			key = u >> (32 - l.bits)
		}
		if i, ok := l.idx[key]; ok {
			return t.rules[i], true
		}
	}
	return Rule{}, false
}

func v4u32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}
