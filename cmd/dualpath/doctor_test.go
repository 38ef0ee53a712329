package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/termtext"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/doctor"
	"github.com/dualpath/dualpath/internal/netnstest"
)

func TestDoctorBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"doctor", "--timeout", "-1s"},
		{"doctor", "extra"},
		{"doctor", "--config", "/nonexistent/dualpath.yaml"},
		{"doctor", "--bogus"},
	} {
		if _, errs, code := runPlanDoctor(t, nil, args...); code != cli.ExitUsage {
			t.Errorf("%v: exit %d (%s), want 2", args, code, errs)
		}
	}
}

// TestDoctorCommand runs `dualpath doctor` (in-process, in a re-run of this
// test binary) inside a namespace with one veth, so its probes and lookups
// cannot leave it: Japanese output within 80 columns, exit 1 on failures,
// and the JSON report.
func TestDoctorCommand(t *testing.T) {
	if args := os.Getenv("DP_DOCTOR_CMD_ARGS"); args != "" {
		var out, errb bytes.Buffer
		stdio := cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
		err := dispatch(context.Background(), stdio, strings.Split(args, " "))
		fmt.Printf("%s\n--EXIT %d--\n%s", out.String(), cli.Code(err), errb.String())
		return
	}
	ns := netnstest.New(t, "doc")
	peer := netnstest.New(t, "peer")
	netnstest.Veth(t, ns, "eth0", peer, "eth0")
	run := func(lang string, args ...string) (string, int) {
		cmd := ns.Command(os.Args[0], "-test.run=^TestDoctorCommand$")
		cmd.Env = append(os.Environ(), "DP_DOCTOR_CMD_ARGS="+strings.Join(args, " "), "LC_ALL=", "LC_MESSAGES=", "LANG="+lang)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		out, rest, ok := strings.Cut(string(b), "\n--EXIT ")
		if !ok {
			t.Fatalf("no exit marker: %s", b)
		}
		var code int
		fmt.Sscanf(rest, "%d", &code)
		return out, code
	}
	out, code := run("ja_JP.UTF-8", "doctor", "--interface", "eth0", "--timeout", "300ms")
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want 1 (nothing listens on 80/443):\n%s", code, out)
	}
	for _, want := range []string{"このサーバ", "TCP ポート 80 で待ち受けているプログラムがありません", "対処: "} {
		if !strings.Contains(out, want) {
			t.Errorf("Japanese report lacks %q:\n%s", want, out)
		}
	}
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := termtext.DisplayWidth(line); w > doctor.Width {
			t.Errorf("line %d is %d columns: %q", i+1, w, line)
		}
	}
	out, _ = run("en_US.UTF-8", "doctor", "--json", "--interface", "eth0", "--timeout", "300ms")
	var rep doctor.JSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if rep.Version != 1 || rep.Lang != "en" || len(rep.Checks) < 10 {
		t.Fatalf("report: %+v", rep)
	}
}

// TestDoctorUDPFromConfig runs `dualpath doctor --config FILE` whose
// expose.udp lists 53 and 51820, in a namespace where the process binds UDP
// 53 on IPv4 only and 51820 on one dual-stack socket: the report has one
// host.listen.udpN check per configured port, 53 fails naming the missing
// IPv6, 51820 passes, and the exit code is 1.
func TestDoctorUDPFromConfig(t *testing.T) {
	if args := os.Getenv("DP_DOCTOR_UDP_ARGS"); args != "" {
		for _, b := range []struct{ network, addr string }{{"udp4", "0.0.0.0:53"}, {"udp", ":51820"}} {
			if _, err := net.ListenPacket(b.network, b.addr); err != nil {
				fmt.Printf("bind %s: %v\n--EXIT 99--\n", b.addr, err)
				return
			}
		}
		var out, errb bytes.Buffer
		stdio := cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
		err := dispatch(context.Background(), stdio, strings.Split(args, " "))
		fmt.Printf("%s\n--EXIT %d--\n%s", out.String(), cli.Code(err), errb.String())
		return
	}
	ns := netnstest.New(t, "docu")
	peer := netnstest.New(t, "peer")
	netnstest.Veth(t, ns, "eth0", peer, "eth0")
	cfg := filepath.Join(t.TempDir(), "dualpath.yaml")
	if err := os.WriteFile(cfg, []byte("interface: eth0\npppoe:\n  username: u@example.jp\n  password_file: /nonexistent\n"+
		"expose:\n  tcp: [80]\n  udp: [53, 51820]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		cmd := ns.Command(os.Args[0], "-test.run=^TestDoctorUDPFromConfig$")
		cmd.Env = append(os.Environ(), "DP_DOCTOR_UDP_ARGS="+strings.Join(args, " "), "LC_ALL=", "LC_MESSAGES=", "LANG=C.UTF-8")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		out, rest, ok := strings.Cut(string(b), "\n--EXIT ")
		if !ok {
			t.Fatalf("no exit marker: %s", b)
		}
		var code int
		fmt.Sscanf(rest, "%d", &code)
		return out, code
	}
	out, code := run("doctor", "--json", "--config", cfg, "--timeout", "300ms")
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	var rep doctor.JSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	byID := map[string]doctor.JSONCheck{}
	var udpIDs []string
	for _, c := range rep.Checks {
		byID[c.ID] = c
		if strings.HasPrefix(c.ID, "host.listen.udp") {
			udpIDs = append(udpIDs, c.ID)
		}
	}
	if strings.Join(udpIDs, ",") != "host.listen.udp53,host.listen.udp51820" {
		t.Errorf("UDP checks %v, want one per expose.udp port", udpIDs)
	}
	if c := byID["host.listen.udp53"]; c.Status != doctor.Fail || c.Group != doctor.GroupHost ||
		!strings.Contains(c.Summary, "IPv4 only") || !strings.Contains(c.Summary, "IPv6") || c.Details["ipv6"] != false {
		t.Errorf("udp53: %+v", c)
	}
	if c := byID["host.listen.udp51820"]; c.Status != doctor.OK || c.Details["ipv4_via_dual_stack"] != true {
		t.Errorf("udp51820: %+v", c)
	}
	if _, ok := byID["host.listen.tcp443"]; ok {
		t.Errorf("tcp443 checked although expose.tcp is [80]")
	}
	out, _ = run("doctor", "--config", cfg, "--timeout", "300ms")
	if !strings.Contains(out, "host.listen.udp53: UDP port 53 listens on IPv4 only") {
		t.Errorf("text report lacks the UDP 53 line:\n%s", out)
	}
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := termtext.DisplayWidth(line); w > doctor.Width {
			t.Errorf("line %d is %d columns: %q", i+1, w, line)
		}
	}
}
