//go:build linux

// Package scripts holds the tests of the shell scripts in this directory.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The stand-ins deps.sh finds first on PATH. The machine has no running
// systemd and the test must not install anything, so dpkg-query, apt-get
// and systemctl are replaced by scripts that keep their state in $STATE:
//
//	installed/PKG  a package dpkg-query reports installed
//	units          `systemctl list-unit-files` lines: UNIT STATE
//	calls          every systemctl and apt-get call, one line each
//	policy         what /usr/sbin/policy-rc.d answered while apt-get ran
//
// apt-get "installs" by creating installed/PKG and, for the packages listed
// in $STATE/ships/PKG, adding that unit as enabled (what deb-systemd-helper
// does on a first install). Then it does what the packages' maintainer
// scripts do through invoke-rc.d(8) and deb-systemd-invoke: ask
// /usr/sbin/policy-rc.d, and call systemctl unless it answers 101.
var standIns = map[string]string{
	"systemctl": `#!/bin/sh
echo "systemctl $*" >>"$STATE/calls"
case "$1" in
list-unit-files) cat "$STATE/units" ;;
disable)
	for u; do case $u in -*|disable) ;; *)
		sed -i "s/^$u enabled\$/$u disabled/" "$STATE/units" ;; esac; done ;;
esac
`,
	"dpkg-query": `#!/bin/sh
case "$*" in
*'${db:Status-Abbrev}'*) for p in "$STATE"/installed/*; do echo "ii  ${p##*/}"; done ;;
*'${Status}'*) eval "p=\${$#}"; [ -e "$STATE/installed/$p" ] || exit 1; printf 'install ok installed' ;;
*) exit 2 ;;
esac
`,
	"apt-get": `#!/bin/sh
echo "apt-get $*" >>"$STATE/calls"
[ "$1" = update ] && exit 0
for p; do case $p in -*|install|purge) continue ;; esac
	touch "$STATE/installed/$p"
	if [ -e "$STATE/ships/$p" ]; then
		u=$(cat "$STATE/ships/$p")
		grep -q "^$u " "$STATE/units" || echo "$u enabled" >>"$STATE/units"
		action=start
	else
		u=nginx.service action=restart   # an upgrade restarts the service
	fi
	/usr/sbin/policy-rc.d "${u%.service}" "$action"; rc=$?
	echo "$u $action: $rc $(sed -n 2p /usr/sbin/policy-rc.d)" >>"$STATE/policy"
	[ $rc = 101 ] || systemctl "$action" "$u"
done
exit "${APT_EXIT:-0}"
`,
}

// depsRun is one run of deps.sh in a private mount namespace whose
// /usr/sbin is an overlay on the host's: the script writes the real
// /usr/sbin/policy-rc.d, as it does for users, and the host's stays as it
// is. prelude and postlude run in that namespace before and after it.
type depsRun struct {
	state  string
	out    string
	err    error
	policy string // /usr/sbin/policy-rc.d afterwards, "" when absent
	mode   os.FileMode
	sbin   []string // /usr/sbin/policy-rc.d* afterwards
}

