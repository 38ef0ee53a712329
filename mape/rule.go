// Package mape computes what a MAP-E line (RFC 7597, and the
// draft-ietf-softwire-map-03 variant that Japanese services run) gives its
// customer: the shared IPv4 address, the PSID and its port set, and the CE's
// IPv6 address, from the customer's IPv6 prefix; and the reverse, BR direction
// (IPv4 address + port -> PSID -> end-user prefix -> CE address).
//
// The package is pure: it does no I/O except reading the embedded rule table
// of Japanese services (Builtin). Everything is table-testable and fuzzable.
//
// Notation (RFC 7597 section 5):
//
//	n  rule IPv6 prefix length       r  rule IPv4 prefix length
//	o  EA-bits length                p  = 32 - r (IPv4 suffix length)
//	a  PSID offset                   k  = o - p (PSID length)
//	m  = 16 - a - k (contiguous ports per range)
package mape

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// IIDFormat is the layout of the CE's interface identifier, the last 64 bits
// of its MAP IPv6 address.
type IIDFormat int

const (
	// IIDDraft03 is draft-ietf-softwire-map-03's layout: 8 zero bits | IPv4
	// address (32) | PSID (16, right-aligned) | 8 zero bits. Japanese services
	// (v6プラス, OCN バーチャルコネクト, BIGLOBE, NURO) use it; OpenWrt calls it
	// "legacymap". It is the zero value on purpose.
	IIDDraft03 IIDFormat = iota
	// IIDRFC7597 is RFC 7597 section 6's layout: 16 zero bits | IPv4 address
	// (32) | PSID (16, right-aligned).
	IIDRFC7597
)

// String returns "draft03" or "rfc7597", the spelling ParseIIDFormat accepts.
func (f IIDFormat) String() string {
	switch f {
	case IIDDraft03:
		return "draft03"
	case IIDRFC7597:
		return "rfc7597"
	}
	return "IIDFormat(" + strconv.Itoa(int(f)) + ")"
}

// ParseIIDFormat parses "draft03" (also "draft-03", "legacy") or "rfc7597"
// (also "rfc"), case-insensitively.
func ParseIIDFormat(s string) (IIDFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "draft03", "draft-03", "legacy", "legacymap":
		return IIDDraft03, nil
	case "rfc7597", "rfc", "rfc-7597":
		return IIDRFC7597, nil
	}
	return 0, inputErr(InputIIDFormat, "interface-identifier format %q: want draft03 or rfc7597", s)
}

// Rule is one MAP rule (RFC 7597 section 5): a Basic Mapping Rule when it is
// the one that covers the CE's own prefix, a Forwarding Mapping Rule otherwise.
type Rule struct {
	// Provider names the service in words a user recognises, e.g.
	// "OCN Virtual Connect (OCNバーチャルコネクト)". Empty for --rule rules.
	Provider string
	// IPv6Prefix is the rule IPv6 prefix (n bits), masked.
	IPv6Prefix netip.Prefix
	// IPv4Prefix is the rule IPv4 prefix (r bits), masked.
	IPv4Prefix netip.Prefix
	// EALen is the EA-bits length o: how many bits after the rule IPv6
	// prefix carry the IPv4 suffix and the PSID.
	EALen int
	// PSIDOffset is a: the high bits of a port that select the range; with
	// a > 0 ports below 2^(16-a) belong to no set.
	PSIDOffset int
	// BR is the border relay's IPv6 address; the zero Addr if unknown.
	BR netip.Addr
	// IID is the CE interface-identifier layout. The zero value is draft-03.
	IID IIDFormat
}

// PSIDLen returns k = o - (32 - r), the PSID length. Zero means the CE gets a
// whole IPv4 address; a negative value means o < p and the CE gets an IPv4
// prefix of length r + o (RFC 7597 section 5.2). Neither shares ports.
func (r Rule) PSIDLen() int { return r.EALen - (32 - r.IPv4Prefix.Bits()) }

// EndUserPrefixLen returns n + o, the length of the end-user IPv6 prefix the
// rule maps (/56 for every Japanese service).
func (r Rule) EndUserPrefixLen() int { return r.IPv6Prefix.Bits() + r.EALen }

