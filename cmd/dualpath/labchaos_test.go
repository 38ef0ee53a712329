//go:build linux

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/lab"
)

// TestLabChaosDrill is CI's short seeded drill: a lab comes up, and seed 9
// gives one fault of each of three kinds (a dead AC for 25 s, a PADT, the
// server's IPv6 address changing while the path to MyDNS is down for
// 10 s); each must heal (session, DNS, an IPv4 visitor's fetch) with no
// invariant broken: the dead AC noticed within 15 s, the AAAA right within
// 2 s of the path returning, no port beyond expose ever open, DNS right
// between faults, host state constant, the daemon's fds and goroutines
// bounded.
func TestLabChaosDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("brings a lab up and drills it for about a minute")
	}
	r := newLabRun(t)
	if out, code := r.run(t, "up"); code != 0 {
		t.Fatalf("lab up: exit %d\n%s", code, out)
	}
	out, code := r.run(t, "chaos", "--faults", "3", "--seed", "9", "--kinds", "ac-dead,padt,v6-path", "--json")
	i := strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("lab chaos: exit %d, no JSON:\n%s", code, out)
	}
	var rep lab.ChaosReport
	if err := json.Unmarshal([]byte(out[i:]), &rep); err != nil {
		t.Fatalf("lab chaos JSON: %v\n%s", err, out)
	}
	if code != 0 || !rep.Passed() {
		t.Fatalf("lab chaos: exit %d, violations %+v\n%s", code, rep.Violations, out)
	}
	seen := map[string]bool{}
	for _, f := range rep.Faults {
		seen[f.Kind] = true
		switch f.Kind {
		case "ac-dead":
			if f.DownS == nil || *f.DownS > 15 {
				t.Errorf("dead AC noticed after %v s, want <= 15", f.DownS)
			}
		case "v6-path":
			if f.AAAAS == nil || *f.AAAAS > 2 {
				t.Errorf("AAAA right %v s after the path returned, want <= 2", f.AAAAS)
			}
		case "padt":
			if f.NewAddr == f.OldAddr {
				t.Errorf("PADT: the session kept %s", f.OldAddr)
			}
		}
		if f.FetchS == nil {
			t.Errorf("fault %d (%s): no fetch time", f.N, f.Kind)
		}
	}
	if len(seen) != 3 {
		t.Errorf("kinds drilled %v, want the three", seen)
	}
}
