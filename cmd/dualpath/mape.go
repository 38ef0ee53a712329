package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/mape"
)

const mapeUsage = "mape [--json] [--rule R] [--iid draft03|rfc7597] [--check-port N] PREFIX|ADDRESS|--local"

func init() {
	cli.Register(&cli.Command{
		Name:  "mape",
		Usage: mapeUsage,
		Summary: msg.T("what a MAP-E line gives you: shared IPv4 address, ports, CE address",
			"MAP-E の回線で使えるもの（共有 IPv4 アドレス、ポート、CE アドレス）"),
		Run: runMape,
	})
}

// mapeFlags are the command's options.
type mapeFlags struct {
	json      bool
	rule      string
	iid       string
	checkPort int
	local     bool
}

// mapeLocalAddrs lists the host's interface addresses; tests replace it.
var mapeLocalAddrs = func() ([]localAddr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []localAddr
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				ones, _ := ipn.Mask.Size()
				out = append(out, localAddr{ifc.Name, netip.PrefixFrom(ip, ones)})
			}
		}
	}
	return out, nil
}

// localAddr is one address of the host, with its interface.
type localAddr struct {
	iface  string
	prefix netip.Prefix
}

func runMape(_ context.Context, stdio cli.IO, args []string) error {
	var f mapeFlags
	fs := cli.NewFlagSet("mape")
	fs.BoolVar(&f.json, "json", false, cli.T("print one JSON object",
		"JSON のオブジェクト1つで表示"))
	fs.StringVar(&f.rule, "rule", "", cli.T("use this rule instead of the built-in table: IPV6PREFIX/LEN,IPV4PREFIX/LEN,EA_LEN,PSID_OFFSET[,BR]",
		"組み込みの表の代わりにこのルールを使う（IPV6PREFIX/LEN,IPV4PREFIX/LEN,EA_LEN,PSID_OFFSET[,BR]）"))
	fs.StringVar(&f.iid, "iid", "", cli.T("CE interface-identifier format: draft03 (Japanese services, default) or rfc7597",
		"CE のインターフェース識別子の形式: draft03（国内のサービス、既定）か rfc7597"))
	fs.IntVar(&f.checkPort, "check-port", -1, cli.T("exit 0 if port N is in the line's IPv4 port set, 1 if not",
		"ポート N が回線の IPv4 ポート集合に含まれれば終了コード 0、含まれなければ 1"))
	fs.BoolVar(&f.local, "local", false, cli.T("use this host's global IPv6 addresses",
		"このサーバのグローバル IPv6 アドレスを使う"))

	// Flags may follow the prefix: `dualpath mape 240b:10::/56 --json`.
	var pos []string
	for {
		if err := cli.Parse(stdio, fs, args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if f.checkPort < -1 || f.checkPort > 65535 {
		return cli.Usagef("--check-port %d: a port is 0..65535", f.checkPort)
	}
	switch {
	case f.local && len(pos) > 0:
		return cli.Usagef("mape: give a prefix or --local, not both")
	case !f.local && len(pos) == 0:
		return cli.Usagef("mape: give the line's IPv6 prefix or an address in it (e.g. 2400:4050:1234:5600::/56), or --local")
	case len(pos) > 1:
		return cli.Usagef("mape: one prefix or address, got %d: %s", len(pos), strings.Join(pos, " "))
	}

	var rule *mape.Rule
	if f.rule != "" {
		r, err := mape.ParseRule(f.rule)
		if err != nil {
			return cli.Usagef("--rule: %v", err)
		}
		rule = &r
	}
	var iid *mape.IIDFormat
	if f.iid != "" {
		v, err := mape.ParseIIDFormat(f.iid)
		if err != nil {
			return cli.Usagef("--iid: %v", err)
		}
		iid = &v
	}

	var res mapeResult
	if f.local {
		r, err := mapeLocal(rule)
		if err != nil {
			return err
		}
		res = r
	} else {
		p, err := mape.ParseEndUser(pos[0])
		if err != nil {
			return cli.Usagef("%v", err)
		}
		r, ok := pickRule(rule, p.Addr())
		if !ok {
			if rule != nil {
				return cli.Usagef("--rule: %s is not inside the rule IPv6 prefix %s", pos[0], rule.IPv6Prefix)
			}
			return noRule(pos[0])
		}
		if err := r.CheckCovers(p); err != nil {
			return cli.Usagef("%v", err)
		}
		res = mapeResult{input: pos[0], rule: r, addr: p.Addr()}
	}
	if iid != nil {
		res.rule.IID = *iid
	}
	line, err := res.rule.Line(res.addr)
	if err != nil {
		return cli.Usagef("%v", err)
	}

	inSet := f.checkPort >= 0 && line.HasPort(uint16(f.checkPort))
	switch {
	case f.json:
		if err := writeMapeJSON(stdio.Stdout, res, line, f.checkPort); err != nil {
			return cli.Failf("mape: %v", err)
		}
	case f.checkPort >= 0:
		fmt.Fprintln(stdio.Stdout, checkPortLine(line, uint16(f.checkPort)))
	default:
		writeMapeText(stdio.Stdout, res, line)
	}
	if f.checkPort >= 0 && !inSet {
		return cli.Silent(cli.ExitFailure)
	}
	return nil
}

// mapeResult is the line's input and the rule chosen for it.
type mapeResult struct {
	input string // what the user gave, or the local address used
	iface string // --local: the interface
	rule  mape.Rule
	addr  netip.Addr
}

// pickRule returns the --rule when it covers a, else the built-in match.
func pickRule(rule *mape.Rule, a netip.Addr) (mape.Rule, bool) {
	if rule != nil {
		return *rule, rule.IPv6Prefix.Contains(a)
	}
	return mape.Builtin().Lookup(a)
}

func noRule(what string) error {
	return cli.NotFoundf("no MAP-E rule in the built-in table covers %s.\nThe line may be native IPv6 only, "+
		"DS-Lite (transix, Xpass, v6 コネクト: no IPv4 ports of your own at all), or a MAP-E provider not in the table: "+
		"pass its rule with --rule IPV6PREFIX/LEN,IPV4PREFIX/LEN,EA_LEN,PSID_OFFSET[,BR]", what)
}

// mapeLocal tries the host's global IPv6 addresses (no link-local, no ULA)
// and returns the first one a rule covers.
func mapeLocal(rule *mape.Rule) (mapeResult, error) {
	addrs, err := mapeLocalAddrs()
	if err != nil {
		return mapeResult{}, cli.Failf("mape --local: listing interfaces: %v", err)
	}
	var tried []string
	for _, la := range addrs {
		a := la.prefix.Addr()
		if !a.Is6() || a.Is4In6() || !a.IsGlobalUnicast() || a.IsPrivate() {
			continue
		}
		tried = append(tried, a.String()+" ("+la.iface+")")
		r, ok := pickRule(rule, a)
		if !ok {
			continue
		}
		return mapeResult{input: la.prefix.String(), iface: la.iface, rule: r, addr: a}, nil
	}
	if len(tried) == 0 {
		return mapeResult{}, cli.NotFoundf("mape --local: this host has no global IPv6 address (link-local and ULA skipped): " +
			"is IPv6 (IPoE) enabled on the router, and does the host accept router advertisements?")
	}
	if rule != nil {
		return mapeResult{}, cli.NotFoundf("mape --local: none of this host's global IPv6 addresses (%s) is inside --rule's prefix %s",
			strings.Join(tried, ", "), rule.IPv6Prefix)
	}
	return mapeResult{}, noRule("any of this host's global IPv6 addresses (" + strings.Join(tried, ", ") + ")")
}

func writeMapeText(w io.Writer, res mapeResult, l mape.Line) {
	r := l.Rule
	row := func(k, v string) { fmt.Fprintf(w, "%-11s%s\n", k, v) }
	from := res.input
	if res.iface != "" {
		from += " on " + res.iface
	}
	if from == l.EndUserPrefix.String() {
		row("Line", from)
	} else {
		row("Line", fmt.Sprintf("%s (from %s)", l.EndUserPrefix, from))
	}
	prov := r.Provider
	if prov == "" {
		prov = "(given with --rule)"
	}
	row("Provider", prov)
	row("Rule", fmt.Sprintf("%s -> %s, EA bits %d, PSID offset %d, PSID length %d",
		r.IPv6Prefix, r.IPv4Prefix, r.EALen, r.PSIDOffset, l.PSIDLen))
	br := "unknown"
	if r.BR.IsValid() {
		br = r.BR.String()
	}
	row("BR", br)
	switch {
	case l.IPv4Prefix.Bits() < 32:
		row("IPv4", fmt.Sprintf("%s (a prefix of your own, not shared)", l.IPv4Prefix))
	case l.Shared():
		row("IPv4", fmt.Sprintf("%s (shared by %d lines)", l.IPv4, 1<<l.PSIDLen))
	default:
		row("IPv4", fmt.Sprintf("%s (not shared)", l.IPv4))
	}
	rs := l.PortRanges()
	if l.Shared() {
		row("PSID", fmt.Sprintf("%d (0x%x)", l.PSID, l.PSID))
		row("Ports", fmt.Sprintf("%d, in %d ranges of %d", l.PortCount(), len(rs), int(rs[0].Last-rs[0].First)+1))
	} else {
		row("Ports", "all 65536")
	}
	if l.Shared() {
		for _, line := range wrapRanges(rs, 80-11) {
			row("", line)
		}
	}
	iid := "draft-03 interface identifier, as Japanese services use"
	if r.IID == mape.IIDRFC7597 {
		iid = "RFC 7597 interface identifier"
	}
	row("CE IPv6", fmt.Sprintf("%s (%s)", l.CE, iid))
	fmt.Fprintln(w)
	fmt.Fprintln(w, verdict(l))
	fmt.Fprintln(w, "IPv6 has no port limit: 80/443 work over IPv6 (AAAA record) on any line, once")
	fmt.Fprintln(w, "the router's IPv6 filter lets them in (it drops inbound connections by default).")
}

// verdict says in one line whether the web ports can be served over IPv4.
func verdict(l mape.Line) string {
	h80, h443 := l.HasPort(80), l.HasPort(443)
	if !l.Shared() || (h80 && h443) {
		return "80/443 can be served over IPv4 on this line."
	}
	rs := l.PortRanges()
	can := fmt.Sprintf("ports %d–%d can", rs[0].First, rs[0].Last)
	if len(rs) > 1 {
		can += fmt.Sprintf(" (the first of the %d ranges above)", len(rs))
	}
	switch {
	case h80:
		return "443 cannot be served over IPv4 on this line (80 can); " + can + "."
	case h443:
		return "80 cannot be served over IPv4 on this line (443 can); " + can + "."
	}
	return "80/443 cannot be served over IPv4 on this line; " + can + "."
}

func checkPortLine(l mape.Line, p uint16) string {
	where := fmt.Sprintf("the IPv4 port set of %s", l.IPv4)
	if l.Shared() {
		where += fmt.Sprintf(" (PSID %d, %d ports)", l.PSID, l.PortCount())
	}
	if l.HasPort(p) {
		return fmt.Sprintf("yes: port %d is in %s", p, where)
	}
	rs := l.PortRanges()
	return fmt.Sprintf("no: port %d is not in %s; nearest usable range %s", p, where, nearest(rs, p))
}

// nearest returns the range closest to p.
func nearest(rs []mape.PortRange, p uint16) mape.PortRange {
	best, bd := rs[0], 1<<20
	for _, r := range rs {
		d := int(r.First) - int(p)
		if int(p) > int(r.Last) {
			d = int(p) - int(r.Last)
		}
		if d < 0 {
			d = -d
		}
		if d < bd {
			best, bd = r, d
		}
	}
	return best
}

// wrapRanges lays ranges out as "4112-4127 8208-8223 ..." lines of width w.
func wrapRanges(rs []mape.PortRange, w int) []string {
	var lines []string
	cur := ""
	for _, r := range rs {
		s := r.String()
		if cur != "" && len(cur)+1+len(s) > w {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += s
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// mapeJSON is the --json object.
type mapeJSON struct {
	Input         string       `json:"input"`
	Interface     string       `json:"interface,omitempty"`
	Provider      string       `json:"provider"`
	Rule          mapeRuleJSON `json:"rule"`
	EndUserPrefix string       `json:"end_user_prefix"`
	IPv4          string       `json:"ipv4"`
	IPv4Assigned  string       `json:"ipv4_assigned"`
	Shared        bool         `json:"shared"`
	PSID          uint16       `json:"psid"`
	CEIPv6        string       `json:"ce_ipv6"`
	PortRanges    [][2]uint16  `json:"port_ranges"`
	PortCount     int          `json:"port_count"`
	Web80         bool         `json:"port_80_in_set"`
	Web443        bool         `json:"port_443_in_set"`
	CheckPort     *checkJSON   `json:"check_port,omitempty"`
}

type mapeRuleJSON struct {
	IPv6Prefix string  `json:"ipv6_prefix"`
	IPv4Prefix string  `json:"ipv4_prefix"`
	EALength   int     `json:"ea_length"`
	PSIDOffset int     `json:"psid_offset"`
	PSIDLength int     `json:"psid_length"`
	BR         *string `json:"br"`
	IIDFormat  string  `json:"iid_format"`
}

type checkJSON struct {
	Port  uint16 `json:"port"`
	InSet bool   `json:"in_set"`
}

func writeMapeJSON(w io.Writer, res mapeResult, l mape.Line, checkPort int) error {
	r := l.Rule
	out := mapeJSON{
		Input:     res.input,
		Interface: res.iface,
		Provider:  r.Provider,
		Rule: mapeRuleJSON{
			IPv6Prefix: r.IPv6Prefix.String(),
			IPv4Prefix: r.IPv4Prefix.String(),
			EALength:   r.EALen,
			PSIDOffset: r.PSIDOffset,
			PSIDLength: l.PSIDLen,
			IIDFormat:  r.IID.String(),
		},
		EndUserPrefix: l.EndUserPrefix.String(),
		IPv4:          l.IPv4.String(),
		IPv4Assigned:  l.IPv4Prefix.String(),
		Shared:        l.Shared(),
		PSID:          l.PSID,
		CEIPv6:        l.CE.String(),
		PortCount:     l.PortCount(),
		Web80:         l.HasPort(80),
		Web443:        l.HasPort(443),
	}
	if r.BR.IsValid() {
		s := r.BR.String()
		out.Rule.BR = &s
	}
	for _, pr := range l.PortRanges() {
		out.PortRanges = append(out.PortRanges, [2]uint16{pr.First, pr.Last})
	}
	if checkPort >= 0 {
		out.CheckPort = &checkJSON{Port: uint16(checkPort), InSet: l.HasPort(uint16(checkPort))}
	}
	return json.NewEncoder(w).Encode(out)
}
