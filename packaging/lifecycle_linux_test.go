//go:build linux

// Package packaging holds the tests of the .deb: what scripts/release.sh
// builds, and its life cycle under the real dpkg.
package packaging

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

const unit = "dualpath.service"

// debs builds the package twice with scripts/release.sh (1.0.0 and 1.1.0,
// this machine's architecture), once per test binary.
var debs = struct {
	once   sync.Once
	dir    string
	v1, v2 string
	err    error
}{}

func buildDebs(t *testing.T) (v1, v2 string) {
	t.Helper()
	requireRoot(t)
	debs.once.Do(func() {
		debs.dir, debs.err = os.MkdirTemp("", "dualpath-debs-")
		if debs.err != nil {
			return
		}
		target := "linux/" + runtime.GOARCH
		if runtime.GOARCH == "arm" {
			target = "linux/arm/7"
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			debs.err = err
			return
		}
		for _, v := range []string{"v1.0.0", "v1.1.0"} {
			cmd := exec.Command("scripts/release.sh", target)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), "DIST="+debs.dir, "VERSION="+v, "GO="+gobin)
			if out, err := cmd.CombinedOutput(); err != nil {
				debs.err = fmt.Errorf("release.sh %s: %v\n%s", v, err, out)
				return
			}
		}
		m, _ := filepath.Glob(filepath.Join(debs.dir, "dualpath_1.0.0_*.deb"))
		n, _ := filepath.Glob(filepath.Join(debs.dir, "dualpath_1.1.0_*.deb"))
		if len(m) != 1 || len(n) != 1 {
			debs.err = fmt.Errorf("release.sh made %q and %q, want one .deb each", m, n)
			return
		}
		debs.v1, debs.v2 = m[0], n[0]
	})
	if debs.err != nil {
		t.Fatal(debs.err)
	}
	return debs.v1, debs.v2
}

func TestMain(m *testing.M) {
	code := m.Run()
	if debs.dir != "" {
		os.RemoveAll(debs.dir)
	}
	os.Exit(code)
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (dpkg --root chroots into its throw-away root)")
	}
	for _, c := range []string{"dpkg", "dpkg-deb", "unshare", "perl", "useradd"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("needs %s", c)
		}
	}
	if l, err := os.Readlink("/bin"); err != nil || l != "usr/bin" {
		t.Skip("the throw-away root borrows /usr; it needs a merged-/usr host (/bin -> usr/bin)")
	}
}

// root is a throw-away system for dpkg --root: its own /etc, /var, /run
// and dpkg database; /usr is an overlay on the host's (read-only beneath,
// so the package's files land in the overlay's upper directory), mounted in
// a private mount namespace for each command. The host's /usr gives the
// root real sh, useradd, getent, perl, deb-systemd-helper and
// deb-systemd-invoke; only systemctl is a stand-in (/standin/systemctl,
// first on PATH) because the machine runs no systemd: it appends each call
// to /standin/calls and keeps the unit's running state in /standin/active.
type root struct {
	dir, r string
}

const standinSystemctl = `#!/bin/sh
echo "systemctl $*" >>/standin/calls
while [ $# -gt 0 ]; do case $1 in --*) shift ;; *) break ;; esac; done
action=$1; shift
unit=$1; [ "$unit" = -- ] && unit=$2
case $action in
daemon-reload) ;;
start|restart) touch /standin/active ;;
try-restart) [ ! -e /standin/active ] || echo "(restarted $unit)" >>/standin/calls ;;
stop) rm -f /standin/active ;;
is-active) [ -e /standin/active ] ;;
is-enabled)
	if [ -L /etc/systemd/system/multi-user.target.wants/$unit ]; then echo enabled; else echo disabled; exit 1; fi ;;
*) echo "systemctl stand-in: $action not supported" >&2; exit 1 ;;
esac
`

