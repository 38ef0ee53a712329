package lab

import (
	"github.com/dualpath/dualpath/internal/msg"

	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/lab/vantage"
)

// check is one end-to-end check of the list.
type check struct {
	id   int
	name msg.Text
	// scenarios it applies to (nil: all)
	only []string
	run  func(ctx context.Context, l *Lab) (expected, seen msg.Text, ok bool)
}

// checks are the checks of the issues (10: the router's IPv6 filter,
// v6filter_linux.go). Check 6 scans the session address:
// on the server `dualpath run`'s firewall keeps it closed but for the
// exposed ports; in two-routers the second router's NAT does. Check 7 does
// not apply to two-routers, where all of the server's IPv4 leaves by PPPoE;
// check 9 neither: there the server runs only `dualpath ddns`, no daemon
// whose status gives the addresses to expect.
func (l *Lab) checks() []check {
	if l.Scenario == ScenarioIPIPFixed {
		return l.ipipChecks()
	}
	return []check{
		{1, msg.T("PC's IPv4 leaves by MAP-E", "PCのIPv4はMAP-Eから出る"), nil, checkPCMAPE},
		{2, msg.T("inet4 -> shared IPv4 port 80 fails", "inet4 -> 共有IPv4の80番には届かない"), nil, checkSharedPort80},
		{3, msg.T("session up; A = session, AAAA = stable", "セッション確立。A=セッション、AAAA=固定"), nil, checkRecords},
		{4, msg.T("inet4 fetches http://NAME/ (IPv4)", "inet4が http://NAME/ を取得（IPv4）"), nil, checkFetch4},
		{5, msg.T("inet6 fetches http://NAME/ (IPv6)", "inet6が http://NAME/ を取得（IPv6）"), nil, checkFetch6},
		{6, msg.T("scan of the session address", "セッションのアドレスをポートスキャン"), nil, checkScan},
		{7, msg.T("server's own IPv4 leaves by MAP-E", "サーバー自身のIPv4はMAP-Eから出る"), []string{ScenarioServerPPPoE}, checkServerMAPE},
		{8, msg.T("BRAS drops the session: heals", "BRASがセッションを切断: 自動で復旧"), nil, checkHeal},
		{9, msg.T("dualpath check: reachable from outside", "dualpath check: 外から到達できる"), []string{ScenarioServerPPPoE}, checkFromOutside},
		{10, msg.T("router's IPv6 filter lets in only 80,443", "ルーターのIPv6フィルタは80,443だけを通す"), nil, checkIPv6Filter},
		{11, msg.T("session drop: webhook arrives at inet4", "セッション切断: inet4 に通知が届く"), []string{ScenarioServerPPPoE}, checkWebhook},
	}
}

// Test runs every check that applies to the scenario against the running
// lab; the others are reported as NotHere.
func (l *Lab) Test(ctx context.Context) (*Report, error) {
	return l.TestOnly(ctx)
}