// Validate reports the first thing wrong with r, naming the field.
func (r Rule) Validate() error {
	p6, p4 := r.IPv6Prefix, r.IPv4Prefix
	switch {
	case !p6.IsValid():
		return inputErr(InputRuleIPv6Missing, "rule IPv6 prefix: missing")
	case !p6.Addr().Is6() || p6.Addr().Is4In6():
		return inputErr(InputRuleIPv6Bad, "rule IPv6 prefix %s: not an IPv6 prefix", p6)
	case p6 != p6.Masked():
		return inputErr(InputRuleIPv6Bits, "rule IPv6 prefix %s: bits set after /%d (did you mean %s?)", p6, p6.Bits(), p6.Masked())
	case !p4.IsValid():
		return inputErr(InputRuleIPv4Missing, "rule IPv4 prefix: missing")
	case !p4.Addr().Is4():
		return inputErr(InputRuleIPv4Bad, "rule IPv4 prefix %s: not an IPv4 prefix", p4)
	case p4 != p4.Masked():
		return inputErr(InputRuleIPv4Bits, "rule IPv4 prefix %s: bits set after /%d (did you mean %s?)", p4, p4.Bits(), p4.Masked())
	case r.EALen < 0 || r.EALen > 48:
		// RFC 7598 section 4.1: EA-len is 0..48.
		return inputErr(InputEALenRange, "EA length %d: must be 0..48", r.EALen)
	case r.EndUserPrefixLen() > 64:
		return inputErr(InputEALenLong, "EA length %d: rule IPv6 prefix /%d + EA length = /%d, longer than /64", r.EALen, p6.Bits(), r.EndUserPrefixLen())
	case r.PSIDOffset < 0 || r.PSIDOffset > 15:
		return inputErr(InputPSIDOffsetRange, "PSID offset %d: must be 0..15", r.PSIDOffset)
	case r.PSIDLen() > 16:
		return inputErr(InputPSIDTooLong, "EA length %d: with IPv4 prefix /%d it leaves a %d-bit PSID, at most 16", r.EALen, p4.Bits(), r.PSIDLen())
	case r.PSIDLen() > 0 && r.PSIDOffset+r.PSIDLen() > 16:
		return inputErr(InputPSIDOverflow, "PSID offset %d: PSID offset + PSID length %d exceed 16 bits", r.PSIDOffset, r.PSIDLen())
	case r.BR.IsValid() && (!r.BR.Is6() || r.BR.Is4In6()):
		return inputErr(InputBRNotIPv6, "BR %s: not an IPv6 address", r.BR)
	case r.IID != IIDDraft03 && r.IID != IIDRFC7597:
		return inputErr(InputIIDUnknown, "interface-identifier format %d: unknown", int(r.IID))
	}
	return nil
}

// String formats r the way ParseRule reads it (without the provider and IID).
func (r Rule) String() string {
	s := fmt.Sprintf("%s,%s,%d,%d", r.IPv6Prefix, r.IPv4Prefix, r.EALen, r.PSIDOffset)
	if r.BR.IsValid() {
		s += "," + r.BR.String()
	}
	return s
}

// ParseRule parses "IPV6PREFIX/LEN,IPV4PREFIX/LEN,EA_LEN,PSID_OFFSET[,BR]",
// e.g. "240b:10::/32,106.72.0.0/16,24,4,2404:9200:225:100::64". The rule gets
// the draft-03 IID format; set IID afterwards for RFC 7597 lines. Errors name
// the field that is wrong.
func ParseRule(s string) (Rule, error) {
	const form = "IPV6PREFIX/LEN,IPV4PREFIX/LEN,EA_LEN,PSID_OFFSET[,BR]"
	f := strings.Split(strings.TrimSpace(s), ",")
	if len(f) < 4 || len(f) > 5 {
		return Rule{}, inputErr(InputRuleFields, "rule %q: want %s (%d fields, got %d)", s, form, 4, len(f))
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	var r Rule
	var err error
	if r.IPv6Prefix, err = netip.ParsePrefix(f[0]); err != nil || !r.IPv6Prefix.Addr().Is6() {
		return Rule{}, inputErr(InputRuleIPv6Syntax, "rule IPv6 prefix %q: not an IPv6 prefix like 240b:10::/32", f[0])
	}
	if r.IPv4Prefix, err = netip.ParsePrefix(f[1]); err != nil || !r.IPv4Prefix.Addr().Is4() {
		return Rule{}, inputErr(InputRuleIPv4Syntax, "rule IPv4 prefix %q: not an IPv4 prefix like 106.72.0.0/16", f[1])
	}
	if r.EALen, err = strconv.Atoi(f[2]); err != nil {
		return Rule{}, inputErr(InputEALenSyntax, "EA length %q: not a number", f[2])
	}
	if r.PSIDOffset, err = strconv.Atoi(f[3]); err != nil {
		return Rule{}, inputErr(InputPSIDOffsetSyntax, "PSID offset %q: not a number", f[3])
	}
	if len(f) == 5 && f[4] != "" {
		if r.BR, err = netip.ParseAddr(f[4]); err != nil {
			return Rule{}, inputErr(InputBRSyntax, "BR %q: not an IPv6 address", f[4])
		}
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}
