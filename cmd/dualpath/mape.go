package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
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
var mapeLocalAddrs = hostnet.HostAddrs

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
		return cli.Usage(msg.T("--check-port %d: a port is 0..65535", "--check-port %d: ポート番号は 0〜65535 です", f.checkPort))
	}
	switch {
	case f.local && len(pos) > 0:
		return cli.Usage(msg.T("mape: give a prefix or --local, not both", "mape: プレフィックスか --local のどちらか一方を指定してください"))
	case !f.local && len(pos) == 0:
		return cli.Usage(msg.T("mape: give the line's IPv6 prefix or an address in it (e.g. 2400:4050:1234:5600::/56), or --local",
			"mape: 回線の IPv6 プレフィックスかその中のアドレス（例 2400:4050:1234:5600::/56）、または --local を指定してください"))
	case len(pos) > 1:
		return cli.Usage(msg.T("mape: one prefix or address, got %d: %s", "mape: プレフィックスかアドレスは1つだけです（%d 個あります: %s）", len(pos), strings.Join(pos, " ")))
	}

	var rule *mape.Rule
	if f.rule != "" {
		r, err := mape.ParseRule(f.rule)
		if err != nil {
			return cli.Usagef("--rule: %v", mapeErrorText(err))
		}
		rule = &r
	}
	var iid *mape.IIDFormat
	if f.iid != "" {
		v, err := mape.ParseIIDFormat(f.iid)
		if err != nil {
			return cli.Usagef("--iid: %v", mapeErrorText(err))
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
			return cli.Usagef("%v", mapeErrorText(err))
		}
		r, ok := pickRule(rule, p.Addr())
		if !ok {
			if rule != nil {
				return cli.Usage(msg.T("--rule: %s is not inside the rule IPv6 prefix %s", "--rule: %s はルールの IPv6 プレフィックス %s の中にありません", pos[0], rule.IPv6Prefix))
			}
			return noRule(msg.Same(pos[0]))
		}
		if err := r.CheckCovers(p); err != nil {
			return cli.Usagef("%v", mapeErrorText(err))
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
		msg.Printer{W: stdio.Stdout, Lang: msg.FromEnv(stdio.Getenv)}.Println(checkPortLine(line, uint16(f.checkPort)))
	default:
		writeMapeText(stdio.Stdout, res, line, msg.FromEnv(stdio.Getenv))
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

func noRule(what msg.Text) error {
	return cli.NotFound(msg.T("no MAP-E rule in the built-in table covers %s.\nThe line may be native IPv6 only, "+
		"DS-Lite (transix, Xpass, v6 コネクト: no IPv4 ports of your own at all), or a MAP-E provider not in the table: "+
		"pass its rule with --rule IPV6PREFIX/LEN,IPV4PREFIX/LEN,EA_LEN,PSID_OFFSET[,BR]",
		"組み込みの表には %s を含む MAP-E のルールがありません。\n"+
			"回線が IPv6 だけか、DS-Lite（transix、Xpass、v6 コネクト。自分の IPv4 ポートはまったくありません）か、"+
			"表にない MAP-E の事業者かもしれません。事業者のルールを「--rule IPV6PREFIX/LEN,IPV4PREFIX/LEN,EA_LEN,PSID_OFFSET[,BR]」で指定してください", what))
}

// mapeLocal tries the host's global IPv6 addresses (no link-local, no ULA)
// and returns the first one a rule covers.
func mapeLocal(rule *mape.Rule) (mapeResult, error) {
	addrs, err := mapeLocalAddrs()
	if err != nil {
		return mapeResult{}, cli.Failf("mape --local: %v", err)
	}
	t := mape.Builtin()
	if rule != nil {
		t = mape.NewTable([]mape.Rule{*rule})
	}
	var tried []string
	var global []netip.Addr
	for _, la := range addrs {
		if a := la.Prefix.Addr(); mape.IsGlobalIPv6(a) {
			tried = append(tried, a.String()+" ("+la.Link+")")
			global = append(global, a)
		}
	}
	if l, a, ok := t.LineOf(global); ok {
		for _, la := range addrs {
			if la.Prefix.Addr() == a {
				return mapeResult{input: la.Prefix.String(), iface: la.Link, rule: l.Rule, addr: a}, nil
			}
		}
	}
	if len(tried) == 0 {
		return mapeResult{}, cli.NotFound(msg.T("mape --local: this host has no global IPv6 address (link-local and ULA skipped): "+
			"is IPv6 (IPoE) enabled on the router, and does the host accept router advertisements?",
			"mape --local: このサーバにはグローバル IPv6 アドレスがありません（リンクローカルと ULA は除外）。"+
				"ルータで IPv6（IPoE）が有効か、このサーバがルータ広告（RA）を受け取っているか確認してください"))
	}
	if rule != nil {
		return mapeResult{}, cli.NotFound(msg.T("mape --local: none of this host's global IPv6 addresses (%s) is inside --rule's prefix %s",
			"mape --local: このサーバのグローバル IPv6 アドレス（%s）はどれも --rule のプレフィックス %s の中にありません",
			strings.Join(tried, ", "), rule.IPv6Prefix))
	}
	return mapeResult{}, noRule(msg.T("any of this host's global IPv6 addresses (%s)", "このサーバのどのグローバル IPv6 アドレス（%s）", msg.Items(tried)))
}

// mapeLabels are the row labels of mape's text output.
var mapeLabels = map[string]msg.Text{
	"line":     msg.T("Line", "回線"),
	"provider": msg.T("Provider", "事業者"),
	"rule":     msg.T("Rule", "ルール"),
	"br":       msg.Same("BR"),
	"ipv4":     msg.Same("IPv4"),
	"psid":     msg.Same("PSID"),
	"ports":    msg.T("Ports", "ポート"),
	"ce":       msg.Same("CE IPv6"),
}

// mapeCol is where the values of mape's rows start.
const mapeCol = 11

func writeMapeText(w io.Writer, res mapeResult, l mape.Line, lang msg.Lang) {
	r := l.Rule
	pad := strings.Repeat(" ", mapeCol)
	row := func(k string, v msg.Text) {
		head := pad
		if k != "" {
			label := mapeLabels[k].In(lang)
			head = label + strings.Repeat(" ", mapeCol-termtext.DisplayWidth(label))
		}
		msg.Hanging(w, head, pad, v.In(lang))
	}
	from := msg.Same(res.input)
	if res.iface != "" {
		from = msg.T("%s on %s", "%[2]s の %[1]s", res.input, res.iface)
	}
	if from.EN == l.EndUserPrefix.String() {
		row("line", from)
	} else {
		row("line", msg.T("%s (from %s)", "%s（%s から）", l.EndUserPrefix, from))
	}
	prov := msg.Same(r.Provider)
	if r.Provider == "" {
		prov = msg.T("(given with --rule)", "（--rule で指定）")
	}
	row("provider", prov)
	row("rule", msg.T("%s -> %s, EA bits %d, PSID offset %d, PSID length %d",
		"%s → %s、EA ビット長 %d、PSID のオフセット %d と長さ %d",
		r.IPv6Prefix, r.IPv4Prefix, r.EALen, r.PSIDOffset, l.PSIDLen))
	br := msg.T("unknown", "不明")
	if r.BR.IsValid() {
		br = msg.Same(r.BR.String())
	}
	row("br", br)
	switch {
	case l.IPv4Prefix.Bits() < 32:
		row("ipv4", msg.T("%s (a prefix of your own, not shared)", "%s（専用のプレフィックス、共有なし）", l.IPv4Prefix))
	case l.Shared():
		row("ipv4", msg.T("%s (shared by %d lines)", "%s（%d 回線で共有）", l.IPv4, 1<<l.PSIDLen))
	default:
		row("ipv4", msg.T("%s (not shared)", "%s（共有なし）", l.IPv4))
	}
	rs := l.PortRanges()
	if l.Shared() {
		row("psid", msg.Same(fmt.Sprintf("%d (0x%x)", l.PSID, l.PSID)))
		size := int(rs[0].Last-rs[0].First) + 1
		if len(rs) == 1 {
			row("ports", msg.T("%d, in 1 range", "%d 個（1 範囲）", l.PortCount()))
		} else {
			row("ports", msg.T("%d, in %d ranges of %d", "%d 個（%[3]d 個ずつ %[2]d 範囲）", l.PortCount(), len(rs), size))
		}
	} else {
		row("ports", msg.T("all 65536", "65536 個すべて"))
	}
	if l.Shared() {
		for _, line := range wrapRanges(rs, msg.Width-mapeCol) {
			row("", msg.Same(line))
		}
	}
	iid := msg.T("draft-03 interface identifier, as Japanese services use", "国内のサービスと同じ draft-03 のインターフェース識別子")
	if r.IID == mape.IIDRFC7597 {
		iid = msg.T("RFC 7597 interface identifier", "RFC 7597 のインターフェース識別子")
	}
	row("ce", msg.T("%s (%s)", "%s（%s）", l.CE, iid))
	p := msg.Printer{W: w, Lang: lang}
	p.Println(msg.Text{})
	p.Println(verdict(l))
	p.Println(msg.T("IPv6 has no port limit: 80/443 work over IPv6 (AAAA record) on any line, once "+
		"the router's IPv6 filter lets them in (it drops inbound connections by default).",
		"IPv6 にはポートの制限がありません。どの回線でも IPv6（AAAA レコード）なら 80/443 を公開できます。"+
			"ただし、外からの接続を既定で破棄するルータの IPv6 フィルタで通す必要があります。"))
}

// verdict says in one line whether the web ports can be served over IPv4.
func verdict(l mape.Line) msg.Text {
	v := l.Web()
	if v.Both() {
		return msg.T("80/443 can be served over IPv4 on this line.", "この回線では IPv4 で 80/443 を公開できます。")
	}
	can := msg.T("ports %d–%d can", "%d〜%d 番なら公開できます", v.Instead.First, v.Instead.Last)
	if v.Ranges > 1 {
		can = msg.T("%s (the first of the %d ranges above)", "%s（上の %d 範囲の最初）", can, v.Ranges)
	}
	switch {
	case v.HTTP:
		return msg.T("443 cannot be served over IPv4 on this line (80 can); %s.", "この回線では IPv4 で 443 を公開できません（80 は可）。%s。", can)
	case v.HTTPS:
		return msg.T("80 cannot be served over IPv4 on this line (443 can); %s.", "この回線では IPv4 で 80 を公開できません（443 は可）。%s。", can)
	}
	return msg.T("80/443 cannot be served over IPv4 on this line; %s.", "この回線では IPv4 で 80/443 を公開できません。%s。", can)
}

func checkPortLine(l mape.Line, p uint16) msg.Text {
	where := msg.T("the IPv4 port set of %s", "%s の IPv4 ポート集合に", l.IPv4)
	if l.Shared() {
		where = msg.T("PSID %[2]d's %[3]d ports of %[1]s", "%s の IPv4 ポート集合（PSID %d、%d ポート）に", l.IPv4, l.PSID, l.PortCount())
	}
	if l.HasPort(p) {
		return msg.T("yes: port %d is in %s", "はい: ポート %d は %s含まれます", p, where)
	}
	near, _ := l.NearestRange(p)
	return msg.T("no: port %d is not in %s; nearest %s", "いいえ: ポート %d は %s含まれません。いちばん近い使える範囲は %s", p, where, near)
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
