package plan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/termtext"
)

func twoRouters() *config.Config {
	return &config.Config{
		Interface: "enp1s0",
		Expose:    config.Expose{TCP: []uint16{80, 443}},
		Plan: &config.Plan{
			Mode:        ModeTwoRouters,
			Subnet:      "192.168.1.0/24",
			Server:      "192.168.1.10",
			IPoERouter:  "192.168.1.1",
			PPPoERouter: "192.168.1.2",
			DHCPRange:   "192.168.1.100-192.168.1.200",
			IPv6Gateway: "fe80::1",
		},
	}
}

func TestValidPlans(t *testing.T) {
	p, err := FromConfig(twoRouters())
	if err != nil {
		t.Fatal(err)
	}
	if p.ServerBits != 24 || p.PPPoERouter.String() != "192.168.1.2" || !p.HasDHCPRange() {
		t.Fatalf("parsed plan: %+v", p)
	}
	c := twoRouters()
	c.Plan.Mode, c.Plan.PPPoERouter, c.Plan.IPv6Gateway = ModeServerPPPoE, "", ""
	c.Expose = config.Expose{}
	p, err = FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.TCP) != 2 || p.TCP[0] != 80 || p.TCP[1] != 443 {
		t.Fatalf("default ports: %v", p.TCP)
	}
}

func TestInconsistentPlans(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*config.Plan)
		want   [][]string // keys of each expected problem
		inMsgs []string
	}{
		{"routers equal (the article's mistake)", func(p *config.Plan) { p.PPPoERouter = "192.168.1.1" },
			[][]string{{"plan.ipoe_router", "plan.pppoe_router"}}, []string{"192.168.1.1"}},
		{"gateway outside subnet", func(p *config.Plan) { p.PPPoERouter = "192.168.2.2" },
			[][]string{{"plan.pppoe_router", "plan.subnet"}}, []string{"outside"}},
		{"server in DHCP pool", func(p *config.Plan) { p.Server = "192.168.1.150" },
			[][]string{{"plan.server", "plan.dhcp_range"}}, []string{"DHCP pool"}},
		{"missing pppoe_router", func(p *config.Plan) { p.PPPoERouter = "" },
			[][]string{{"plan.pppoe_router"}}, []string{"two-routers"}},
		{"all at once", func(p *config.Plan) {
			p.PPPoERouter = "192.168.1.1"
			p.Server = "192.168.1.150"
			p.IPv6Gateway = "192.168.1.1"
			p.Mode = "three-routers"
		}, [][]string{{"plan.mode"}, {"plan.ipoe_router", "plan.pppoe_router"}, {"plan.server", "plan.dhcp_range"}, {"plan.ipv6_gateway"}}, nil},
		{"bad syntax", func(p *config.Plan) { p.Subnet = "192.168.1.0"; p.DHCPRange = "192.168.1.100" },
			[][]string{{"plan.subnet"}, {"plan.dhcp_range"}}, nil},
		{"broadcast", func(p *config.Plan) { p.Server = "192.168.1.255" }, [][]string{{"plan.server"}}, []string{"broadcast"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := twoRouters()
			tc.edit(c.Plan)
			_, err := FromConfig(c)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("want Errors, got %v", err)
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("want %d problems, got %d:\n%v", len(tc.want), len(errs), err)
			}
			for i, keys := range tc.want {
				if strings.Join(errs[i].Keys, ",") != strings.Join(keys, ",") {
					t.Errorf("problem %d keys %v, want %v (%s)", i, errs[i].Keys, keys, errs[i].Msg)
				}
			}
			for _, s := range tc.inMsgs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
	if _, err := FromConfig(&config.Config{Interface: "x"}); err == nil || !strings.Contains(err.Error(), "plan") {
		t.Fatalf("missing plan section: %v", err)
	}
}

// netplanGenerate runs Debian's netplan on one generated file in a temporary
// root and returns the systemd-networkd unit it produced.
func netplanGenerate(t *testing.T, content []byte) string {
	t.Helper()
	netnstest.RequireCommand(t, "netplan")
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "netplan")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, NetplanFile), content, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("netplan", "generate", "--root-dir", root).CombinedOutput()
	if err != nil {
		t.Fatalf("netplan generate: %v\n%s\n--- input:\n%s", err, out, content)
	}
	if strings.Contains(strings.ToLower(string(out)), "deprecated") {
		t.Fatalf("netplan warns: %s", out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "run", "systemd", "network", "10-netplan-enp1s0.network"))
	if err != nil {
		t.Fatalf("netplan wrote no networkd unit: %v", err)
	}
	return string(unit)
}

