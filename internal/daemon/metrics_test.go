package daemon

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
)

func TestMetricsEndpoint(t *testing.T) {
	st := fixedState(t)
	m, err := ListenMetrics("127.0.0.1:0", false, NewRegistry(st), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	scrape := func() string {
		resp, err := http.Get("http://" + m.Addr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		return string(b)
	}
	body := scrape()
	for _, want := range []string{
		"dualpath_session_up 1",
		"dualpath_session_reconnects_total 1",
		`dualpath_session_bytes_total{direction="rx"} 2048`,
		`dualpath_session_bytes_total{direction="tx"} 1.048576e+06`,
		`dualpath_session_packets_total{direction="tx"} 700`,
		"dualpath_session_last_up_timestamp_seconds 1.79564766e+09",
		`dualpath_ddns_updates_total{provider="mydns"} 1`,
		`dualpath_ddns_failures_total{provider="mydns"} 1`,
		`dualpath_ddns_last_success_timestamp_seconds{provider="mydns"}`,
		"dualpath_firewall_active 1",
		`dualpath_build_info{version="v9.9.9"} 1`,
		"process_resident_memory_bytes",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The text format: one HELP and one TYPE per family, before its
	// samples; every sample line is NAME[{LABELS}] VALUE.
	types := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		if f, ok := strings.CutPrefix(l, "# TYPE "); ok {
			types[strings.Fields(f)[0]]++
			continue
		}
		if strings.HasPrefix(l, "# HELP ") {
			continue
		}
		name, _, _ := strings.Cut(l, " ")
		name, _, _ = strings.Cut(name, "{")
		if types[name] != 1 || len(strings.Fields(l)) != 2 {
			t.Errorf("sample %q: TYPE seen %d times before it", l, types[name])
		}
	}
	if !strings.Contains(body, `dualpath_build_info{version="v9.9.9"} 1`+"\n") {
		t.Error("label not written as the text format wants")
	}
	st.SessionDown(msg.Same("PADT from the access concentrator"), "session-padt")
	if body := scrape(); !strings.Contains(body, "dualpath_session_up 0") {
		t.Error("session_up did not follow the state")
	}
}

func TestMetricsRefusesNonLoopback(t *testing.T) {
	_, err := ListenMetrics("0.0.0.0:0", false, NewRegistry(NewState("x")), nil)
	if err == nil || !strings.Contains(err.Error(), "metrics.allow_remote") {
		t.Errorf("non-loopback without allow_remote: %v", err)
	}
	_, err = ListenMetrics(":0", false, NewRegistry(NewState("x")), nil)
	if err == nil {
		t.Error("all-addresses listen accepted without allow_remote")
	}
}

func TestNoSessionNoSessionMetrics(t *testing.T) {
	st := NewState("x") // two-router mode: no session configured
	m, err := ListenMetrics("127.0.0.1:0", false, NewRegistry(st), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	resp, err := http.Get("http://" + m.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "dualpath_session_up") {
		t.Error("session_up reported although no session is configured")
	}
}