func newRoot(t *testing.T) *root {
	dir := t.TempDir()
	rt := &root{dir: dir, r: filepath.Join(dir, "root")}
	for _, d := range []string{"usr", "etc/systemd/system", "var/lib/dpkg/info", "var/lib/dpkg/updates",
		"var/lib/dpkg/triggers", "var/log", "run/systemd/system", "tmp", "dev", "proc", "standin"} {
		must(t, os.MkdirAll(filepath.Join(rt.r, d), 0o755))
	}
	for _, d := range []string{"usr-upper", "usr-work"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	for _, l := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		if target, err := os.Readlink("/" + l); err == nil {
			must(t, os.Symlink(target, filepath.Join(rt.r, l)))
		}
	}
	must(t, unix.Mknod(filepath.Join(rt.r, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(t, os.Chmod(filepath.Join(rt.r, "dev/null"), 0o666))
	files := map[string]string{
		"etc/passwd":             "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"etc/group":              "root:x:0:\nnogroup:x:65534:\n",
		"etc/shadow":             "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
		"etc/gshadow":            "root:*::\nnogroup:*::\n",
		"etc/nsswitch.conf":      "passwd: files\ngroup: files\nshadow: files\n",
		"var/lib/dpkg/available": "",
		"standin/calls":          "",
		"standin/systemctl":      standinSystemctl,
	}
	// The package depends on passwd (useradd), which the root borrows from
	// the host's /usr: record it as installed.
	st, err := exec.Command("dpkg-query", "-s", "passwd").Output()
	if err != nil {
		t.Skipf("dpkg-query -s passwd: %v", err)
	}
	files["var/lib/dpkg/status"] = strings.TrimRight(string(st), "\n") + "\n\n"
	files["var/lib/dpkg/info/passwd.list"] = ""
	if b, err := os.ReadFile("/etc/login.defs"); err == nil {
		files["etc/login.defs"] = string(b)
	}
	for name, text := range files {
		must(t, os.WriteFile(filepath.Join(rt.r, name), []byte(text), 0o644))
	}
	must(t, os.Chmod(filepath.Join(rt.r, "standin/systemctl"), 0o755))
	// The root has no policy-rc.d (the host's, seen through /usr, would
	// forbid every start): remove it from the overlay.
	rt.sh(t, `rm -f "$R/usr/sbin/policy-rc.d"`)
	must(t, os.Chmod(filepath.Join(rt.r, "etc/shadow"), 0o640))
	must(t, os.Chmod(filepath.Join(rt.r, "etc/gshadow"), 0o640))
	return rt
}

// sh runs a shell script on the host with the root's /usr mounted; $R is
// the root's directory.
func (rt *root) sh(t *testing.T, script string) string {
	t.Helper()
	full := `set -e
mount -t overlay overlay -o lowerdir=/usr,upperdir=$D/usr-upper,workdir=$D/usr-work "$R/usr"
` + script
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", full)
	cmd.Env = []string{"D=" + rt.dir, "R=" + rt.r, "LC_ALL=C",
		"PATH=/standin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}

// dpkg runs dpkg on the root and returns the systemctl calls it caused.
func (rt *root) dpkg(t *testing.T, args ...string) []string {
	t.Helper()
	calls := filepath.Join(rt.r, "standin/calls")
	must(t, os.WriteFile(calls, nil, 0o644))
	rt.sh(t, `dpkg --root="$R" --force-unsafe-io `+strings.Join(args, " ")+` 2>&1`)
	b, err := os.ReadFile(calls)
	must(t, err)
	if s := strings.TrimSpace(string(b)); s != "" {
		return strings.Split(s, "\n")
	}
	return nil
}

// exists reports whether /name is in the root. Under /usr (also through
// the /lib and /bin links) that is the overlay: its upper directory, where
// a character device is a whiteout (deleted), else the host's /usr beneath.
func (rt *root) exists(name string) bool {
	for _, l := range []string{"bin/", "sbin/", "lib/", "lib64/"} {
		if strings.HasPrefix(name, l) {
			name = "usr/" + name
		}
	}
	if rest, ok := strings.CutPrefix(name, "usr/"); ok {
		st, err := os.Lstat(filepath.Join(rt.dir, "usr-upper", rest))
		if err == nil {
			return st.Mode()&os.ModeCharDevice == 0
		}
		_, err = os.Lstat("/usr/" + rest)
		return err == nil
	}
	_, err := os.Lstat(filepath.Join(rt.r, name))
	return err == nil
}

func (rt *root) binary() bool { return rt.exists("usr/bin/dualpath") }

func (rt *root) enabled() bool {
	return rt.exists("etc/systemd/system/multi-user.target.wants/" + unit)
}

func (rt *root) status(t *testing.T) string {
	out := rt.sh(t, `dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status} ${Version}' dualpath 2>/dev/null || echo not-installed`)
	return strings.TrimSpace(out)
}

func wantCalls(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: systemctl calls\n  %s\nwant\n  %s", step, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestLifeCycle plays install -> upgrade -> remove -> reinstall -> purge
// with the real dpkg and the real deb-systemd-helper/-invoke, asserting
// the systemctl calls and the files left after each step.
func TestLifeCycle(t *testing.T) {
	v1, v2 := buildDebs(t)
	rt := newRoot(t)

	// Install: the user is made, the unit is neither enabled nor started.
	calls := rt.dpkg(t, "-i", v1)
	wantCalls(t, "install", calls, "systemctl --system daemon-reload")
	if s := rt.status(t); s != "install ok installed 1.0.0" {
		t.Fatalf("after install: %s", s)
	}
	if !rt.binary() || !rt.exists("lib/systemd/system/"+unit) || !rt.exists("etc/dualpath/dualpath.yaml") ||
		!rt.exists("usr/share/doc/dualpath/copyright") {
		t.Error("after install: a file of the package is missing")
	}
	if rt.enabled() {
		t.Error("install enabled the unit; it must wait for the edited config")
	}
	passwd, _ := os.ReadFile(filepath.Join(rt.r, "etc/passwd"))
	var user string
	for _, l := range strings.Split(string(passwd), "\n") {
		if strings.HasPrefix(l, "dualpath:") {
			user = l
		}
	}
	f := strings.Split(user, ":")
	if len(f) != 7 || f[5] != "/var/lib/dualpath" || f[6] != "/usr/sbin/nologin" || len(f[2]) > 3 {
		t.Errorf("after install: user %q, want a system user with home /var/lib/dualpath and shell nologin", user)
	}

	// What the user does next: edit the config, write a secret, enable and
	// start the service (which makes its state directory).
	rt.sh(t, `echo "# edited" >>"$R/etc/dualpath/dualpath.yaml"
install -m 600 /dev/null "$R/etc/dualpath/pppoe.pass"; echo hunter2 >"$R/etc/dualpath/pppoe.pass"
mkdir -p "$R/var/lib/dualpath"; echo '{}' >"$R/var/lib/dualpath/journal"
systemctl --root="$R" enable `+unit+` 2>&1; touch "$R/standin/active"`)
	if !rt.enabled() {
		t.Fatal("systemctl --root enable made no link")
	}

	// Upgrade: still enabled, restarted once (it was running), config kept.
	calls = rt.dpkg(t, "-i", v2)
	wantCalls(t, "upgrade", calls, "systemctl --system daemon-reload", "systemctl try-restart "+unit, "(restarted "+unit+")")
	if s := rt.status(t); s != "install ok installed 1.1.0" {
		t.Fatalf("after upgrade: %s", s)
	}
	if !rt.enabled() {
		t.Error("after upgrade: the unit is no longer enabled")
	}
	if !rt.exists("standin/active") {
		t.Error("after upgrade: the service is not running")
	}
	if b, _ := os.ReadFile(filepath.Join(rt.r, "etc/dualpath/dualpath.yaml")); !strings.HasSuffix(string(b), "# edited\n") {
		t.Error("after upgrade: the edited config was replaced")
	}

	// Remove: stopped and disabled; config, secrets and state stay.
	calls = rt.dpkg(t, "-r", "dualpath")
	// (deb-systemd-helper reloads systemd itself after removing the link.)
	wantCalls(t, "remove", calls, "systemctl stop "+unit, "systemctl daemon-reload", "systemctl --system daemon-reload")
	if s := rt.status(t); s != "deinstall ok config-files 1.1.0" {
		t.Fatalf("after remove: %s", s)
	}
	if rt.enabled() || rt.exists("standin/active") || rt.binary() || rt.exists("lib/systemd/system/"+unit) {
		t.Errorf("after remove: enabled %v, running %v, binary %v", rt.enabled(), rt.exists("standin/active"), rt.binary())
	}
	for _, f := range []string{"etc/dualpath/dualpath.yaml", "etc/dualpath/pppoe.pass", "var/lib/dualpath/journal"} {
		if !rt.exists(f) {
			t.Errorf("after remove: /%s is gone; remove keeps it (purge deletes it)", f)
		}
	}

	// Reinstall: back, still disabled and stopped (remove disabled it).
	calls = rt.dpkg(t, "-i", v2)
	wantCalls(t, "reinstall", calls, "systemctl --system daemon-reload", "systemctl try-restart "+unit)
	if s := rt.status(t); s != "install ok installed 1.1.0" {
		t.Fatalf("after reinstall: %s", s)
	}
	if rt.enabled() || rt.exists("standin/active") || !rt.binary() {
		t.Errorf("after reinstall: enabled %v, running %v, binary %v; want installed, disabled, stopped",
			rt.enabled(), rt.exists("standin/active"), rt.binary())
	}

	// Enabled and running again, a reinstall while policy-rc.d forbids
	// actions (a container build, an install by scripts/deps.sh) restarts
	// nothing: deb-systemd-invoke asks policy-rc.d.
	rt.sh(t, `systemctl --root="$R" enable `+unit+` 2>&1; touch "$R/standin/active"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"`)
	calls = rt.dpkg(t, "-i", v2)
	wantCalls(t, "reinstall under policy-rc.d 101", calls, "systemctl --system daemon-reload")
	if !rt.enabled() || !rt.exists("standin/active") {
		t.Errorf("reinstall under policy-rc.d 101: enabled %v, running %v; want both", rt.enabled(), rt.exists("standin/active"))
	}
	rt.sh(t, `rm -f "$R/usr/sbin/policy-rc.d"`)

	// Purge: stopped, disabled, and nothing of dualpath's is left but the
	// user.
	calls = rt.dpkg(t, "-P", "dualpath")
	wantCalls(t, "purge", calls, "systemctl stop "+unit, "systemctl daemon-reload", "systemctl --system daemon-reload")
	if s := rt.status(t); s != "not-installed" && !strings.HasPrefix(s, "unknown ok not-installed") {
		t.Fatalf("after purge: %s", s)
	}
	for _, f := range []string{"etc/dualpath", "var/lib/dualpath", "lib/systemd/system/" + unit,
		"var/lib/systemd/deb-systemd-helper-enabled/" + unit + ".dsh-also",
		"var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/" + unit} {
		if rt.exists(f) {
			t.Errorf("after purge: /%s is still there", f)
		}
	}
	if rt.binary() {
		t.Error("after purge: /usr/bin/dualpath is still there")
	}
	if passwd, _ := os.ReadFile(filepath.Join(rt.r, "etc/passwd")); !strings.Contains(string(passwd), "\ndualpath:") {
		t.Error("purge removed the system user; Debian keeps it")
	}
}

// TestDebContents: the copyright file is machine-readable and carries both
// MIT notices of NOTICE word for word; the man pages (English and Japanese)
// and the Japanese example config are shipped; the changelog parses and
// names the version; lintian reports no errors.
func TestDebContents(t *testing.T) {
	v1, _ := buildDebs(t)
	copyright := debFile(t, v1, "./usr/share/doc/dualpath/copyright")
	if !strings.HasPrefix(copyright, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n") {
		t.Errorf("copyright does not start with the DEP-5 Format line")
	}
	// Each paragraph has each field once.
	for i, para := range strings.Split(copyright, "\n\n") {
		seen := map[string]bool{}
		for _, l := range strings.Split(para, "\n") {
			if l == "" || l[0] == ' ' {
				continue
			}
			field, _, ok := strings.Cut(l, ":")
			if !ok || seen[field] {
				t.Errorf("copyright paragraph %d: bad or repeated field in %q", i+1, l)
			}
			seen[field] = true
		}
	}
	notice, err := os.ReadFile("../NOTICE")
	must(t, err)
	text := unfold(copyright)
	for _, holder := range []string{"Copyright (c) 2026 negineri", "Copyright (c) 2024 huggy"} {
		if !strings.Contains(string(notice), holder) {
			t.Fatalf("NOTICE no longer says %q: update this test and packaging/copyright", holder)
		}
		if !strings.Contains(copyright, "Copyright: "+strings.TrimPrefix(holder, "Copyright (c) ")) &&
			!strings.Contains(copyright, " "+strings.TrimPrefix(holder, "Copyright (c) ")+"\n") {
			t.Errorf("copyright lacks %q", holder)
		}
	}
	body := string(notice)
	body = body[strings.Index(body, "Permission is hereby granted"):]
	body = body[:strings.Index(body, "SOFTWARE.\n")+len("SOFTWARE.")]
	if !strings.Contains(text, strings.Join(strings.Fields(body), " ")) {
		t.Error("copyright lacks NOTICE's MIT permission notice word for word")
	}
	if !strings.Contains(copyright, "License: BSD-3-clause\n") || !strings.Contains(copyright, "Files: golang.org/x/sys/*\n") {
		t.Error("copyright lacks the Go toolchain's or golang.org/x/sys's paragraph")
	}

	// What Japanese users read: the man page under /usr/share/man/ja and
	// the example config with Japanese comments, as generated and written.
	for inDeb, src := range map[string]string{"./usr/share/man/ja/man1/dualpath.1.gz": "dualpath.ja.1",
		"./usr/share/doc/dualpath/dualpath.ja.yaml": "dualpath.ja.yaml", "./usr/share/man/man1/dualpath.1.gz": "dualpath.1"} {
		want, err := os.ReadFile(src)
		must(t, err)
		if debFile(t, v1, inDeb) != string(want) {
			t.Errorf("%s in the .deb is not packaging/%s", inDeb, src)
		}
	}

	changelog := debFile(t, v1, "./usr/share/doc/dualpath/changelog.gz")
	f := filepath.Join(t.TempDir(), "changelog")
	must(t, os.WriteFile(f, []byte(changelog), 0o644))
	if _, err := exec.LookPath("dpkg-parsechangelog"); err == nil {
		out, err := exec.Command("dpkg-parsechangelog", "-l", f, "-S", "Version").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "1.0.0" {
			t.Errorf("dpkg-parsechangelog: %v: %s", err, out)
		}
	} else if !strings.HasPrefix(changelog, "dualpath (1.0.0) unstable; urgency=medium\n") {
		t.Errorf("changelog starts %q", changelog)
	}

	if _, err := exec.LookPath("lintian"); err != nil {
		t.Fatal("lintian is not installed (scripts/deps.sh installs it)")
	}
	out, err := exec.Command("lintian", "--fail-on", "error", "--tag-display-limit", "0", v1).CombinedOutput()
	if err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E: ") || strings.HasPrefix(l, "W: ") {
			t.Errorf("lintian: %s (packaging/README.md lists the tags kept on purpose; none is a warning)", l)
		}
	}
}

// debFile returns one file of a .deb, gunzipped when its name ends in .gz.
func debFile(t *testing.T, deb, name string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `dpkg-deb --fsys-tarfile "$1" | tar -xOf - "$2"`, "sh", deb, name).Output()
	if err != nil {
		t.Fatalf("%s in %s: %v", name, deb, err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(strings.NewReader(string(out)))
		must(t, err)
		b, err := io.ReadAll(zr)
		must(t, err)
		return string(b)
	}
	return string(out)
}

// unfold joins a DEP-5 file's continuation lines into words separated by
// single spaces (" ." lines are blank lines).
func unfold(s string) string {
	var words []string
	for _, l := range strings.Split(s, "\n") {
		if l == " ." {
			continue
		}
		words = append(words, strings.Fields(l)...)
	}
	return strings.Join(words, " ")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLifeCycleWithoutSystemd: where systemd does not run (a container, a
// chroot being built), the scripts call no systemctl at all, yet keep the
// enable state across an upgrade and clean up on purge.
func TestLifeCycleWithoutSystemd(t *testing.T) {
	v1, v2 := buildDebs(t)
	rt := newRoot(t)
	must(t, os.RemoveAll(filepath.Join(rt.r, "run/systemd")))
	wantCalls(t, "install", rt.dpkg(t, "-i", v1))
	rt.sh(t, `systemctl --root="$R" enable `+unit+` 2>&1`)
	wantCalls(t, "upgrade", rt.dpkg(t, "-i", v2))
	if !rt.enabled() {
		t.Error("after upgrade: the unit is no longer enabled")
	}
	wantCalls(t, "purge", rt.dpkg(t, "-P", "dualpath"))
	for _, f := range []string{"etc/dualpath", "var/lib/dualpath", "etc/systemd/system/multi-user.target.wants/" + unit} {
		if rt.exists(f) {
			t.Errorf("after purge: /%s is still there", f)
		}
	}
}
