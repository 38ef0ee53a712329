package lab

import (
	"io"
	"path/filepath"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
)

// Status prints what runs: scenario, nodes, processes and their logs, in
// the lab's language (names, states of processes and paths as they are).
func (l *Lab) Status(w io.Writer) error {
	p := msg.Printer{W: w, Lang: l.lang}
	st, err := l.Load()
	if err != nil {
		if left := l.Leftovers(); len(left) > 0 {
			p.Printf("lab %s: no state, but leftovers exist: %s\nrun 'dualpath lab down' to remove them",
				"ラボ %s: 状態はありませんが、残りがあります: %s\n「dualpath lab down」で削除してください", l.Prefix, strings.Join(left, "; "))
			return nil
		}
		return err
	}
	ready := msg.T("ready", "準備完了")
	if !st.Ready {
		ready = msg.T("NOT ready (up did not finish: run 'dualpath lab up' again)",
			"未完成（up が終わっていません。「dualpath lab up」をもう一度実行してください）")
	}
	p.Printf("lab %s: scenario %s, %s, since %s", "ラボ %s: シナリオ %s、%s、%s から",
		l.Prefix, st.Scenario, ready, st.Started.Format("15:04:05 UTC"))
	p.Printf("state dir %s", "状態ディレクトリ %s", st.Dir)
	p.Println(msg.T("nodes:", "ノード:"))
	for _, n := range Nodes(st.Scenario) {
		state := msg.T("missing", "なし")
		if nsExists(l.NS(n)) {
			state = msg.T("up", "あり")
		}
		p.Printf("  %-8s namespace %-16s %s", "  %-8s 名前空間 %-16s %s", n, l.NS(n), state)
	}
	p.Println(msg.T("processes (logs relative to the state dir):", "プロセス（ログは状態ディレクトリからの場所）:"))
	for _, pr := range st.Procs {
		state := msg.T("running", "動作中")
		if !pr.ours() {
			state = msg.T("EXITED", "終了")
		}
		log := pr.Log
		if rel, err := filepath.Rel(st.Dir, pr.Log); err == nil && !strings.HasPrefix(rel, "..") {
			log = rel
		}
		// States are padded by display width: 「動作中」 is 6 columns.
		p.Printf("  %-8s %-12s pid %-7d %s %s", "  %-8s %-12s pid %-7d %s %s", pr.Node, pr.Name, pr.PID, padTo(state, 8), log)
	}
	return nil
}

// padTo is t padded with spaces to cols display columns in each language.
func padTo(t msg.Text, cols int) msg.Text {
	pad := func(s string) string {
		if w := termtext.DisplayWidth(s); w < cols {
			return s + strings.Repeat(" ", cols-w)
		}
		return s
	}
	return msg.Text{EN: pad(t.EN), JA: pad(t.In(msg.Japanese))}
}