// TestOnly is Test for the checks with the given IDs (all when none).
func (l *Lab) TestOnly(ctx context.Context, ids ...int) (*Report, error) {
	st, err := l.Load()
	if err != nil {
		return nil, err
	}
	if !st.Ready {
		return nil, fmt.Errorf("the lab %s did not finish coming up: run 'dualpath lab up' again", l.Prefix)
	}
	rep := &Report{Scenario: st.Scenario}
	for _, c := range l.checks() {
		if len(ids) > 0 && !slices.Contains(ids, c.id) {
			continue
		}
		r := Result{ID: c.id, Check: c.name.EN, name: c.name}
		if len(c.only) > 0 && !slices.Contains(c.only, st.Scenario) {
			r.Outcome = NotHere
		} else {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			exp, seen, ok := c.run(cctx, l)
			cancel()
			r.Expected, r.Seen, r.Outcome = exp.EN, seen.EN, Fail
			r.expected, r.seen = exp, seen
			if ok {
				r.Outcome = Pass
			}
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

// nodeJSON runs a lab-node program in node and decodes its JSON output.
func (l *Lab) nodeJSON(ctx context.Context, node string, v any, args ...string) error {
	out, err := l.Node(ctx, node, args...)
	if err != nil {
		return nodeError(node, args[0], out, err)
	}
	if err := json.Unmarshal([]byte(lastLine(out)), v); err != nil {
		return fmt.Errorf("%s: %v", strings.TrimSpace(out), err)
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func short(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 80 {
		return strings.TrimSpace(s[i+2:])
	}
	return s
}

// shortText is short(err) in both languages: in Japanese what err's code
// says, when it has one.
func shortText(err error) msg.Text {
	t := msg.Same(short(err))
	if c := msg.CodeOf(err); c != "" {
		t.JA = msg.CodeText(c, "").JA
	}
	return t
}

// nginxLogSize returns the size of nginx's access log (0 if none).
func (l *Lab) nginxLogSize() int64 {
	fi, err := os.Stat(filepath.Join(l.Dir, "nginx", "access.log"))
	if err != nil {
		return 0
	}
	return fi.Size()
}

// nginxSaw reports whether nginx logged a request from addr after the log
// had size from (so an earlier run's line does not count). nginx writes
// the line when the response is done: wait a moment for it.
func (l *Lab) nginxSaw(ctx context.Context, from int64, addr string) bool {
	return waitFor(ctx, 5*time.Second, func() bool {
		b, err := os.ReadFile(filepath.Join(l.Dir, "nginx", "access.log"))
		if err != nil || int64(len(b)) < from {
			return false
		}
		for _, line := range strings.Split(string(b[from:]), "\n") {
			if strings.HasPrefix(line, addr+" ") {
				return true
			}
		}
		return false
	})
}

// fetchTarget is what visitors fetch, by name, and the ISP's DNS server
// they ask for it over IP version family ("4" or "6").
func (l *Lab) fetchTarget(family string) (url, dns string) {
	server := DNS4
	if family == "6" {
		server = DNS6
	}
	return "http://" + strings.TrimSuffix(Name, ".") + "/", netip.AddrPortFrom(server, 53).String()
}

// fetchTries is how many fetches checks 4 and 5 make before they judge a
// failure: one fetch's 3 s timeout can expire on a loaded machine, while
// a page that cannot be reached fails every try.
const fetchTries = 3

// tries runs a check up to n times, until it holds.
func tries(ctx context.Context, n int, f func() (msg.Text, msg.Text, bool)) (exp, seen msg.Text, ok bool) {
	for i := 0; i < n && !ok && (i == 0 || ctx.Err() == nil); i++ {
		exp, seen, ok = f()
	}
	return exp, seen, ok
}

func checkFetch6(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	return tries(ctx, fetchTries, func() (msg.Text, msg.Text, bool) { return l.fetch6(ctx) })
}

func (l *Lab) fetch6(ctx context.Context) (msg.Text, msg.Text, bool) {
	url, dns := l.fetchTarget("6")
	exp := msg.T("200 from %s", "%s から 200", ServerIPv6())
	var f vantage.Fetched
	from := l.nginxLogSize()
	if err := l.nodeJSON(ctx, NodeInet6, &f, "fetch", "--family", "6", "--dns", dns, url); err != nil {
		return exp, shortText(err), false
	}
	logged := l.nginxSaw(ctx, from, Inet6Addr.Addr().String())
	seen := msg.T("%d from %s%s", "%[2]s から %[1]d%[3]s", f.Status, f.Addr, loggedAs(logged, Inet6Addr.Addr().String()))
	return exp, seen, f.Status == 200 && f.Addr == ServerIPv6().String() && logged
}

func checkFetch4(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	sess, err := l.sessionAddr()
	if err != nil {
		return msg.T("200 from the session address", "セッションのアドレスから 200"), msg.Same(err.Error()), false
	}
	return l.fetch4(ctx, sess)
}

func (l *Lab) fetch4(ctx context.Context, sess netip.Addr) (msg.Text, msg.Text, bool) {
	return tries(ctx, fetchTries, func() (msg.Text, msg.Text, bool) { return l.fetch4Once(ctx, sess) })
}

func (l *Lab) fetch4Once(ctx context.Context, sess netip.Addr) (msg.Text, msg.Text, bool) {
	url, dns := l.fetchTarget("4")
	exp := msg.T("200 from %s", "%s から 200", sess)
	var f vantage.Fetched
	from := l.nginxLogSize()
	if err := l.nodeJSON(ctx, NodeInet4, &f, "fetch", "--family", "4", "--dns", dns, url); err != nil {
		return exp, shortText(err), false
	}
	logged := l.nginxSaw(ctx, from, Inet4Addr.Addr().String())
	seen := msg.T("%d from %s%s", "%[2]s から %[1]d%[3]s", f.Status, f.Addr, loggedAs(logged, Inet4Addr.Addr().String()))
	return exp, seen, f.Status == 200 && f.Addr == sess.String() && logged
}

// loggedAs says whether nginx logged the visitor's real address.
func loggedAs(ok bool, addr string) msg.Text {
	if ok {
		return msg.T(", nginx logged %s", "、nginx の記録は %s", addr)
	}
	return msg.T(", NOT in nginx's log as %s", "、nginx の記録に %s がない", addr)
}
