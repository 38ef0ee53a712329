package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/termtext"
)

// good is a complete, valid config; PASS, MYDNS and TSIG are replaced by
// secret files the test creates with mode 0600.
const good = `interface: enp1s0
pppoe:
  username: user@example.ne.jp
  password_file: PASS
  mtu: 1454
  macvlan: true
  table: 4242
  echo_interval: 10s
expose:
  tcp: [80, 443]
  udp: []
  icmp_echo: true
ddns:
  - provider: mydns
    username: mydns123456
    password_file: MYDNS
    ipv4: pppoe
    ipv6: interface:enp1s0
  - provider: rfc2136
    server: 192.0.2.53:53
    zone: example.jp.
    name: www.example.jp.
    tsig_key_file: TSIG
    ipv4: pppoe
    ipv6: interface:enp1s0
status:
  socket: /run/dualpath/status.sock
metrics:
  listen: 127.0.0.1:9842
plan:
  mode: server-pppoe
  subnet: 192.168.1.0/24
  server: 192.168.1.10
  ipoe_router: 192.168.1.1
  dhcp_range: 192.168.1.100-192.168.1.200
  ipv6_gateway: fe80::1
`

type secrets struct{ pass, mydns, tsig string }

func writeSecrets(t *testing.T) secrets {
	t.Helper()
	dir := t.TempDir()
	s := secrets{filepath.Join(dir, "pppoe.pass"), filepath.Join(dir, "mydns.pass"), filepath.Join(dir, "tsig.key")}
	for _, p := range []string{s.pass, s.mydns, s.tsig} {
		if err := os.WriteFile(p, []byte("s3cret-"+filepath.Base(p)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s secrets) fill(y string) string {
	return strings.NewReplacer("PASS", s.pass, "MYDNS", s.mydns, "TSIG", s.tsig).Replace(y)
}

func validateEnv(c *Config, env map[string]string) error {
	return c.validate(validateOpts{getenv: func(k string) string { return env[k] }, host: true})
}

func TestGoodConfig(t *testing.T) {
	s := writeSecrets(t)
	c, err := Parse("dualpath.yaml", []byte(s.fill(good)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := validateEnv(c, nil); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.PPPoE.MTU != 1454 || c.PPPoE.Table != 4242 || !c.PPPoE.Macvlan || c.PPPoE.EchoInterval != 10*time.Second {
		t.Errorf("pppoe decoded wrong: %+v", c.PPPoE)
	}
	if c.PPPoE.TUN != "dp-ppp0" || c.PPPoE.Auth != "auto" || c.PPPoE.EchoFailures != 3 {
		t.Errorf("pppoe defaults not applied: %+v", c.PPPoE)
	}
	if len(c.Expose.TCP) != 2 || c.Expose.TCP[1] != 443 || !*c.Expose.ICMPEcho {
		t.Errorf("expose decoded wrong: %+v", c.Expose)
	}
	if len(c.DDNS) != 2 || c.DDNS[1].Zone != "example.jp." || c.DDNS[0].Keepalive != 24*time.Hour || c.DDNS[1].Interval != 5*time.Minute {
		t.Errorf("ddns decoded wrong: %+v", c.DDNS)
	}
	if c.StateDir != "/var/lib/dualpath" || c.Plan.IPoERouter != "192.168.1.1" {
		t.Errorf("state_dir/plan wrong: %q %+v", c.StateDir, c.Plan)
	}
	if p := c.Position("ddns[1].zone"); p != (Pos{21, 5}) {
		t.Errorf("Position(ddns[1].zone) = %v, want 21:5", p)
	}
	if p := c.Position("pppoe.service"); p != (Pos{2, 1}) { // not written: falls back to the section
		t.Errorf("Position(pppoe.service) = %v, want 2:1", p)
	}
	for _, sum := range []string{c.Summary().EN, c.Summary().JA} {
		for _, want := range []string{"user@example.ne.jp", "enp1s0", "MTU 1454", "TCP 80,443", "mydns", "www.example.jp", "127.0.0.1:9842"} {
			if !strings.Contains(sum, want) {
				t.Errorf("summary lacks %q: %s", want, sum)
			}
		}
		if strings.Contains(sum, "s3cret") {
			t.Errorf("summary shows a secret: %s", sum)
		}
	}
}

// TestBadConfigs is the documented list of config mistakes and the exact
// errors they give.
func TestBadConfigs(t *testing.T) {
	s := writeSecrets(t)
	loose := filepath.Join(t.TempDir(), "loose.pass")
	if err := os.WriteFile(loose, []byte("pw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil { // umask-proof
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope.pass")
	tests := []struct {
		name string
		edit func(string) string
		want string // the whole error text
	}{
		{"unknown top-level key", rep("interface: enp1s0", "interfce: enp1s0"),
			`dualpath.yaml:1:1: interfce: unknown key: did you mean "interface"?`},
		{"unknown nested key", rep("  mtu: 1454", "  mut: 1454"),
			`dualpath.yaml:5:3: pppoe.mut: unknown key: did you mean "mtu"?`},
		{"wrong type", rep("  mtu: 1454", "  mtu: big"),
			`dualpath.yaml:5:3: pppoe.mtu: "big" is not a whole number`},
		{"impossible mtu", rep("  mtu: 1454", "  mtu: 9000"),
			`dualpath.yaml:5:3: pppoe.mtu: 9000 is larger than 1500 (1492 over Ethernet, 1500 with RFC 4638); use 1454 for NTT FLET'S`},
		{"port out of range", rep("tcp: [80, 443]", "tcp: [80, 70000]"),
			`dualpath.yaml:10:13: expose.tcp[1]: 70000 is not a port number (1-65535)`},
		{"port zero", rep("tcp: [80, 443]", "tcp: [0, 443]"),
			`dualpath.yaml:10:9: expose.tcp[0]: 0 is not a port number (1-65535)`},
		{"port twice", rep("tcp: [80, 443]", "tcp: [443, 443]"),
			`dualpath.yaml:10:14: expose.tcp[1]: port 443 is listed twice`},
		{"scalar for a list", rep("tcp: [80, 443]", "tcp: 80"),
			`dualpath.yaml:10:3: expose.tcp: expected a list (like [80, 443] or lines starting with -), got "80"`},
		{"duration without unit", rep("echo_interval: 10s", "echo_interval: 10"),
			`dualpath.yaml:8:3: pppoe.echo_interval: 10 has no unit: write it like 10s (seconds), 5m or 24h`},
		{"bad duration", rep("echo_interval: 10s", "echo_interval: soon"),
			`dualpath.yaml:8:3: pppoe.echo_interval: "soon" is not a duration: write it like 10s, 5m or 24h`},
		{"reserved table", rep("table: 4242", "table: 254"),
			`dualpath.yaml:7:3: pppoe.table: 254 is reserved by Linux (253 default, 254 main, 255 local): pick a free number such as 4242`},
		{"secret readable by others", rep("password_file: PASS", "password_file: "+loose),
			`dualpath.yaml:4:3: pppoe.password_file: ` + loose + ` is accessible by group or others (mode 0644): it holds a secret; run chmod 600 ` + loose},
		{"secret missing", rep("password_file: PASS", "password_file: "+missing),
			`dualpath.yaml:4:3: pppoe.password_file: ` + missing + ` does not exist: write the secret into it (one line) and run chmod 600 ` + missing},
		{"relative secret path", rep("password_file: PASS", "password_file: pppoe.pass"),
			`dualpath.yaml:4:3: pppoe.password_file: "pppoe.pass" is not an absolute path: write it in full, e.g. /etc/dualpath/pppoe.pass`},
		{"missing username", rep("  username: user@example.ne.jp\n", ""),
			`dualpath.yaml:2:1: pppoe.username: missing: the PPPoE user name from your ISP (e.g. user@example.ne.jp)`},
		{"unknown provider", rep("provider: mydns", "provider: noip"),
			`dualpath.yaml:14:5: ddns[0].provider: unknown provider "noip": use one of mydns, rfc2136, cloudflare, duckdns or dyndns2`},
		{"pppoe as an IPv6 source", rep("    ipv6: interface:enp1s0\n  - provider: rfc2136", "    ipv6: pppoe\n  - provider: rfc2136"),
			`dualpath.yaml:18:5: ddns[0].ipv6: pppoe gives only IPv4 here: use interface:NAME for the AAAA record`},
		{"bad address source", rep("    ipv4: pppoe\n    ipv6: interface:enp1s0\n  - provider: rfc2136", "    ipv4: dhcp\n    ipv6: interface:enp1s0\n  - provider: rfc2136"),
			`dualpath.yaml:17:5: ddns[0].ipv4: "dhcp" is not an address source: use pppoe, tunnel, interface:NAME, http:URL, static:ADDR, seen or none`},
		{"metrics on all addresses", rep("listen: 127.0.0.1:9842", "listen: 0.0.0.0:9842"),
			`dualpath.yaml:29:3: metrics.listen: 0.0.0.0:9842 is not a loopback address and the metrics show your session address and traffic: use 127.0.0.1:9842, or set metrics.allow_remote: true`},
		{"duplicate key", rep("  macvlan: true\n", "  macvlan: true\n  macvlan: false\n"),
			`dualpath.yaml:7:3: pppoe.macvlan: key appears twice (line 6 and line 7): keep one`},
		{"not a boolean", rep("macvlan: true", "macvlan: maybe"),
			`dualpath.yaml:6:3: pppoe.macvlan: "maybe" is not true or false`},
		{"tab indentation", rep("  mtu: 1454", "\tmtu: 1454"),
			`dualpath.yaml:5:1: a tab in the indentation: YAML indents with spaces only`},
		{"interface name too long", rep("interface: enp1s0", "interface: enp1s0-much-too-long"),
			`dualpath.yaml:1:1: interface: "enp1s0-much-too-long" is longer than 15 characters, the Linux limit for interface names`},
		{"relative socket", rep("socket: /run/dualpath/status.sock", "socket: status.sock"),
			`dualpath.yaml:27:3: status.socket: "status.sock" is not an absolute path`},
		{"dhcp range holds the server", rep("dhcp_range: 192.168.1.100-192.168.1.200", "dhcp_range: 192.168.1.2-192.168.1.200"),
			`dualpath.yaml:35:3: plan.dhcp_range: 192.168.1.2-192.168.1.200 contains 192.168.1.10 (plan.server): static addresses must be outside the DHCP range`},
		{"section of the wrong shape", rep("expose:\n  tcp: [80, 443]\n  udp: []\n  icmp_echo: true\n", "expose: [80, 443]\n"),
			`dualpath.yaml:9:9: expose: expected keys and values (a mapping) for expose, got a list`},
		{"empty file", func(string) string { return "# nothing yet\n" },
			`dualpath.yaml: the file is empty: start from the example in /usr/share/doc/dualpath/dualpath.yaml`},
		{"two documents", func(y string) string { return y + "---\ninterface: eth0\n" },
			`dualpath.yaml:37:1: a second YAML document (after ---): keep the whole config in one document`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := s.fill(tt.edit(good))
			c, err := Parse("dualpath.yaml", []byte(y))
			if err == nil {
				err = validateEnv(c, nil)
			}
			if err == nil {
				t.Fatalf("no error; want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Errorf("error is %T, want config.Errors", err)
			}
		})
	}
}

func rep(old, new string) func(string) string {
	return func(y string) string {
		if !strings.Contains(y, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(y, old, new, 1)
	}
}

func TestAllErrorsReported(t *testing.T) {
	y := "interface: eth0\nbogus: 1\npppoe:\n  username: u\n  mtu: 9000\n  table: 0x10\n  echo_failures: 200\n  password_file: /nonexistent/x\n"
	c, err := Parse("f.yaml", []byte(y))
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	if !strings.Contains(err.Error(), "f.yaml:2:1: bogus: unknown key") {
		t.Errorf("got %v", err)
	}
	c, err = Parse("f.yaml", []byte(strings.Replace(y, "bogus: 1\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c.PPPoE.Table != 16 {
		t.Errorf("hex table = %d, want 16", c.PPPoE.Table)
	}
	err = validateEnv(c, nil)
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 errors (mtu, echo_failures, password_file), got %v", err)
	}
	if es[0].Key != "pppoe.mtu" || es[1].Key != "pppoe.echo_failures" || es[2].Key != "pppoe.password_file" {
		t.Errorf("errors not in file order: %v", err)
	}
}

func TestPasswordFromEnvironment(t *testing.T) {
	y := "interface: eth0\npppoe:\n  username: u\n"
	c, err := Parse("f.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateEnv(c, nil); err == nil || !strings.Contains(err.Error(), "pppoe.password_file: missing") {
		t.Errorf("no password: got %v", err)
	}
	env := map[string]string{EnvPPPoEPassword: "from-env"}
	if err := validateEnv(c, env); err != nil {
		t.Errorf("with %s: %v", EnvPPPoEPassword, err)
	}
	pw, err := c.PPPoE.Password(func(k string) string { return env[k] })
	if err != nil || pw != "from-env" {
		t.Errorf("Password() = %q, %v", pw, err)
	}
	// The environment wins over the file.
	s := writeSecrets(t)
	c.PPPoE.PasswordFile = s.pass
	pw, _ = c.PPPoE.Password(func(k string) string { return env[k] })
	if pw != "from-env" {
		t.Errorf("env did not override the file: %q", pw)
	}
	pw, err = c.PPPoE.Password(func(string) string { return "" })
	if err != nil || pw != "s3cret-pppoe.pass" {
		t.Errorf("from file: %q, %v", pw, err)
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if s, err := ReadSecret(write("a", "hunter2\r\n", 0o600)); err != nil || s != "hunter2" {
		t.Errorf("crlf: %q %v", s, err)
	}
	if s, err := ReadSecret(write("b", "pass word", 0o400)); err != nil || s != "pass word" {
		t.Errorf("no newline, 0400: %q %v", s, err)
	}
	for _, c := range []struct {
		path, want string
	}{
		{write("c", "topsecret\n", 0o640), "run chmod 600"},
		{write("d", "topsecret\n", 0o604), "run chmod 600"},
		{write("e", "\n", 0o600), "is empty"},
		{write("f", " \t\r\n", 0o600), "is empty"},
		{dir, "not a regular file"},
		{filepath.Join(dir, "none"), "does not exist"},
	} {
		_, err := ReadSecret(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.path, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "topsecret") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func TestErrorfPosition(t *testing.T) {
	s := writeSecrets(t)
	c, err := Parse("dualpath.yaml", []byte(s.fill(good)))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Errorf("ddns[0].username", "MasterID %s looks wrong", "x")
	if got := e.Error(); got != `dualpath.yaml:15:5: ddns[0].username: MasterID x looks wrong` {
		t.Errorf("got %s", got)
	}
	var code Config
	if got := code.Errorf("pppoe.mtu", "bad").Error(); got != "pppoe.mtu: bad" {
		t.Errorf("config built in code: %s", got)
	}
}

func TestAliasBomb(t *testing.T) {
	y := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	if _, err := Parse("bomb.yaml", []byte(y)); err == nil {
		t.Fatal("accepted")
	}
	// Aliases into a known list still work within the budget.
	y = "interface: eth0\nexpose:\n  tcp: &web [80, 443]\n  udp: *web\n"
	c, err := Parse("f.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Expose.UDP) != 2 || c.Expose.UDP[0] != 80 {
		t.Errorf("alias: %+v", c.Expose)
	}
}

// TestShippedExample checks the example config the .deb installs as
// /etc/dualpath/dualpath.yaml: it must parse and pass every check that does
// not depend on the host (its secret files exist only after installation).
func TestShippedExample(t *testing.T) {
	c, err := Load("../../packaging/dualpath.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.validate(validateOpts{}); err != nil {
		t.Fatal(err)
	}
	if c.PPPoE == nil || c.PPPoE.MTU != 1454 || len(c.Expose.TCP) != 2 || len(c.DDNS) != 1 {
		t.Errorf("example changed shape: %+v", c)
	}
}

func TestSuggestOnlyCloseKeys(t *testing.T) {
	fields := map[string]int{"mtu": 0, "log": 1, "password_file": 2, "username": 3}
	for _, c := range []struct{ typed, want string }{
		{"mut", `: did you mean "mtu"?`},
		{"pasword_file", `: did you mean "password_file"?`},
		{"usernmae", `: did you mean "username"?`},
		{"foo", " (known keys here: log, mtu, password_file, username)"},
	} {
		if got := suggest(c.typed, fields).EN; got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
}

// A binary or huge file is "not a YAML text file", not a YAML syntax error
// on some line.
func TestNotAYAMLTextFile(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7 + i/3)
	}
	huge := []byte("interface: enp1s0\n# " + strings.Repeat("x", MaxFileSize) + "\n")
	for name, data := range map[string][]byte{"random": random, "huge": huge, "latin1": []byte("interface: \xe9\n")} {
		_, err := Parse("f.yaml", data)
		if err == nil || !strings.Contains(err.Error(), "f.yaml: not a YAML text file") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// yamlComment is a commented-out line of YAML in an example ("# tunnel:",
// "#   - url: ..."): the same in both examples.
var yamlComment = regexp.MustCompile(`^\s*#\s+(- )?[a-z_0-9]+:( |$)`)

// TestShippedExampleJapanese checks the Japanese example the .deb ships
// as /usr/share/doc/dualpath/dualpath.ja.yaml: the same settings as the
// English one, key for key (also those commented out), and comments that
// are Japanese within 80 columns (commands to type, indented, aside).
func TestShippedExampleJapanese(t *testing.T) {
	en, err := Load("../../packaging/dualpath.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ja, err := Load("../../packaging/dualpath.ja.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := ja.validate(validateOpts{}); err != nil {
		t.Fatal(err)
	}
	en.Path, ja.Path, en.pos, ja.pos = "", "", nil, nil
	if !reflect.DeepEqual(en, ja) {
		t.Errorf("the Japanese example's settings differ from the English one's:\n%+v\n%+v", en, ja)
	}
	read := func(path string) (keys, comments []string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if yamlComment.MatchString(l) {
				keys = append(keys, strings.Fields(strings.SplitN(l, "#", 3)[1])[0])
				continue
			}
			// An indented comment is a command to type, as a code
			// block of Markdown.
			if _, c, ok := strings.Cut(l, "# "); ok && !strings.HasPrefix(c, "  ") {
				comments = append(comments, c)
			}
		}
		return keys, comments
	}
	enKeys, _ := read("../../packaging/dualpath.yaml")
	jaKeys, comments := read("../../packaging/dualpath.ja.yaml")
	if !reflect.DeepEqual(enKeys, jaKeys) {
		t.Errorf("commented-out keys differ:\nen %q\nja %q", enKeys, jaKeys)
	}
	msgtest.Japanese(t, strings.Join(comments, "\n"))
	b, _ := os.ReadFile("../../packaging/dualpath.ja.yaml")
	for i, l := range strings.Split(string(b), "\n") {
		if w := termtext.DisplayWidth(l); w > termtext.Width && strings.HasPrefix(strings.TrimSpace(l), "#") && !yamlComment.MatchString(l) {
			t.Errorf("line %d: %d columns", i+1, w)
		}
	}
}
