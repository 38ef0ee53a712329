//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/lab"
	"github.com/dualpath/dualpath/internal/reach"
)

// labCheck runs `dualpath lab exec server -- dualpath check --json`, as the
// issue's user would, and decodes the report.
func (r *labRun) labCheck(t *testing.T) (int, *reach.JSONReport) {
	t.Helper()
	out, code := r.run(t, "exec", "server", "--", "dualpath", "check", "--json")
	var rep reach.JSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("dualpath check --json: exit %d: %v:\n%s", code, err, out)
	}
	return code, &rep
}

// nftIn loads a ruleset into a lab node and returns the command that
// removes its table again.
func (r *labRun) nftIn(t *testing.T, node, table, rules string) func() {
	t.Helper()
	p := filepath.Join(t.TempDir(), table+".nft")
	if err := os.WriteFile(p, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := r.run(t, "exec", node, "--", "nft", "-f", p); code != 0 {
		t.Fatalf("nft in %s: exit %d: %s", node, code, out)
	}
	return func() {
		if out, code := r.run(t, "exec", node, "--", "nft", "delete", "table", "inet", table); code != 0 {
			t.Errorf("removing %s in %s: exit %d: %s", table, node, code, out)
		}
	}
}

// failing lists the lines of a report that are not ok, as "family/port".
func failing(rep *reach.JSONReport) []string {
	var out []string
	for _, p := range rep.Paths {
		if p.Status != reach.OK {
			out = append(out, fmt.Sprintf("%s/%d", p.Family, p.Port))
		}
	}
	for _, d := range rep.DNS {
		if d.Status != reach.OK {
			out = append(out, "dns/"+string(d.Family))
		}
	}
	return out
}

func findPath(rep *reach.JSONReport, f reach.Family, port uint16) *reach.JSONPath {
	for i := range rep.Paths {
		if rep.Paths[i].Family == f && rep.Paths[i].Port == port {
			return &rep.Paths[i]
		}
	}
	return nil
}

// TestLabCheckNamesTheBrokenPath: in the lab, `dualpath check` is green;
// when the ISP drops inbound TCP 80 to the session address it exits 1
// naming IPv4 port 80 (and nothing else); with the router's IPv6 inbound
// filter closed it names IPv6 (ports 80 and 443) and the router's filter.
func TestLabCheckNamesTheBrokenPath(t *testing.T) {
	if testing.Short() {
		t.Skip("the lab takes a while; skipped with -short")
	}
	r := newLabRun(t)
	if out, code := r.run(t, "up"); code != 0 {
		t.Fatalf("lab up: exit %d:\n%s", code, out)
	}
	code, rep := r.labCheck(t)
	if code != 0 || !rep.OK || len(failing(rep)) > 0 || len(rep.Paths) != 4 {
		t.Fatalf("green lab: exit %d, not ok: %v\n%+v", code, failing(rep), rep)
	}
	// IPv4 is seen twice: by the prober at inet4 and by this server's own
	// MAP-E path (a SYN by the IPoE router, back in by PPPoE).
	if st := viewState(findPath(rep, reach.IPv4, 80), reach.ViaMAPE); st != "open" {
		t.Errorf("green lab: the MAP-E view of IPv4 port 80 is %q, want open", st)
	}
	sess := findPath(rep, reach.IPv4, 80).Address
	if !sess.Is4() {
		t.Fatalf("IPv4 path has no session address: %+v", rep.Paths)
	}

	// The ISP drops inbound TCP 80 to the session address.
	undo := r.nftIn(t, "isp", "dpcheck_drop", fmt.Sprintf(`table inet dpcheck_drop {
	chain drop80 {
		type filter hook forward priority -10; policy accept;
		ip daddr %s tcp dport 80 drop
	}
}
`, sess))
	code, rep = r.labCheck(t)
	undo()
	if code != 1 || rep.OK || strings.Join(failing(rep), " ") != "ipv4/80" {
		t.Fatalf("after the ISP's drop rule: exit %d, failing %v; want exit 1 with only ipv4/80", code, failing(rep))
	}
	if c := findPath(rep, reach.IPv4, 80).Cause; !strings.Contains(c, "IPv4 port 80 filtered before reaching the server") {
		t.Errorf("cause %q does not name IPv4 port 80 filtered", c)
	}
	if st := viewState(findPath(rep, reach.IPv4, 80), reach.ViaMAPE); st != "filtered" {
		t.Errorf("ISP drop: the MAP-E view of IPv4 port 80 is %q, want filtered", st)
	}

	// The router's IPv6 inbound filter is closed (lab.CloseIPv6Filter: back
	// at the HGW's default, no new inbound IPv6 connection to the LAN).
	l, err := lab.New(lab.Options{Prefix: r.prefix, StateRoot: r.root, Bin: r.bin})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := l.CloseIPv6Filter(ctx); err != nil {
		t.Fatal(err)
	}
	code, rep = r.labCheck(t)
	if err := l.OpenIPv6Filter(ctx); err != nil {
		t.Fatal(err)
	}
	if code != 1 || strings.Join(failing(rep), " ") != "ipv6/80 ipv6/443" {
		t.Fatalf("with the router's IPv6 filter closed: exit %d, failing %v; want exit 1 with ipv6/80 and ipv6/443", code, failing(rep))
	}
	if c := findPath(rep, reach.IPv6, 80).Cause; !strings.Contains(c, "IPv6 port 80 filtered before reaching the server: the router's IPv6 filter?") {
		t.Errorf("cause %q does not name the router's IPv6 filter", c)
	}

	// Both rules gone: green again.
	if code, rep = r.labCheck(t); code != 0 || !rep.OK {
		t.Errorf("after removing the rules: exit %d, failing %v", code, failing(rep))
	}
}

// viewState is the state one vantage point saw on a path ("" if none).
func viewState(p *reach.JSONPath, via string) string {
	for _, v := range p.Views {
		if v.Via == via && v.Result != nil {
			return string(v.Result.State)
		}
	}
	return ""
}
