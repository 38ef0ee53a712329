//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
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
// bounded. Then the server's firewall is made to let UDP 8022 (the
// server's UDP decoy) through: a one-fault drill must report it open on
// the session address and exit 1, so the UDP scan can fail.
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

	openUDPHole(t, r)
	out, code = r.run(t, "chaos", "--faults", "1", "--kinds", "ac-freeze", "--json")
	i = strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("lab chaos with the UDP hole: exit %d, no JSON:\n%s", code, out)
	}
	rep = lab.ChaosReport{}
	if err := json.Unmarshal([]byte(out[i:]), &rep); err != nil {
		t.Fatalf("lab chaos JSON: %v\n%s", err, out)
	}
	// Which fault a scan belongs to depends on when the watcher's scans
	// fall (one or two in a one-fault drill): TestFaultAt holds the rule.
	udpSeen := false
	for _, v := range rep.Violations {
		if strings.HasPrefix(v.What, fmt.Sprintf("UDP port %d open on ", lab.DecoyPort)) {
			udpSeen = true
			if v.Fault != 0 && v.Fault != 1 {
				t.Errorf("UDP hole: violation of fault %d in a one-fault drill: %+v", v.Fault, v)
			}
		} else {
			t.Errorf("UDP hole: unexpected violation %+v", v)
		}
	}
	if code != 1 || !udpSeen || rep.Passed() {
		t.Errorf("UDP %d let through the firewall: exit %d, violations %+v; want exit 1 naming the port\n%s", lab.DecoyPort, code, rep.Violations, out)
	}
}

// openUDPHole makes the server's firewall (dualpath run's table, in the
// lab's server namespace only) accept UDP to the decoy port on the session
// interface, ahead of its drop, and returns the undo.
func openUDPHole(t *testing.T, r *labRun) func() {
	t.Helper()
	out, code := r.run(t, "exec", "server", "--", "nft", "--echo", "--handle", "insert", "rule", "inet", "dualpath", "input",
		"iifname", lab.SessionTUN, "udp", "dport", strconv.Itoa(lab.DecoyPort), "accept")
	m := regexp.MustCompile(`# handle (\d+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("opening UDP %d in the server's firewall: exit %d: %s", lab.DecoyPort, code, out)
	}
	return func() {
		if out, code := r.run(t, "exec", "server", "--", "nft", "delete", "rule", "inet", "dualpath", "input", "handle", m[1]); code != 0 {
			t.Fatalf("closing the UDP hole: exit %d: %s", code, out)
		}
	}
}
