package lab

import (
	"github.com/dualpath/dualpath/internal/msg"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/netnstest"
)

func TestCheckPrefix(t *testing.T) {
	for _, ok := range []string{"dpl-", "x", "lab7-", "a-b-c-"} {
		if err := CheckPrefix(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "Dpl-", "dpl_", "dpl/../", "abcdefghijklm"} {
		if err := CheckPrefix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReportPassed(t *testing.T) {
	r := &Report{Scenario: ScenarioTwoRouters, Results: []Result{{Outcome: Pass}, {Outcome: NotHere}}}
	if !r.Passed() {
		t.Error("checks that held or do not apply failed the report")
	}
	r.Results = append(r.Results, Result{Outcome: Fail})
	if r.Passed() {
		t.Error("a failed check passed")
	}
	if (&Report{Results: []Result{{}}}).Passed() {
		t.Error("a check without outcome passed")
	}
	var b strings.Builder
	r.Print(&b, msg.English)
	if !strings.Contains(b.String(), "1 ok, 1 failed, 1 not applicable (scenario two-routers)\n") {
		t.Errorf("summary line: %s", b.String())
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadState(dir); err != ErrNoLab {
		t.Fatalf("empty dir: %v", err)
	}
	s := &State{Prefix: "dpl-", Scenario: ScenarioTwoRouters, Dir: dir, Ready: true, Procs: []Proc{{Node: "isp", Name: "bras", PID: 42}}}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(dir)
	if err != nil || got.Scenario != ScenarioTwoRouters || !got.Ready || got.Procs[0].PID != 42 {
		t.Fatalf("%+v %v", got, err)
	}
	os.WriteFile(filepath.Join(dir, "state.json"), []byte("{"), 0o644)
	if _, err := LoadState(dir); err == nil || !strings.Contains(err.Error(), "lab down") {
		t.Fatalf("damaged state: %v", err)
	}
}

// The router's NAPT chains cover exactly the line's port set.
func TestNAPTRulesFollowPortSet(t *testing.T) {
	line := RouterLine()
	rules := naptRules(line, "mape0")
	re := regexp.MustCompile(`snat ip to 198\.51\.100\.5:(\d+)-(\d+)`)
	m := re.FindAllStringSubmatch(rules, -1)
	ranges := line.PortRanges()
	if len(m) != len(ranges) || len(ranges) != 15 {
		t.Fatalf("%d snat ranges for %d port ranges:\n%s", len(m), len(ranges), rules)
	}
	total := 0
	for i, x := range m {
		first, _ := strconv.Atoi(x[1])
		last, _ := strconv.Atoi(x[2])
		if uint16(first) != ranges[i].First || uint16(last) != ranges[i].Last {
			t.Errorf("range %d: %d-%d, want %v", i, first, last, ranges[i])
		}
		for p := first; p <= last; p++ {
			if !line.HasPort(uint16(p)) {
				t.Errorf("port %d is not the line's", p)
			}
		}
		total += last - first + 1
	}
	if total != line.PortCount() || total != 240 {
		t.Errorf("%d ports, want %d", total, line.PortCount())
	}
}

// nftables accepts what the lab generates.
func TestNFTRulesLoad(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	ns := netnstest.New(t, "nft")
	dir := t.TempDir()
	for name, rules := range map[string]string{"napt": naptRules(RouterLine(), "mape0"), "mss": mssRules("br4")} {
		p := filepath.Join(dir, name+".nft")
		if err := os.WriteFile(p, []byte(rules), 0o644); err != nil {
			t.Fatal(err)
		}
		ns.MustRun("nft", "-f", p)
	}
	out := ns.MustRun("nft", "list", "table", "ip", "dualpath_lab_mape")
	if !strings.Contains(out, "numgen inc mod 15") {
		t.Errorf("loaded rules:\n%s", out)
	}
}

// The server's config is one dualpath's own loader accepts.
func TestServerConfigIsValid(t *testing.T) {
	dir := t.TempDir()
	l := &Lab{Prefix: "dpl-", Dir: dir, Scenario: ScenarioServerPPPoE}
	for _, f := range []string{"pppoe.pass", "mydns.pass", "probe.token"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, write := range []func() (string, error){l.writeServerConfig, l.writeServerDDNSConfig} {
		p, err := write()
		if err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
}

func TestPreflightNamesMissingPrograms(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Preflight()
	if err == nil || !strings.Contains(err.Error(), "nginx") || !strings.Contains(err.Error(), "scripts/deps.sh") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("%v", err)
	}
}

// A recorded PID that now belongs to another program is not the lab's.
func TestProcOursChecksProgram(t *testing.T) {
	self, _ := os.Executable()
	me := Proc{PID: os.Getpid(), Prog: self}
	if !me.ours() {
		t.Errorf("own process not recognised (%s)", self)
	}
	stranger := Proc{PID: os.Getpid(), Prog: "/usr/sbin/nginx"}
	if stranger.ours() {
		t.Error("a process running another program was taken for the lab's")
	}
	if (Proc{PID: 0x7ffffff0, Prog: self}).ours() {
		t.Error("a dead PID was taken for alive")
	}
}
