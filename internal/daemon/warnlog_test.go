package daemon

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
)

type warnSeq struct{ ws *[]msg.Text }

func (f warnSeq) Warnings() []msg.Text { return *f.ws }

// A host warning is logged once in the log's language, not again while it
// stays, and again after it went away and came back.
func TestWarnLogOncePerAppearance(t *testing.T) {
	var b bytes.Buffer
	d := &daemon{log: slog.New(msg.LogHandler(slog.NewTextHandler(&b, nil), msg.Japanese))}
	listen := msg.T("nothing listens on TCP port 80", "TCP ポート 80 で待ち受けているものがありません")
	ws := []msg.Text{listen}
	w := &warnLog{src: warnSeq{&ws}}
	count := func() int {
		return strings.Count(b.String(), "TCP ポート 80 で待ち受けているものがありません")
	}
	w.check(d)
	w.check(d)
	if count() != 1 || !strings.Contains(b.String(), "msg=ホストの警告") {
		t.Fatalf("after two checks:\n%s", b.String())
	}
	ws = nil
	w.check(d)
	ws = []msg.Text{listen}
	w.check(d)
	if count() != 2 {
		t.Fatalf("a warning that came back is not logged again:\n%s", b.String())
	}
	(*warnLog)(nil).check(d) // no inbound path: nothing to do
}
