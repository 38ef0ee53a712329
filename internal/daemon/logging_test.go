package daemon

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
)

func TestLogger(t *testing.T) {
	var b bytes.Buffer
	log, err := NewLogger(&b, "text", "info", true, msg.English)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("pppoe session up", "address", "203.0.113.7")
	if got := b.String(); got != "level=INFO msg=\"pppoe session up\" address=203.0.113.7\n" {
		t.Errorf("journald text line: %q", got)
	}
	b.Reset()
	log, _ = NewLogger(&b, "json", "debug", false, msg.English)
	log.Debug("x", "k", 1)
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["msg"] != "x" || m["time"] == nil {
		t.Errorf("json line %q: %v", b.String(), err)
	}
	b.Reset()
	log, _ = NewLogger(&b, "", "", false, msg.English)
	log.Info("y")
	if !strings.HasPrefix(b.String(), "time=") {
		t.Errorf("text outside journald should carry the time: %q", b.String())
	}
	if _, err := NewLogger(&b, "xml", "", false, msg.English); err == nil {
		t.Error("xml accepted")
	}
	if _, err := NewLogger(&b, "", "loud", false, msg.English); err == nil {
		t.Error("level loud accepted")
	}
}

// Text lines follow the daemon's language; JSON lines are for programs and
// stay English whatever the locale.
func TestLoggerLanguage(t *testing.T) {
	var b bytes.Buffer
	log, _ := NewLogger(&b, "text", "info", true, msg.Japanese)
	msg.LogInfo(log, msg.T("host left as found", "ホストを起動前の状態に戻しました"))
	if got := b.String(); got != "level=INFO msg=ホストを起動前の状態に戻しました\n" {
		t.Errorf("Japanese text line: %q", got)
	}
	b.Reset()
	log, _ = NewLogger(&b, "json", "info", true, msg.Japanese)
	msg.LogInfo(log, msg.T("host left as found", "ホストを起動前の状態に戻しました"), "reason", msg.T("done", "完了"))
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["msg"] != "host left as found" || m["reason"] != "done" {
		t.Errorf("JSON line under a Japanese locale %q: %v", b.String(), err)
	}
}
