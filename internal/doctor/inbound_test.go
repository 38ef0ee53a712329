package doctor

import (
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
)

func TestInboundVerdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    InboundFacts
		want Status
		says string
	}{
		{"not MAP-E", InboundFacts{PPPoE: OK}, Skip, "not a MAP-E or DS-Lite line"},
		{"MAP-E, passthrough works", InboundFacts{MAPE: true, PPPoE: OK}, OK, "PPPoE passthrough works; no fixed-IP tunnel configured"},
		{"DS-Lite, nothing", InboundFacts{DSLite: true, PPPoE: Warn}, Warn, "no PPPoE through the router; no fixed-IP tunnel"},
		{"DS-Lite, tunnel answers", InboundFacts{DSLite: true, PPPoE: Warn, TunnelBR: "2001:db8::1", TunnelState: "up"}, OK, "fixed-IP tunnel to 2001:db8::1 answers"},
		{"MAP-E, tunnel silent", InboundFacts{MAPE: true, PPPoE: Warn, TunnelBR: "2001:db8::1", TunnelState: "failing"}, Warn, "does not answer (failing)"},
		{"tunnel, no daemon", InboundFacts{MAPE: true, PPPoE: Skip, TunnelBR: "2001:db8::1"}, OK, "daemon not running: not tested"},
		{"not probed", InboundFacts{MAPE: true, PPPoE: Skip}, Skip, "PPPoE not probed"},
	} {
		r := InboundVerdict(tc.f)
		if r.Status != tc.want || !strings.Contains(r.Summary.EN, tc.says) {
			t.Errorf("%s: %v %q, want %v with %q", tc.name, r.Status, r.Summary.EN, tc.want, tc.says)
		}
		if r.Status == Warn && (r.Fix.EN == "" || r.Fix.JA == "") {
			t.Errorf("%s: a warning without a fix in both languages", tc.name)
		}
		if r.Summary.JA == "" || r.Summary.In(msg.Japanese) == r.Summary.EN {
			t.Errorf("%s: no Japanese summary", tc.name)
		}
	}
}

func TestInboundPathsReadsTheOtherChecks(t *testing.T) {
	outs := []Outcome{
		{ID: "line.mape", Result: Result{Status: Warn, Details: map[string]any{"provider": "v6plus"}}},
		{ID: "line.dslite", Result: Result{Status: OK}},
		{ID: "line.pppoe", Result: Result{Status: OK}},
	}
	o := InboundPaths(t.Context(), outs, &Env{})
	if o.ID != "line.inbound-ipv4" || o.Status != OK || !strings.Contains(o.Summary.EN, "PPPoE passthrough works") {
		t.Errorf("%+v", o)
	}
}