func runDeps(t *testing.T, missing []string, prelude string, env ...string) depsRun {
	t.Helper()
	dir := t.TempDir()
	repo, bin, state := filepath.Join(dir, "repo"), filepath.Join(dir, "bin"), filepath.Join(dir, "state")
	for _, d := range []string{filepath.Join(repo, "scripts"), bin, filepath.Join(state, "installed"),
		filepath.Join(state, "ships"), filepath.Join(dir, "upper"), filepath.Join(dir, "work")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, "deps.sh", filepath.Join(repo, "scripts", "deps.sh"), 0o755)
	copyFile(t, "../go.mod", filepath.Join(repo, "go.mod"), 0o644)
	copyFile(t, "../go.sum", filepath.Join(repo, "go.sum"), 0o644)
	for name, text := range standIns {
		writeFile(t, filepath.Join(bin, name), text, 0o755)
	}
	// Everything deps.sh needs is installed, except the missing ones;
	// nginx is installed, enabled and running before the run.
	for _, p := range pkgList(t) {
		if !slices.Contains(missing, p) {
			writeFile(t, filepath.Join(state, "installed", p), "", 0o644)
		}
	}
	writeFile(t, filepath.Join(state, "ships", "bind9"), "named.service", 0o644)
	writeFile(t, filepath.Join(state, "units"), "nginx.service enabled\nssh.service enabled\n", 0o644)
	writeFile(t, filepath.Join(state, "calls"), "", 0o644)

	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	script := `set -e
mount -t overlay overlay -o lowerdir=/usr/sbin,upperdir=$DIR/upper,workdir=$DIR/work /usr/sbin
` + prelude + `
rc=0; bash "$DIR/repo/scripts/deps.sh" || rc=$?
if [ -e /usr/sbin/policy-rc.d ]; then
	cat /usr/sbin/policy-rc.d >"$DIR/policy-after"; stat -c %a /usr/sbin/policy-rc.d >"$DIR/mode-after"
fi
ls -d /usr/sbin/policy-rc.d* >"$DIR/sbin-after" 2>/dev/null || true
exit $rc
`
	host, hostErr := os.ReadFile("/usr/sbin/policy-rc.d")
	defer func() { // the overlay kept the machine's own file out of reach
		after, err := os.ReadFile("/usr/sbin/policy-rc.d")
		if string(after) != string(host) || (err == nil) != (hostErr == nil) {
			t.Errorf("the machine's /usr/sbin/policy-rc.d changed: %q -> %q", host, after)
		}
	}()
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append([]string{
		"PATH=" + bin + ":" + filepath.Dir(gobin) + ":/usr/sbin:/usr/bin:/sbin:/bin",
		"DIR=" + dir, "STATE=" + state, "HOME=" + os.Getenv("HOME"),
		"GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS=-mod=mod",
		"GOMODCACHE=" + goEnv(t, gobin, "GOMODCACHE"), "GOCACHE=" + goEnv(t, gobin, "GOCACHE"),
	}, env...)
	out, err := cmd.CombinedOutput()
	r := depsRun{state: state, out: string(out), err: err}
	if b, err := os.ReadFile(filepath.Join(dir, "policy-after")); err == nil {
		r.policy = string(b)
		m, _ := os.ReadFile(filepath.Join(dir, "mode-after"))
		r.mode = parseMode(t, strings.TrimSpace(string(m)))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "sbin-after"))
	r.sbin = strings.Fields(string(b))
	return r
}

