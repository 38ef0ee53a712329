package doctor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// This file answers: would a new TCP connection to an exposed port, arriving
// on the PPPoE interface over IPv4, pass the host's own firewall? Every base
// chain on the input hook must accept a packet (nft(8), "BASE CHAIN"): our
// `inet dualpath` table accepting it is not enough when ufw's or another
// table's chain drops it. Two sources of rules, read into one model:
//
//   - `nft -j list ruleset` (libnftables-json(5)): nftables, and iptables
//     and ufw on the iptables-nft backend;
//   - `iptables-legacy-save -t filter` (iptables-save(8) format): iptables
//     and ufw on the legacy backend (Ubuntu 18.04).
//
// The evaluator knows the matches that decide such a packet (input
// interface, protocol, destination port, conntrack state, family) and
// treats any other match as "may match", saying so.

// Packet is what is evaluated: a new TCP connection over IPv4.
type fwPacket struct {
	iface string
	port  uint16
}

// tri is a three-valued match result.
type tri int

const (
	triNo tri = iota
	triYes
	triMaybe
)

func and(a, b tri) tri {
	switch {
	case a == triNo || b == triNo:
		return triNo
	case a == triMaybe || b == triMaybe:
		return triMaybe
	}
	return triYes
}

// fwRule is one rule: conditions (each evaluated to a tri) and a verdict.
type fwRule struct {
	conds   []func(fwPacket) tri
	verdict string // accept, drop, reject, jump, goto, return, "" (none)
	target  string // jump/goto target
	text    string // for messages
}

// fwChain is one chain; base chains have a hook.
type fwChain struct {
	family, table, name string
	hook                string // "input" for what matters here
	policy              string // accept or drop (base chains)
	rules               []fwRule
}

// Ruleset is the host's firewall as read from one source.
type Ruleset struct {
	Source string // "nftables" or "iptables-legacy"
	chains map[string]*fwChain
	order  []string
}

func (r *Ruleset) key(family, table, chain string) string { return family + " " + table + " " + chain }

func (r *Ruleset) add(c *fwChain) {
	if r.chains == nil {
		r.chains = map[string]*fwChain{}
	}
	k := r.key(c.family, c.table, c.name)
	if _, ok := r.chains[k]; !ok {
		r.order = append(r.order, k)
	}
	r.chains[k] = c
}

// has reports whether the ruleset holds a chain of family's table.
func (r *Ruleset) has(family, table string) bool {
	for _, k := range r.order {
		if c := r.chains[k]; c.family == family && c.table == table {
			return true
		}
	}
	return false
}

// drop forgets the chains of one table (read from another source).
func (r *Ruleset) drop(family, table string) {
	var keep []string
	for _, k := range r.order {
		if c := r.chains[k]; c.family == family && c.table == table {
			delete(r.chains, k)
			continue
		}
		keep = append(keep, k)
	}
	r.order = keep
}

// UFW reports whether ufw's chains are loaded (ufw is enabled).
func (r *Ruleset) UFW() bool {
	for _, k := range r.order {
		if strings.HasPrefix(r.chains[k].name, "ufw-") {
			return true
		}
	}
	return false
}

// ErrRuleset reports output that is not a ruleset.
var ErrRuleset = errors.New("not a firewall ruleset")

// ParseNftJSON reads `nft -j list ruleset`.
func ParseNftJSON(b []byte) (*Ruleset, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuleset, err)
	}
	rs := &Ruleset{Source: "nftables"}
	for _, obj := range doc.Nftables {
		if raw, ok := obj["chain"]; ok {
			var c struct {
				Family, Table, Name, Hook, Policy string
			}
			if json.Unmarshal(raw, &c) != nil {
				continue
			}
			if c.Hook != "" && c.Policy == "" {
				c.Policy = "accept"
			}
			rs.add(&fwChain{family: c.Family, table: c.Table, name: c.Name, hook: c.Hook, policy: c.Policy})
		}
		if raw, ok := obj["rule"]; ok {
			var r struct {
				Family, Table, Chain string
				Expr                 []map[string]json.RawMessage
			}
			if json.Unmarshal(raw, &r) != nil {
				continue
			}
			c := rs.chains[rs.key(r.Family, r.Table, r.Chain)]
			if c == nil {
				continue
			}
			c.rules = append(c.rules, nftRule(r.Expr))
		}
	}
	return rs, nil
}

