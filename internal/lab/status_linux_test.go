package lab

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

// `lab status` speaks the lab's language: a lab whose namespaces are gone
// and whose process exited reads 「なし」 and 「終了」 in Japanese, every line
// Japanese within 80 columns, the columns still aligned.
func TestStatusInJapanese(t *testing.T) {
	root := t.TempDir()
	for _, lang := range []msg.Lang{msg.Japanese, msg.English} {
		l, err := New(Options{Prefix: "dpljst-", StateRoot: root, Bin: "/bin/true", Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(l.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		st := &State{Prefix: l.Prefix, Scenario: ScenarioServerPPPoE, Dir: l.Dir, Ready: true,
			Started: time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC),
			Procs:   []Proc{{Node: NodeISP, Name: "bras", PID: 1, Log: filepath.Join(l.Dir, "log/isp-bras.log"), Prog: "/nonexistent/dualpath"}}}
		if err := st.Save(); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := l.Status(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		t.Logf("%s:\n%s", lang, out)
		want := []string{"ラボ dpljst-: シナリオ server-pppoe、準備完了、14:00:00 UTC から", "ノード:", "名前空間 dpljst-isp",
			"なし", "終了     log/isp-bras.log"}
		if lang == msg.English {
			want = []string{"lab dpljst-: scenario server-pppoe, ready, since 14:00:00 UTC", "namespace dpljst-isp", "missing",
				"EXITED   log/isp-bras.log"}
		} else {
			// Node and process names are what `lab exec NODE` and the
			// log files name: names in a Japanese line.
			for _, n := range append(Nodes(ScenarioServerPPPoE), "bras") {
				if !msgtest.Names[n] {
					msgtest.Names[n] = true
					t.Cleanup(func() { delete(msgtest.Names, n) })
				}
			}
			msgtest.Japanese(t, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s status lacks %q:\n%s", lang, w, out)
			}
		}
	}
}