func TestNetplanTwoRouters(t *testing.T) {
	p, err := FromConfig(twoRouters())
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		y := Netplan(p, lang)
		for _, old := range []string{"gateway4", "gateway6"} {
			if strings.Contains(string(y), old) {
				t.Fatalf("deprecated key %s in:\n%s", old, y)
			}
		}
		unit := netplanGenerate(t, y)
		for _, want := range []string{
			"Address=192.168.1.10/24",
			"Destination=0.0.0.0/0\nGateway=192.168.1.2", // IPv4 via the PPPoE router
			"Destination=::/0\nGateway=fe80::1",          // IPv6 via the IPoE router
			"DNS=192.168.1.2", "DNS=192.168.1.1",
			"IPv6AcceptRA=yes",
		} {
			if !strings.Contains(unit, want) {
				t.Errorf("%s: networkd unit lacks %q:\n%s", lang, want, unit)
			}
		}
		if strings.Contains(unit, "DHCP=") {
			t.Errorf("two-routers must not run DHCP:\n%s", unit)
		}
	}
}

func TestNetplanServerPPPoE(t *testing.T) {
	c := twoRouters()
	c.Plan.Mode, c.Plan.PPPoERouter = ModeServerPPPoE, ""
	p, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		unit := netplanGenerate(t, Netplan(p, lang))
		if !strings.Contains(unit, "DHCP=ipv4") || strings.Contains(unit, "Gateway=") || strings.Contains(unit, "Address=") {
			t.Fatalf("%s: server-pppoe should be the plain DHCP interface:\n%s", lang, unit)
		}
	}
}

func TestNginxSnippet(t *testing.T) {
	c := twoRouters()
	c.Expose.TCP = []uint16{80, 443, 8080}
	p, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		t.Run(lang.String(), func(t *testing.T) { nginxAcceptsSnippet(t, string(NginxListen(p, lang))) })
	}
}