// nftRule turns one rule's expressions into conditions and a verdict.
func nftRule(exprs []map[string]json.RawMessage) fwRule {
	var r fwRule
	var text []string
	for _, e := range exprs {
		for kind, raw := range e {
			switch kind {
			case "match":
				var m struct {
					Op    string
					Left  map[string]json.RawMessage
					Right json.RawMessage
				}
				if json.Unmarshal(raw, &m) != nil {
					r.conds = append(r.conds, func(fwPacket) tri { return triMaybe })
					text = append(text, "?")
					continue
				}
				cond, t := nftMatch(m.Op, m.Left, m.Right)
				r.conds = append(r.conds, cond)
				text = append(text, t)
			case "accept", "drop", "return":
				r.verdict = kind
				text = append(text, kind)
			case "reject":
				r.verdict = "drop"
				text = append(text, "reject")
			case "jump", "goto":
				var t struct{ Target string }
				_ = json.Unmarshal(raw, &t)
				r.verdict, r.target = kind, t.Target
				text = append(text, kind+" "+t.Target)
			case "counter", "log", "comment":
			default:
				// limit, quota, xt (iptables extensions)...: may match.
				r.conds = append(r.conds, func(fwPacket) tri { return triMaybe })
				text = append(text, kind)
			}
		}
	}
	r.text = strings.Join(text, " ")
	return r
}

// nftMatch is one match expression.
func nftMatch(op string, left map[string]json.RawMessage, right json.RawMessage) (func(fwPacket) tri, string) {
	var meta, ct struct{ Key string }
	var payload struct{ Protocol, Field string }
	var values []string
	var ranges [][2]int
	// right: a value, a list (flags), {"set": [...]}, {"range": [a, b]}.
	var one any
	_ = json.Unmarshal(right, &one)
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case string:
			values = append(values, x)
		case float64:
			values = append(values, strconv.Itoa(int(x)))
		case []any:
			for _, y := range x {
				collect(y)
			}
		case map[string]any:
			if s, ok := x["set"]; ok {
				collect(s)
			}
			if rg, ok := x["range"].([]any); ok && len(rg) == 2 {
				a, _ := rg[0].(float64)
				b, _ := rg[1].(float64)
				ranges = append(ranges, [2]int{int(a), int(b)})
			}
		}
	}
	collect(one)
	neg := op == "!="
	what := ""
	var f func(fwPacket) tri
	switch {
	case json.Unmarshal(left["meta"], &meta) == nil && meta.Key != "":
		what = "meta " + meta.Key
		switch meta.Key {
		case "iifname", "iif":
			f = func(p fwPacket) tri { return tribool(matchName(values, p.iface)) }
		case "l4proto":
			f = func(fwPacket) tri { return tribool(has(values, "tcp", "6")) }
		case "nfproto":
			f = func(fwPacket) tri { return tribool(has(values, "ipv4", "2")) }
		case "protocol":
			f = func(fwPacket) tri { return tribool(has(values, "ip", "0x0800", "2048")) }
		}
	case json.Unmarshal(left["ct"], &ct) == nil && ct.Key != "":
		what = "ct " + ct.Key
		if ct.Key == "state" {
			f = func(fwPacket) tri { return tribool(has(values, "new")) }
		}
	case left["fib"] != nil:
		// fib daddr type local (iptables-nft's addrtype): a visitor's
		// packet is addressed to a local address.
		what = "fib daddr type"
		f = func(fwPacket) tri { return tribool(has(values, "local", "unicast")) }
	case json.Unmarshal(left["payload"], &payload) == nil && payload.Protocol != "":
		what = payload.Protocol + " " + payload.Field
		switch {
		case (payload.Protocol == "tcp" || payload.Protocol == "th") && payload.Field == "dport":
			f = func(p fwPacket) tri { return tribool(inPorts(values, ranges, p.port)) }
		case payload.Protocol == "udp" || payload.Protocol == "icmp" || payload.Protocol == "sctp":
			f = func(fwPacket) tri { return triNo }
			neg = false
		case payload.Protocol == "ip" && payload.Field == "protocol":
			f = func(fwPacket) tri { return tribool(has(values, "tcp", "6")) }
		case payload.Protocol == "ip6" || payload.Protocol == "icmpv6":
			f = func(fwPacket) tri { return triNo }
			neg = false
		}
	}
	text := fmt.Sprintf("%s %s %s", what, op, strings.Join(values, ","))
	if f == nil {
		return func(fwPacket) tri { return triMaybe }, strings.TrimSpace(text)
	}
	if neg {
		f = negate(f)
	}
	return f, text
}

