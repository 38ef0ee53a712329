package lab

import (
	"encoding/json"
	"github.com/dualpath/dualpath/internal/msg"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/termtext"
)

// assertFits fails for every line of out wider than Width columns.
func assertFits(t *testing.T, what, out string) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := termtext.DisplayWidth(line); w > Width {
			t.Errorf("%s, line %d is %d columns (max %d):\n%s", what, i+1, w, Width, line)
		}
	}
}

// sameWords reports whether out holds text's words in order (wrapping may
// only move line breaks; for Japanese, it may break between characters).
func sameWords(out, text string) bool {
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	return strings.Contains(squash(out), squash(text))
}

func sampleReport() *Report {
	long := "dial 198.51.100.5:80: connect: no route to host after 3 attempts through the MAP-E border relay at 2001:db8:ffff::1 (the router's CE dropped the SYN: port 80 is outside PSID 0x12)"
	return &Report{Scenario: ScenarioTwoRouters, Results: []Result{
		{ID: 1, Check: "PC's IPv4 leaves by MAP-E", name: msg.T("PC's IPv4 leaves by MAP-E", "PCのIPv4はMAP-Eから出る"), Expected: "198.51.100.5, a port of PSID 0x12 (240)", Seen: "198.51.100.5:4386 (in set)", Outcome: Pass},
		{ID: 2, Check: "inet4 -> shared IPv4 port 80 fails", name: msg.T("inet4 -> shared IPv4 port 80 fails", "inet4 -> 共有IPv4の80番には届かない"), Expected: "fails: 80 is in no port set", Seen: long, Outcome: Fail},
		{ID: 7, Check: "server's own IPv4 leaves by MAP-E", name: msg.T("server's own IPv4 leaves by MAP-E", "サーバー自身のIPv4はMAP-Eから出る"), Outcome: NotHere},
		{ID: 8, Check: "BRAS drops the session: heals", name: msg.T("BRAS drops the session: heals", "BRASがセッションを切断: 自動で復旧"), Expected: "new session, new address, A updated, fetch 200", Seen: "203.0.113.2 -> 203.0.113.3: session 1.0s, DNS 12.8s, fetch 12.8s", Outcome: Pass},
	}}
}

// The text report fits 80 columns in both languages and loses nothing:
// each check's outcome and name on its line, expected and seen in full.
func TestReportPrintFits80Columns(t *testing.T) {
	r := sampleReport()
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		var b strings.Builder
		r.Print(&b, lang)
		out := b.String()
		assertFits(t, "report "+lang.String(), out)
		lines := strings.Split(out, "\n")
		for _, x := range r.Results {
			name := x.name.In(lang)
			head := strings.TrimSpace(strings.Join([]string{itoa2(x.ID), string(x.Outcome), name}, " "))
			found := false
			for _, l := range lines {
				if strings.Join(strings.Fields(l), " ") == head {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no line %q:\n%s", lang, head, out)
			}
			for _, v := range []string{x.Expected, x.Seen} {
				if !sameWords(out, v) {
					t.Errorf("%s: %q is not in the report:\n%s", lang, v, out)
				}
			}
		}
		if lang == msg.Japanese {
			if strings.Contains(out, "expected:") || strings.Contains(out, r.Results[0].Check) {
				t.Errorf("Japanese report has English labels or names:\n%s", out)
			}
			if !strings.Contains(out, "成功 2、失敗 1、対象外 1（シナリオ two-routers）") {
				t.Errorf("Japanese summary:\n%s", out)
			}
		} else if !strings.Contains(out, "\n"+strings.Repeat(" ", 18)+"attempts through the MAP-E") {
			t.Errorf("the long seen value is not wrapped under its start:\n%s", out)
		}
	}
}

func itoa2(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// The JSON report stays English, without the Japanese names.
func TestReportJSONIsEnglish(t *testing.T) {
	b, err := json.Marshal(sampleReport().Results[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"check":"PC's IPv4 leaves by MAP-E","expected":"198.51.100.5, a port of PSID 0x12 (240)","seen":"198.51.100.5:4386 (in set)","outcome":"ok"}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

// Every check and every build step has a Japanese name, and the Japanese
// names are not the English ones.
func TestChecksAndStepsSpeakJapanese(t *testing.T) {
	for _, sc := range []string{ScenarioServerPPPoE, ScenarioTwoRouters} {
		l := &Lab{Prefix: "dpl-", Scenario: sc}
		for _, c := range l.checks() {
			if c.name.JA == "" || c.name.JA == c.name.EN || !hasWide(c.name.JA) {
				t.Errorf("check %d %q: Japanese name %q", c.id, c.name.EN, c.name.JA)
			}
		}
		for _, s := range l.steps() {
			if s.what.JA == "" || s.what.JA == s.what.EN || !hasWide(s.what.JA) {
				t.Errorf("step %q: Japanese %q", s.what.EN, s.what.JA)
			}
		}
	}
}

func hasWide(s string) bool {
	for _, r := range s {
		if termtext.RuneWidth(r) == 2 {
			return true
		}
	}
	return false
}

// Every line the demo says around the checks fits 80 columns, in both
// languages and scenarios: the introduction, the build steps, what the
// checks show, the report, a long `dualpath status` line, the verdicts.
func TestDemoNarrativeFits80Columns(t *testing.T) {
	failed := sampleReport()
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		for _, sc := range []string{ScenarioServerPPPoE, ScenarioTwoRouters, ScenarioIPIPFixed} {
			var b strings.Builder
			n := narrator{w: &b, lang: lang}
			n.intro("dpl-", sc)
			l := &Lab{Prefix: "dpl-", Scenario: sc, log: &b, lang: n.lang}
			for _, s := range l.steps() {
				l.progress(msg.T("  - %s", "  - %s", s.what))
			}
			n.checkList(sc)
			failed.Print(&b, lang)
			status := "  last error (1s ago): PADT from the access concentrator: the lab's ISP dropped the session"
			msg.FitMore(&b, "  "+status, 2)
			passed := &Report{Scenario: sc, Results: []Result{{ID: 1, Outcome: Pass}}}
			n.verdict(passed)
			n.verdict(failed)
			out := b.String()
			assertFits(t, lang.String()+" "+sc, out)
			if !sameWords(out, status) {
				t.Errorf("the status line lost words:\n%s", out)
			}
			if ja := n.lang == msg.Japanese; ja == strings.Contains(out, "  - namespaces\n") || ja != strings.Contains(out, "  - 名前空間\n") {
				t.Errorf("%s: build steps in the wrong language:\n%s", lang, out)
			}
		}
	}
}

// writeFitted breaks a long line under the start of its text and leaves
// a line that fits alone, spaces and all.
func TestWriteFitted(t *testing.T) {
	var b strings.Builder
	msg.Fit(&b, "  3. "+strings.Repeat("word ", 30))
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("not wrapped: %q", b.String())
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "     word") {
			t.Errorf("continuation %q is not under the text of the item", l)
		}
	}
	assertFits(t, "wrapped item", b.String())
	b.Reset()
	msg.Fit(&b, "  session:  up   on dp-ppp0")
	if b.String() != "  session:  up   on dp-ppp0\n" {
		t.Errorf("a line that fits was changed: %q", b.String())
	}
	b.Reset()
	ja := "  - " + strings.Repeat("日本語の文章を八十桁で折り返す。", 6)
	msg.Fit(&b, ja)
	assertFits(t, "Japanese", b.String())
	if !sameWords(b.String(), ja) || strings.Count(b.String(), "\n") < 2 {
		t.Errorf("Japanese wrapped badly:\n%s", b.String())
	}
}