func (r depsRun) calls(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(r.state, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (r depsRun) file(t *testing.T, name string) string {
	b, _ := os.ReadFile(filepath.Join(r.state, name))
	return string(b)
}

// harmful matches a systemctl call that would stop, restart or disable a
// service, or keep it from starting.
var harmful = regexp.MustCompile(`^systemctl .*\b(stop|restart|try-restart|reload-or-restart|disable|mask|kill|isolate)\b`)

const docker = "#!/bin/sh\n# the machine own policy\nexit 101\n"

// TestDepsKeepsRunningNginx: nginx was installed, enabled and running
// before deps.sh installs bind9 (new, ships named.service) and nginx-light
// (whose install would restart nginx). No call stops, restarts or disables
// nginx or any other unit (named.service, which appeared with bind9, is
// not started: policy-rc.d said 101 while apt ran); the machine's own
// policy-rc.d is back afterwards, byte for byte, with its mode.
func TestDepsKeepsRunningNginx(t *testing.T) {
	needRoot(t)
	r := runDeps(t, []string{"bind9", "nginx-light"}, `printf '`+docker+`' >/usr/sbin/policy-rc.d; chmod 750 /usr/sbin/policy-rc.d`)
	if r.err != nil {
		t.Fatalf("deps.sh: %v\n%s", r.err, r.out)
	}
	calls := r.calls(t)
	var disabled []string
	for _, c := range calls {
		if strings.Contains(c, "nginx") && harmful.MatchString(c) {
			t.Errorf("deps.sh made the call %q on the running nginx", c)
		}
		if harmful.MatchString(c) {
			disabled = append(disabled, c)
		}
	}
	if len(disabled) > 0 {
		t.Errorf("stop/restart/disable calls = %q, want none", disabled)
	}
	if !slices.Contains(calls, "apt-get install -y -qq --no-install-recommends nginx-light bind9") {
		t.Errorf("apt-get was not asked to install the missing packages; calls:\n%s", strings.Join(calls, "\n"))
	}
	// While apt ran, policy-rc.d was ours and forbade every action.
	policy := strings.Split(strings.TrimSpace(r.file(t, "policy")), "\n")
	if len(policy) != 2 {
		t.Fatalf("apt-get asked policy-rc.d %d times, want 2:\n%s", len(policy), strings.Join(policy, "\n"))
	}
	for _, l := range policy {
		if !strings.Contains(l, ": 101 # dualpath scripts/deps.sh") {
			t.Errorf("policy-rc.d while apt ran: %q, want exit 101 from deps.sh's file", l)
		}
	}
	if r.policy != docker || r.mode != 0o750 {
		t.Errorf("policy-rc.d afterwards: %q mode %o, want the one that was there (%q, 750)", r.policy, r.mode, docker)
	}
	if strings.Join(r.sbin, " ") != "/usr/sbin/policy-rc.d" {
		t.Errorf("left in /usr/sbin: %q, want only policy-rc.d", r.sbin)
	}
	if units := r.file(t, "units"); !strings.Contains(units, "nginx.service enabled\n") {
		t.Errorf("units afterwards:\n%s\nwant nginx.service still enabled", units)
	}
}

// TestDepsAptFails: apt-get fails; deps.sh fails too, and the policy-rc.d
// it wrote is gone (there was none before).
func TestDepsAptFails(t *testing.T) {
	needRoot(t)
	r := runDeps(t, []string{"tcpdump"}, `rm -f /usr/sbin/policy-rc.d`, "APT_EXIT=100")
	if r.err == nil {
		t.Fatalf("deps.sh succeeded although apt-get failed:\n%s", r.out)
	}
	if r.policy != "" || len(r.sbin) != 0 {
		t.Errorf("after a failed apt-get: policy-rc.d %q, /usr/sbin/policy-rc.d* %q; want none", r.policy, r.sbin)
	}
	for _, c := range r.calls(t) {
		if harmful.MatchString(c) {
			t.Errorf("deps.sh made the call %q", c)
		}
	}
}

// TestDepsAfterKilledRun: a run killed by SIGKILL left its own policy-rc.d
// and the saved original; the next run puts the original back.
func TestDepsAfterKilledRun(t *testing.T) {
	needRoot(t)
	prelude := `printf '#!/bin/sh\n# dualpath scripts/deps.sh: temporary, removed when apt is done\nexit 101\n' >/usr/sbin/policy-rc.d
printf '` + docker + `' >/usr/sbin/policy-rc.d.dualpath-saved; chmod 755 /usr/sbin/policy-rc.d.dualpath-saved`
	r := runDeps(t, []string{"iperf3"}, prelude)
	if r.err != nil {
		t.Fatalf("deps.sh: %v\n%s", r.err, r.out)
	}
	if r.policy != docker || strings.Join(r.sbin, " ") != "/usr/sbin/policy-rc.d" {
		t.Errorf("policy-rc.d afterwards %q (files %q), want the saved original back", r.policy, r.sbin)
	}
}

// TestDepsNothingMissing: with everything installed deps.sh neither runs
// apt nor systemctl and leaves policy-rc.d alone.
func TestDepsNothingMissing(t *testing.T) {
	needRoot(t)
	r := runDeps(t, nil, `rm -f /usr/sbin/policy-rc.d`)
	if r.err != nil {
		t.Fatalf("deps.sh: %v\n%s", r.err, r.out)
	}
	if c := r.calls(t); len(c) != 1 || c[0] != "" {
		t.Errorf("calls with nothing missing: %q, want none", c)
	}
	if len(r.sbin) != 0 {
		t.Errorf("policy-rc.d files afterwards: %q, want none", r.sbin)
	}
}

// pkgList reads the PKGS array of deps.sh.
func pkgList(t *testing.T) []string {
	b, err := os.ReadFile("deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\nPKGS=\(\n(.*?)\n\)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("deps.sh: no PKGS=( ... ) list")
	}
	return strings.Fields(string(m[1]))
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (a private mount namespace with an overlay on /usr/sbin)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare (util-linux)")
	}
}

func goEnv(t *testing.T, gobin, key string) string {
	out, err := exec.Command(gobin, "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func parseMode(t *testing.T, s string) os.FileMode {
	var m os.FileMode
	for _, c := range s {
		if c < '0' || c > '7' {
			t.Fatalf("mode %q", s)
		}
		m = m<<3 | os.FileMode(c-'0')
	}
	return m
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b), mode)
}

func writeFile(t *testing.T, name, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}
