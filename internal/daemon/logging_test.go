package daemon

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLogger(t *testing.T) {
	var b bytes.Buffer
	log, err := NewLogger(&b, "text", "info", true)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("pppoe session up", "address", "203.0.113.7")
	if got := b.String(); got != "level=INFO msg=\"pppoe session up\" address=203.0.113.7\n" {
		t.Errorf("journald text line: %q", got)
	}
	b.Reset()
	log, _ = NewLogger(&b, "json", "debug", false)
	log.Debug("x", "k", 1)
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["msg"] != "x" || m["time"] == nil {
		t.Errorf("json line %q: %v", b.String(), err)
	}
	b.Reset()
	log, _ = NewLogger(&b, "", "", false)
	log.Info("y")
	if !strings.HasPrefix(b.String(), "time=") {
		t.Errorf("text outside journald should carry the time: %q", b.String())
	}
	if _, err := NewLogger(&b, "xml", "", false); err == nil {
		t.Error("xml accepted")
	}
	if _, err := NewLogger(&b, "", "loud", false); err == nil {
		t.Error("level loud accepted")
	}
}