func tribool(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

// negate is the condition "not f": yes and no swap, maybe stays.
func negate(f func(fwPacket) tri) func(fwPacket) tri {
	return func(p fwPacket) tri {
		switch f(p) {
		case triYes:
			return triNo
		case triNo:
			return triYes
		}
		return triMaybe
	}
}

func has(values []string, want ...string) bool {
	for _, v := range values {
		for _, w := range want {
			if strings.EqualFold(v, w) {
				return true
			}
		}
	}
	return false
}

// matchName matches an interface name against values, with nft's and
// iptables' trailing wildcard ("dp-*", "dp-+").
func matchName(values []string, name string) bool {
	for _, v := range values {
		if v == name {
			return true
		}
		if n := len(v); n > 0 && (v[n-1] == '*' || v[n-1] == '+') && strings.HasPrefix(name, v[:n-1]) {
			return true
		}
	}
	return false
}

func inPorts(values []string, ranges [][2]int, port uint16) bool {
	for _, v := range values {
		if n, err := strconv.Atoi(v); err == nil && n == int(port) {
			return true
		}
		if v == portName(port) {
			return true
		}
	}
	for _, r := range ranges {
		if int(port) >= r[0] && int(port) <= r[1] {
			return true
		}
	}
	return false
}

// portName is the services(5) name nft prints for the ports people expose.
func portName(p uint16) string {
	switch p {
	case 80:
		return "http"
	case 443:
		return "https"
	case 22:
		return "ssh"
	case 53:
		return "domain"
	}
	return ""
}

// ParseIptablesSave reads `iptables-legacy-save -t filter` (or
// iptables-save) output: the filter table's chains, policies and rules.
func ParseIptablesSave(b []byte) (*Ruleset, error) {
	rs := &Ruleset{Source: "iptables-legacy"}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	sawTable := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || line == "COMMIT":
		case strings.HasPrefix(line, "*"):
			table, sawTable = line[1:], true
		case strings.HasPrefix(line, ":") && table == "filter":
			f := strings.Fields(line[1:])
			if len(f) < 2 {
				return nil, fmt.Errorf("%w: %q", ErrRuleset, line)
			}
			c := &fwChain{family: "ip", table: "filter", name: f[0]}
			if f[0] == "INPUT" {
				c.hook = "input"
				c.policy = strings.ToLower(f[1])
			}
			rs.add(c)
		case strings.HasPrefix(line, "-A ") && table == "filter":
			f := strings.Fields(line)
			if len(f) < 2 {
				return nil, fmt.Errorf("%w: %q", ErrRuleset, line)
			}
			c := rs.chains[rs.key("ip", "filter", f[1])]
			if c == nil {
				return nil, fmt.Errorf("%w: rule for undeclared chain %q", ErrRuleset, f[1])
			}
			c.rules = append(c.rules, iptRule(f[2:], strings.Join(f[2:], " ")))
		case table != "filter":
		default:
			return nil, fmt.Errorf("%w: %q", ErrRuleset, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !sawTable && len(b) > 0 {
		return nil, ErrRuleset
	}
	return rs, nil
}

// iptRule reads one rule's arguments (after "-A CHAIN").
func iptRule(args []string, text string) fwRule {
	r := fwRule{text: text}
	for i := 0; i < len(args); i++ {
		neg := false
		if args[i] == "!" && i+1 < len(args) {
			neg = true
			i++
		}
		opt := args[i]
		val := ""
		if i+1 < len(args) {
			val = args[i+1]
		}
		var f func(fwPacket) tri
		switch opt {
		case "-i", "--in-interface":
			i++
			v := val
			f = func(p fwPacket) tri { return tribool(matchName([]string{v}, p.iface)) }
		case "-p", "--protocol":
			i++
			v := strings.ToLower(val)
			f = func(fwPacket) tri { return tribool(v == "tcp" || v == "6" || v == "all") }
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			i++
			var vals []string
			var rg [][2]int
			for _, part := range strings.Split(val, ",") {
				if a, b, ok := strings.Cut(part, ":"); ok {
					x, _ := strconv.Atoi(a)
					y, err := strconv.Atoi(b)
					if err != nil || b == "" {
						y = 65535
					}
					rg = append(rg, [2]int{x, y})
				} else {
					vals = append(vals, part)
				}
			}
			f = func(p fwPacket) tri { return tribool(inPorts(vals, rg, p.port)) }
		case "--ctstate", "--state":
			i++
			states := strings.Split(strings.ToLower(val), ",")
			f = func(fwPacket) tri { return tribool(has(states, "new")) }
		case "--dst-type":
			// addrtype: a visitor's packet is addressed to a local address.
			i++
			v := strings.ToUpper(val)
			f = func(fwPacket) tri { return tribool(v == "LOCAL" || v == "UNICAST") }
		case "--comment":
			// A quoted comment may hold spaces: skip to its closing quote.
			i++
			if strings.HasPrefix(val, "\"") && (len(val) == 1 || !strings.HasSuffix(val, "\"")) {
				for i+1 < len(args) && !strings.HasSuffix(args[i], "\"") {
					i++
				}
			}
			continue
		case "-m", "--match":
			i++ // the module's own options follow and are read above
			continue
		case "-j", "--jump", "-g", "--goto":
			i++
			switch strings.ToUpper(val) {
			case "ACCEPT":
				r.verdict = "accept"
			case "DROP", "REJECT":
				r.verdict = "drop"
			case "RETURN":
				r.verdict = "return"
			case "LOG", "ULOG", "NFLOG", "MARK", "CONNMARK":
			default:
				r.verdict, r.target = "jump", val
				if opt == "-g" || opt == "--goto" {
					r.verdict = "goto"
				}
			}
			continue
		case "-o", "--out-interface":
			i++
			continue // input: no output interface; iptables rejects it there
		default:
			// -s, -d, --sport, --limit, --icmp-type, --uid-owner...: may match.
			if strings.HasPrefix(opt, "-") && i+1 < len(args) && !strings.HasPrefix(val, "-") {
				i++
			}
			f = func(fwPacket) tri { return triMaybe }
		}
		if neg {
			f = negate(f)
		}
		r.conds = append(r.conds, f)
	}
	return r
}

// chainResult is what one chain decides for a packet, on the path where
// every "may match" rule does not match; unsure lists those rules that
// have a verdict (any of them could change the outcome).
type chainResult struct {
	verdict string // accept, drop, or "" (fell through a non-base chain)
	by      string // the deciding rule
	unsure  []string
}

// eval runs p through chain c, following jumps (depth-limited).
func (r *Ruleset) eval(c *fwChain, p fwPacket, depth int) chainResult {
	var res chainResult
	if depth > 16 {
		res.unsure = append(res.unsure, "jump depth")
		return res
	}
	for _, rule := range c.rules {
		m := triYes
		for _, cond := range rule.conds {
			m = and(m, cond(p))
		}
		if m == triNo || rule.verdict == "" {
			continue
		}
		if m == triMaybe {
			res.unsure = append(res.unsure, c.name+": "+rule.text)
			continue
		}
		switch rule.verdict {
		case "accept", "drop":
			res.verdict, res.by = rule.verdict, c.name+": "+rule.text
			return res
		case "return":
			return res
		case "jump", "goto":
			t := r.chains[r.key(c.family, c.table, rule.target)]
			if t == nil {
				continue
			}
			sub := r.eval(t, p, depth+1)
			res.unsure = append(res.unsure, sub.unsure...)
			if sub.verdict != "" {
				sub.unsure = res.unsure
				return sub
			}
			if rule.verdict == "goto" {
				return res
			}
		}
	}
	return res
}

// Blocker is one base chain that would drop the packet.
type Blocker struct {
	Source, Family, Table, Chain string
	By                           string // the rule, or "policy drop"
}

// PortPass is the answer for one port: it passes, it is blocked (a chain
// drops it whatever the uncertain rules do), or it is unsure.
type PortPass struct {
	Port     uint16
	Pass     bool
	Blockers []Blocker
	Unsure   []string // rules that might decide it
}

// Evaluate answers for each port whether a new IPv4 TCP connection on iface
// passes every input base chain of the rulesets, ignoring dualpath's own
// table (which the daemon keeps right).
func Evaluate(sets []*Ruleset, iface string, ports []uint16) []PortPass {
	var out []PortPass
	for _, port := range ports {
		pp := PortPass{Port: port, Pass: true}
		p := fwPacket{iface: iface, port: port}
		for _, rs := range sets {
			for _, k := range rs.order {
				c := rs.chains[k]
				if c.hook != "input" || (c.family != "ip" && c.family != "inet") ||
					(c.family == "inet" && c.table == hostnet.FirewallTable) {
					continue
				}
				res := rs.eval(c, p, 0)
				v, by := res.verdict, res.by
				if v == "" {
					v, by = c.policy, "policy "+c.policy
				}
				switch {
				case v == "drop" && len(res.unsure) == 0:
					pp.Pass = false
					pp.Blockers = append(pp.Blockers, Blocker{Source: rs.Source, Family: c.family, Table: c.table, Chain: c.name, By: by})
				case v == "drop":
					pp.Pass = false
					pp.Unsure = append(pp.Unsure, res.unsure...)
					pp.Unsure = append(pp.Unsure, c.name+": "+by)
				default:
					pp.Unsure = append(pp.Unsure, res.unsure...)
				}
			}
		}
		out = append(out, pp)
	}
	return out
}

// FirewallFix is the command that opens port on iface for the blocker.
func FirewallFix(b Blocker, ufw bool, iface string, port uint16) string {
	switch {
	case ufw:
		return fmt.Sprintf("ufw allow in on %s to any port %d proto tcp", iface, port)
	case b.Source == "iptables-legacy" || b.Source == "iptables-nft":
		return fmt.Sprintf("iptables -I %s -i %s -p tcp --dport %d -j ACCEPT", b.Chain, iface, port)
	}
	return fmt.Sprintf("nft insert rule %s %s %s iifname %q tcp dport %d accept", b.Family, b.Table, b.Chain, iface, port)
}

// FirewallVerdict judges the host's own firewall for the exposed ports on
// the PPPoE interface.
func FirewallVerdict(sets []*Ruleset, iface string, ports []uint16) Result {
	ufw := false
	var sources []string
	for _, rs := range sets {
		ufw = ufw || rs.UFW()
		sources = append(sources, rs.Source)
	}
	passes := Evaluate(sets, iface, ports)
	var open, blocked, blockedJA, fixes, unsure []string
	var dports []map[string]any
	for _, pp := range passes {
		var bl []string
		for _, b := range pp.Blockers {
			bl = append(bl, fmt.Sprintf("%s %s %s (%s)", b.Family, b.Table, b.Chain, b.By))
		}
		dports = append(dports, map[string]any{"port": int(pp.Port), "pass": pp.Pass, "blocked_by": nonNil(bl), "unsure": nonNil(pp.Unsure)})
		switch {
		case len(pp.Blockers) > 0:
			blocked = append(blocked, fmt.Sprintf("%d by %s", pp.Port, strings.Join(bl, ", ")))
			blockedJA = append(blockedJA, fmt.Sprintf("%d（%s で破棄）", pp.Port, strings.Join(bl, "、")))
			if fix := FirewallFix(pp.Blockers[0], ufw, iface, pp.Port); !slices.Contains(fixes, fix) {
				fixes = append(fixes, fix)
			}
		case pp.Pass:
			open = append(open, fmt.Sprint(pp.Port))
			unsure = append(unsure, pp.Unsure...)
		default:
			unsure = append(unsure, pp.Unsure...)
			if fix := FirewallFix(Blocker{Source: sets[0].Source, Family: "inet", Table: "filter", Chain: "input"}, ufw, iface, pp.Port); ufw && !slices.Contains(fixes, fix) {
				fixes = append(fixes, fix)
			}
		}
	}
	d := map[string]any{"interface": iface, "ufw": ufw, "sources": nonNil(sources), "ports": dports}
	switch {
	case len(blocked) > 0:
		return Result{Status: Fail, Details: d,
			Summary: T("the host's own firewall drops new connections on %s: %s", "サーバ自身のファイアウォールが %s への新しい接続を落とします: %s", iface,
				msg.Text{EN: strings.Join(blocked, "; "), JA: strings.Join(blockedJA, "、")}),
			Fix: T("allow them: %s", "許可してください: %s", strings.Join(fixes, "; "))}
	case len(unsure) > 0:
		fix := T("check that those rules let visitors' connections in", "これらのルールが訪問者の接続を通すか確かめてください")
		if len(fixes) > 0 {
			fix = T("check those rules, or allow the ports: %s", "これらのルールを確かめるか、ポートを許可してください: %s", strings.Join(fixes, "; "))
		}
		return Result{Status: Warn, Details: d,
			Summary: T("cannot tell whether the host's firewall lets new connections on %s through: these rules may decide it: %s", "サーバのファイアウォールが %s への新しい接続を通すか判断できません。次のルール次第です: %s", iface, strings.Join(dedupe(unsure), "; ")),
			Fix:     fix}
	}
	what := T("no other firewall", "ほかのファイアウォールはありません")
	if ufw {
		what = T("ufw allows them", "`ufw` が許可しています")
	} else if len(sets) > 0 && anyInputChain(sets) {
		what = T("every input chain accepts them", "入力側のすべてのチェーンが受け入れます")
	}
	return Result{Status: OK, Details: d,
		Summary: T("ports %s pass the host's own firewall on %s (%s)", "ポート %s は %s でサーバ自身のファイアウォールを通ります（%s）", msg.Items(open), iface, what)}
}

func anyInputChain(sets []*Ruleset) bool {
	for _, rs := range sets {
		for _, k := range rs.order {
			c := rs.chains[k]
			if c.hook == "input" && !(c.family == "inet" && c.table == hostnet.FirewallTable) {
				return true
			}
		}
	}
	return false
}

// FirewallBlocked is one line for each exposed port the host's own firewall
// certainly drops on iface, with the command that opens it (the daemon's
// status warnings; doctor's host.firewall says the same in more words).
func FirewallBlocked(sets []*Ruleset, iface string, ports []uint16) []Text {
	ufw := false
	for _, rs := range sets {
		ufw = ufw || rs.UFW()
	}
	var out []Text
	for _, pp := range Evaluate(sets, iface, ports) {
		if len(pp.Blockers) == 0 {
			continue
		}
		b := pp.Blockers[0]
		out = append(out, T("the host's own firewall drops new connections to TCP port %d on %s (%s %s %s: %s): %s",
			"ホスト自身のファイアウォールが %[2]s の TCP ポート %[1]d への新規接続を破棄します（「%[3]s %[4]s %[5]s: %[6]s」）。開けるには「%[7]s」",
			pp.Port, iface, b.Family, b.Table, b.Chain, b.By, FirewallFix(b, ufw, iface, pp.Port)))
	}
	return out
}