// A check that wrote expected and seen in both languages is reported in
// Japanese in a Japanese report (the issue's 「期待: 198.51.100.5, a port of
// PSID 0x12 (240)」 and 「(in set)」 are gone) and in English in JSON.
func TestReportExpectedSeenInJapanese(t *testing.T) {
	exp := msg.T("%s, a port of PSID %#x (%d)", "%s、PSID %#x のポート（%d 個）のどれか", "198.51.100.5", 0x12, 240)
	seen := msg.T("%s:%d (%s)", "%s:%d（%s）", "198.51.100.5", 4389, msg.T("in set", "集合内"))
	r := &Report{Scenario: ScenarioServerPPPoE, Results: []Result{{ID: 1, Check: "PC's IPv4 leaves by MAP-E",
		name: msg.T("PC's IPv4 leaves by MAP-E", "PCのIPv4はMAP-Eから出る"), Expected: exp.EN, Seen: seen.EN,
		expected: exp, seen: seen, Outcome: Pass}}}
	var b strings.Builder
	r.Print(&b, msg.Japanese)
	out := b.String()
	for _, want := range []string{"期待: 198.51.100.5、PSID 0x12 のポート（240 個）のどれか", "結果: 198.51.100.5:4389（集合内）"} {
		if !strings.Contains(out, want) {
			t.Errorf("Japanese report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "a port of") || strings.Contains(out, "in set") {
		t.Errorf("English inside the Japanese report:\n%s", out)
	}
	j, _ := json.Marshal(r.Results[0])
	if !strings.Contains(string(j), `"expected":"198.51.100.5, a port of PSID 0x12 (240)"`) || !strings.Contains(string(j), `"seen":"198.51.100.5:4389 (in set)"`) {
		t.Errorf("JSON is not English: %s", j)
	}
}

// lab chaos in Japanese: a fault's progress line and the table's heads are
// Japanese, and the heads line up with the columns below them (padded by
// display width, 「切断検知」 is 8 columns).
func TestChaosInJapanese(t *testing.T) {
	s := func(v float64) *float64 { return &v }
	f := FaultResult{OldAddr: "203.0.113.2", NewAddr: "203.0.113.3", ClearedS: 0, SessionS: s(1), DNSS: s(1.3), FetchS: s(1.3), DownS: s(0), OK: true}
	line := f.line().In(msg.Japanese)
	if line != "203.0.113.2 → 203.0.113.3: 解消 0.0秒、セッション 1.0秒、DNS 1.3秒、取得 1.3秒、切断検知 0.0秒" {
		t.Errorf("fault line %q", line)
	}
	var fitted strings.Builder // as the progress prints it
	msg.Fit(&fitted, "  "+line)
	msgtest.Japanese(t, fitted.String())
	r := &ChaosReport{Seed: 3, Faults: []FaultResult{f}, Seconds: 26,
		Kinds: []KindSummary{{Kind: "padt", Count: 1, Cells: []string{"0.0", "0.0", "1.0", "1.0", "1.3", "1.3", "1.3", "1.3"}}}}
	var b strings.Builder
	r.Print(&b, msg.Japanese)
	lines := strings.Split(b.String(), "\n")
	if len(lines) < 3 {
		t.Fatalf("report:\n%s", b.String())
	}
	head, row := lines[1], lines[2]
	// Each head ends where its column ends.
	for _, h := range []string{"失敗", "切断検知", "再接続", "DNS", "取得"} {
		end := termtext.DisplayWidth(head[:strings.Index(head, h)+len(h)])
		if end > len(row) || row[end-1] == ' ' || end < len(row) && row[end] != ' ' {
			t.Errorf("head %q does not end where its column does:\n%s\n%s", h, head, row)
		}
	}
}
