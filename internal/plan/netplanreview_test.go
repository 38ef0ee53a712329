package plan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/termtext"
)

const articleNetplan = "testdata/netplan-article/04-network-setting-20210315.yaml"

func conflictsAt(r NetplanReview) map[int]ConflictKind {
	m := map[int]ConflictKind{}
	for _, c := range r.Conflicts {
		m[c.Line] = c.Kind
	}
	return m
}

func TestReviewArticleNetplan(t *testing.T) {
	srcs, err := ReadNetplanDir(filepath.Dir(articleNetplan))
	if err != nil || len(srcs) != 1 {
		t.Fatalf("read: %v %d", err, len(srcs))
	}
	two, err := FromConfig(twoRouters())
	must(t, err)
	r := ReviewNetplan(two, srcs)
	want := map[int]ConflictKind{4: ConflictSecondFile, 7: ConflictGateway, 8: ConflictGateway}
	if got := conflictsAt(r); len(got) != len(want) {
		t.Fatalf("two-routers conflicts %v, want %v", r.Conflicts, want)
	} else {
		for l, k := range want {
			if got[l] != k {
				t.Errorf("line %d: kind %v, want %v", l, got[l], k)
			}
		}
	}
	if len(r.Fixes) != 1 || !r.Fixes[0].MoveAway {
		t.Fatalf("want: move the file away, got %+v", r.Fixes)
	}
	var dropped []string
	for _, d := range r.Fixes[0].Dropped {
		dropped = append(dropped, d.Setting)
	}
	if strings.Join(dropped, "|") != "addresses: fd9c:5e1a:20b3::10/64|optional: true" {
		t.Errorf("dropped settings: %q", dropped)
	}
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		rep := r.Report(two, lang, "")
		for _, s := range []string{articleNetplan + ":7:", "gateway4:", "192.168.1.2", articleNetplan + ":8:",
			"sudo mv " + articleNetplan + " \\\n      " + articleNetplan + ".before-dualpath", "optional: true"} {
			if !strings.Contains(rep, s) {
				t.Errorf("%s report lacks %q:\n%s", lang, s, rep)
			}
		}
		for _, l := range strings.Split(rep, "\n") {
			if termtext.DisplayWidth(l) > termtext.Width {
				t.Errorf("%s line wider than 80: %q", lang, l)
			}
		}
	}

	// server-pppoe: the static address and dhcp4: false conflict too.
	c := twoRouters()
	c.Plan.Mode, c.Plan.PPPoERouter = ModeServerPPPoE, ""
	one, err := FromConfig(c)
	must(t, err)
	r = ReviewNetplan(one, srcs)
	got := conflictsAt(r)
	for l, k := range map[int]ConflictKind{4: ConflictSecondFile, 5: ConflictDHCP4, 6: ConflictAddress, 7: ConflictGateway, 8: ConflictGateway} {
		if got[l] != k {
			t.Errorf("server-pppoe line %d: %v, want %v (%v)", l, got[l], k, r.Conflicts)
		}
	}
}

// TestArticleNetplanKeepsOldGateway shows with the real netplan why the
// conflict matters: installed beside the generated file, the article's file
// leaves a second IPv4 default route; moved away as plan says, it does not.
func TestArticleNetplanKeepsOldGateway(t *testing.T) {
	netnstest.RequireCommand(t, "netplan")
	c := twoRouters()
	c.Plan.PPPoERouter, c.Plan.IPoERouter = "192.168.1.3", "192.168.1.1" // so the old gateway .2 is told apart
	p, err := FromConfig(c)
	must(t, err)
	old, err := os.ReadFile(articleNetplan)
	must(t, err)
	unit := netplanGenerateFiles(t, map[string][]byte{NetplanFile: Netplan(p, msg.Japanese), filepath.Base(articleNetplan): old})
	if !strings.Contains(unit, "Gateway=192.168.1.2") || !strings.Contains(unit, "Gateway=192.168.1.3") {
		t.Fatalf("expected both gateways with both files:\n%s", unit)
	}
	r := ReviewNetplan(p, []NetplanSource{{Path: "/etc/netplan/" + filepath.Base(articleNetplan), Data: old}})
	if len(r.Fixes) != 1 || !r.Fixes[0].MoveAway {
		t.Fatalf("fix: %+v", r.Fixes)
	}
	unit = netplanGenerateFiles(t, map[string][]byte{NetplanFile: Netplan(p, msg.Japanese)})
	if strings.Contains(unit, "Gateway=192.168.1.2") {
		t.Fatalf("old gateway still there:\n%s", unit)
	}
}