// nginxAcceptsSnippet checks the snippet's listen lines and has nginx -t
// accept a server block that includes it.
func nginxAcceptsSnippet(t *testing.T, snip string) {
	for _, want := range []string{"listen 80;\n", "listen [::]:80;\n", "listen 443 ssl;\n", "listen [::]:443 ssl;\n", "listen [::]:8080;\n"} {
		if !strings.Contains(snip, want) {
			t.Errorf("snippet lacks %q:\n%s", want, snip)
		}
	}

	// nginx -t on a config that includes the snippet, run in a namespace so
	// nothing could ever bind on the machine's own addresses.
	netnstest.RequireCommand(t, "nginx")
	ns := netnstest.New(t, "nginx")
	dir := t.TempDir()
	writeSelfSigned(t, dir)
	must := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(NginxFile, snip)
	must("nginx.conf", `daemon off;
pid `+dir+`/nginx.pid;
error_log stderr;
events {}
http {
  access_log off;
  client_body_temp_path `+dir+`/cb; proxy_temp_path `+dir+`/px;
  fastcgi_temp_path `+dir+`/fc; uwsgi_temp_path `+dir+`/uw; scgi_temp_path `+dir+`/sc;
  server {
    include `+dir+`/`+NginxFile+`;
    ssl_certificate `+dir+`/cert.pem;
    ssl_certificate_key `+dir+`/key.pem;
  }
}
`)
	out, err := ns.Run("nginx", "-t", "-c", filepath.Join(dir, "nginx.conf"), "-p", dir)
	if err != nil || !strings.Contains(out, "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	// And a broken snippet must fail the same check (the test can fail).
	must(NginxFile, "listen [::]:80 bogus;\n")
	if out, err := ns.Run("nginx", "-t", "-c", filepath.Join(dir, "nginx.conf"), "-p", dir); err == nil {
		t.Fatalf("nginx -t accepted a broken snippet:\n%s", out)
	}
}

func writeSelfSigned(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}

func TestChecklist(t *testing.T) {
	p, err := FromConfig(twoRouters())
	if err != nil {
		t.Fatal(err)
	}
	c := twoRouters()
	c.Plan.Mode, c.Plan.PPPoERouter = ModeServerPPPoE, ""
	c.PPPoE = &config.PPPoE{TUN: "ppp-srv"}
	one, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		p      *Plan
		lang   msg.Lang
		phrase []string
	}
	common := map[msg.Lang][]string{
		msg.English: {"PPPoE passthrough on", "Reserve 192.168.1.10", "192.168.1.100–192.168.1.200",
			"IPv6 filter: allow new inbound connections to TCP 80, 443 on the server's stable IPv6 address only",
			"「IPv6パケットフィルタ設定（IPoE）」", "「IPv6フィルター」", "`pppoe pass-through member lan1 lan2`", "`ipv6 filter N pass",
			"One PPPoE session per ISP account", "FLET'S allows two PPPoE sessions per line"},
		msg.Japanese: {"PPPoE パススルーを ON", "IPv6 フィルタ: サーバの固定的な IPv6 アドレスの TCP 80、443 への新しい接続だけを通します",
			"「IPv6パケットフィルタ設定（IPoE）」", "「IPv6フィルター」", "`pppoe pass-through member lan1 lan2`", "アカウント1つにつき1本", "2セッションまで", "フレッツ"},
	}
	for _, w := range []want{
		{p, msg.English, []string{"`ipv4: seen`", "DHCP server off", "TCP 80, 443 to the server 192.168.1.10", "Two cables to the IPoE router", "Internet@Start off", "「ポート変換」"}},
		{p, msg.Japanese, []string{"`ipv4: seen`", "DHCP サーバを OFF", "TCP 80、443 をサーバ 192.168.1.10", "ケーブルは2本", "「Internet@Start」を OFF", "「ポート変換」"}},
		{one, msg.English, []string{"Retire the PPPoE router", "Retire the cron job", "`ufw allow in on ppp-srv to any port 80 proto tcp`", "gateway4"}},
		{one, msg.Japanese, []string{"PPPoE ルータは外します", "のジョブをやめます", "`ufw allow in on ppp-srv to any port 80 proto tcp`", "gateway4"}},
	} {
		steps := checklistSteps(w.p, w.lang)
		for _, s := range append(w.phrase, common[w.lang]...) {
			if !strings.Contains(steps, s) {
				t.Errorf("%s %s checklist lacks %q:\n%s", w.p.Mode, w.lang, s, steps)
			}
		}
		out := string(Checklist(w.p, w.lang))
		for _, l := range strings.Split(out, "\n") {
			if termtext.DisplayWidth(l) > termtext.Width {
				t.Errorf("%s %s line wider than 80: %q", w.p.Mode, w.lang, l)
			}
		}
		if !strings.Contains(out, "- [ ] ") || strings.Count(out, "\n## ") < 3 {
			t.Errorf("not a Markdown checklist:\n%s", out)
		}
	}
	// One template: both languages have the same steps, one for one.
	for _, q := range []*Plan{p, one} {
		en, ja := checklistSteps(q, msg.English), checklistSteps(q, msg.Japanese)
		if strings.Count(en, "\n") != strings.Count(ja, "\n") || en == ja {
			t.Errorf("%s: English and Japanese differ in shape", q.Mode)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	p, err := FromConfig(twoRouters())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	files := Generate(p, msg.English)
	if _, err := WriteFiles(dir, files, false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, NetplanFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("netplan file: %v %v", st, err)
	}
	// Same content again: fine, reported unchanged.
	res, err := WriteFiles(dir, files, false)
	if err != nil || !res[0].Unchanged {
		t.Fatalf("rewrite same: %v %+v", err, res)
	}
	// A user's edit is not overwritten without force, and nothing is written.
	edited := filepath.Join(dir, NginxFile)
	if err := os.WriteFile(edited, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ChecklistENFile))
	if _, err := WriteFiles(dir, files, false); !errors.Is(err, ErrExists) {
		t.Fatalf("want ErrExists, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ChecklistENFile)); err == nil {
		t.Fatal("a refused write still wrote other files")
	}
	if _, err := WriteFiles(dir, files, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(edited); string(b) != string(files[1].Content) {
		t.Fatal("force did not replace the file")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// The generated files' comments follow the language: Japanese with no
// English words under a Japanese locale, English otherwise, every line
// within 80 columns; what is not a comment is the same in both.
func TestGeneratedCommentsFollowTheLanguage(t *testing.T) {
	one := twoRouters()
	one.Plan.Mode, one.Plan.PPPoERouter = ModeServerPPPoE, ""
	for _, c := range []*config.Config{twoRouters(), one} {
		p, err := FromConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, gen := range []struct {
			name string
			make func(*Plan, msg.Lang) []byte
		}{{NetplanFile, Netplan}, {NginxFile, NginxListen}} {
			en, ja := string(gen.make(p, msg.English)), string(gen.make(p, msg.Japanese))
			bodies := map[msg.Lang][]string{}
			var jaComments []string
			for lang, out := range map[msg.Lang]string{msg.English: en, msg.Japanese: ja} {
				for _, l := range strings.Split(out, "\n") {
					if w := termtext.DisplayWidth(l); w > termtext.Width {
						t.Errorf("%s (%s, %s): %d columns: %q", gen.name, p.Mode, lang, w, l)
					}
					c, isComment := strings.CutPrefix(strings.TrimSpace(l), "# ")
					switch {
					case !isComment:
						bodies[lang] = append(bodies[lang], l)
					case lang == msg.English && msgtest.HasJapanese(c):
						t.Errorf("%s (%s): Japanese in an English comment: %q", gen.name, p.Mode, l)
					case lang == msg.Japanese:
						if !msgtest.HasJapanese(c) {
							t.Errorf("%s (%s): a Japanese comment is not Japanese: %q", gen.name, p.Mode, l)
						}
						jaComments = append(jaComments, c)
					}
				}
			}
			if len(jaComments) == 0 {
				t.Errorf("%s (%s): no comments:\n%s", gen.name, p.Mode, ja)
			}
			msgtest.Japanese(t, strings.Join(jaComments, "\n"))
			if strings.Join(bodies[msg.English], "\n") != strings.Join(bodies[msg.Japanese], "\n") {
				t.Errorf("%s (%s): the settings differ by language:\n%s\n---\n%s", gen.name, p.Mode, en, ja)
			}
		}
	}
}