func TestReviewSharedFileGetsReplacement(t *testing.T) {
	p, err := FromConfig(twoRouters())
	must(t, err)
	shared := []byte(`# cloud-init style, two devices
network:
  version: 2
  ethernets:
    enp1s0:
      dhcp4: true
      routes:
        - to: 0.0.0.0/0
          via: 192.168.1.1
    enp2s0:
      dhcp4: true
  wifis:
    wlp3s0:
      dhcp4: true
      gateway4: 10.0.0.1
      access-points:
        home:
          password: secretsecret
`)
	r := ReviewNetplan(p, []NetplanSource{{Path: "/etc/netplan/50-cloud-init.yaml", Data: shared}})
	got := conflictsAt(r)
	for l, k := range map[int]ConflictKind{5: ConflictSecondFile, 6: ConflictDHCP4, 8: ConflictDefaultRoute, 15: ConflictGateway} {
		if got[l] != k {
			t.Errorf("line %d: %v, want %v (%+v)", l, got[l], k, r.Conflicts)
		}
	}
	if len(r.Fixes) != 1 || r.Fixes[0].MoveAway || r.Fixes[0].Replacement == nil || r.Fixes[0].FromLine != 5 || r.Fixes[0].ToLine != 9 {
		t.Fatalf("fix: %+v", r.Fixes)
	}
	repl := string(r.Fixes[0].Replacement)
	if strings.Contains(repl, "enp1s0") || !strings.Contains(repl, "enp2s0") || !strings.Contains(repl, "wlp3s0") {
		t.Fatalf("replacement:\n%s", repl)
	}
	rep := r.Report(p, msg.English, "/tmp/out")
	for _, s := range []string{"sudo install -m 0600 /tmp/out/50-cloud-init.yaml.replacement \\\n      /etc/netplan/50-cloud-init.yaml",
		"Remove /etc/netplan/50-cloud-init.yaml:15 (gateway4: 10.0.0.1)"} {
		if !strings.Contains(rep, s) {
			t.Errorf("report lacks %q:\n%s", s, rep)
		}
	}
	if files := r.Files(); len(files) != 1 || files[0].Name != "50-cloud-init.yaml.replacement" || files[0].Mode != 0o600 {
		t.Fatalf("files: %+v", files)
	}
	// The replacement with the generated file passes the real netplan.
	netnstest.RequireCommand(t, "netplan")
	netplanGenerateFiles(t, map[string][]byte{NetplanFile: Netplan(p, msg.Japanese), "50-cloud-init.yaml": r.Fixes[0].Replacement})

	// The interface as the only ethernet: the whole ethernets block goes.
	r = ReviewNetplan(p, []NetplanSource{{Path: "x.yaml", Data: []byte("network:\n  ethernets:\n    enp1s0:\n      dhcp4: true\n  wifis:\n    w:\n      dhcp4: true\n")}})
	if len(r.Fixes) != 1 || r.Fixes[0].FromLine != 2 || r.Fixes[0].ToLine != 4 {
		t.Fatalf("only-ethernet fix: %+v", r.Fixes)
	}
}

func TestReviewMatchAndUnreadable(t *testing.T) {
	p, err := FromConfig(twoRouters())
	must(t, err)
	r := ReviewNetplan(p, []NetplanSource{
		{Path: "a.yaml", Data: []byte("network:\n  ethernets:\n    lan:\n      match:\n        name: enp1*\n      dhcp4: yes\n")},
		{Path: "b.yaml", Data: []byte("network:\n  ethernets:\n    enp1s0: [\n")},
		{Path: "c.yaml", Data: []byte("network:\n  ethernets:\n    other:\n      match:\n        name: eth*\n")},
		{Path: "/etc/netplan/" + NetplanFile, Data: []byte("network:\n  ethernets:\n    enp1s0:\n      gateway4: 1.2.3.4\n")},
	})
	if got := conflictsAt(r); got[3] != ConflictSecondFile || got[6] != ConflictDHCP4 || len(got) != 2 {
		t.Fatalf("match conflicts: %+v", r.Conflicts)
	}
	if len(r.Unreadable) != 1 || !strings.HasPrefix(r.Unreadable[0], "b.yaml: ") {
		t.Fatalf("unreadable: %v", r.Unreadable)
	}
	if rep := (NetplanReview{}).Report(p, msg.Japanese, ""); !strings.Contains(rep, "ありません") {
		t.Fatalf("empty report: %q", rep)
	}
}

// netplanGenerateFiles runs the real netplan on files in a temporary root and
// returns the networkd unit of enp1s0.
func netplanGenerateFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "netplan")
	must(t, os.MkdirAll(dir, 0o755))
	for n, b := range files {
		must(t, os.WriteFile(filepath.Join(dir, n), b, 0o600))
	}
	out, err := exec.Command("netplan", "generate", "--root-dir", root).CombinedOutput()
	if err != nil {
		t.Fatalf("netplan generate: %v\n%s", err, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "run", "systemd", "network", "10-netplan-enp1s0.network"))
	must(t, err)
	return string(unit)
}

func FuzzReviewNetplan(f *testing.F) {
	for _, s := range []string{articleNetplan} {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("network:\n  ethernets:\n    enp1s0:\n      dhcp4: true\n    e2: {}\n"))
	p, err := FromConfig(twoRouters())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ReviewNetplan(p, []NetplanSource{{Path: "f.yaml", Data: data}})
		for _, fx := range r.Fixes {
			if fx.Replacement != nil && (fx.FromLine < 1 || fx.ToLine < fx.FromLine) {
				t.Fatalf("bad cut %d-%d", fx.FromLine, fx.ToLine)
			}
		}
		_ = r.Report(p, msg.Japanese, "out")
	})
}
