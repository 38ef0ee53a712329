package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
)

// runDispatch runs `dualpath args...` in-process as main does and returns
// stdout, stderr (with main's error line) and the exit code.
func runDispatch(env map[string]string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	stdio := cli.IO{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	err := dispatch(context.Background(), stdio, args)
	if err != nil && err.Error() != "" {
		msg.FitText(&errb, "dualpath: "+cli.Message(err, msg.FromEnv(stdio.Getenv)))
	}
	return out.String(), errb.String(), cli.Code(err)
}

func describeAll() []cli.Described {
	return cli.Describe(func(c *cli.Command, args []string, d func(*flag.FlagSet)) error {
		return c.Run(context.Background(), cli.IO{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Describe: d}, args)
	})
}

func assertWithin80(t *testing.T, what, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if w := termtext.DisplayWidth(l); w > termtext.Width {
			t.Errorf("%s: %d columns: %q", what, w, l)
		}
	}
}

// Every command and subcommand of the registry follows one help
// convention, in English and Japanese: -h and --help print the usage line,
// the purpose and every flag on stdout and exit 0; an unknown flag exits 2
// with the usage line.
func TestHelpConvention(t *testing.T) {
	cmds := describeAll()
	if len(cmds) < 10 {
		t.Fatalf("the registry walk found %d commands", len(cmds))
	}
	en := map[string]string{"LANG": "C.UTF-8"}
	ja := map[string]string{"LANG": "ja_JP.UTF-8"}
	for _, d := range cmds {
		args := strings.Fields(d.Name)
		for _, h := range []string{"-h", "--help"} {
			for _, env := range []map[string]string{en, ja} {
				out, errOut, code := runDispatch(env, append(args, h)...)
				what := "dualpath " + d.Name + " " + h + " (" + env["LANG"] + ")"
				if code != 0 || errOut != "" {
					t.Errorf("%s: exit %d, stderr %q", what, code, errOut)
				}
				lang := msg.FromEnv(func(k string) string { return env[k] })
				squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
				if !strings.Contains(squash(out), squash("dualpath "+d.Usage)) || !strings.Contains(squash(out), squash(d.Summary.In(lang))) {
					t.Errorf("%s: no usage line or purpose:\n%s", what, out)
				}
				for _, f := range d.Flags {
					if !strings.Contains(out, "  "+f.Synopsis()+"\n") {
						t.Errorf("%s: flag %s not listed:\n%s", what, f.Synopsis(), out)
					}
				}
				if lang == msg.Japanese && !strings.Contains(out, "使い方: ") {
					t.Errorf("%s: not in Japanese:\n%s", what, out)
				}
				assertWithin80(t, what, out)
			}
		}
		// The usage line names every flag, unless it says [flags]; every
		// flag it names is one the command takes (a subcommand's help lists
		// its own flags, not its siblings').
		if !strings.Contains(d.Usage, "[flags]") {
			for _, f := range d.Flags {
				if !strings.Contains(d.Usage, "--"+f.Name) {
					t.Errorf("usage of %s does not name --%s: %q", d.Name, f.Name, d.Usage)
				}
			}
		}
		for _, m := range usageFlag.FindAllStringSubmatch(d.Usage, -1) {
			if len(d.Subs) == 0 && !slices.ContainsFunc(d.Flags, func(f cli.Flag) bool { return f.Name == m[1] }) {
				t.Errorf("usage of %s names --%s, which it does not take: %q", d.Name, m[1], d.Usage)
			}
		}
		if len(d.Subs) > 0 {
			continue // a bare `lab --no-such-flag` is an unknown subcommand
		}
		_, errOut, code := runDispatch(en, append(args, "--no-such-flag")...)
		if code != cli.ExitUsage || !strings.Contains(errOut, "usage: dualpath "+strings.Fields(d.Usage)[0]) ||
			!strings.Contains(errOut, "no-such-flag") {
			t.Errorf("dualpath %s --no-such-flag: exit %d, stderr %q", d.Name, code, errOut)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"--version"}, {"help", "mape"}} {
		out, errOut, code := runDispatch(ja, args...)
		if code != 0 || errOut != "" || out == "" {
			t.Errorf("dualpath %v: exit %d, stderr %q, stdout %q", args, code, errOut, out)
		}
		assertWithin80(t, strings.Join(args, " "), out)
	}
	out, _, _ := runDispatch(en, "-h")
	for _, d := range cmds {
		if !strings.Contains(d.Name, " ") && !strings.Contains(out, "  "+d.Name+" ") {
			t.Errorf("dualpath -h does not list %s:\n%s", d.Name, out)
		}
	}
	if _, errOut, code := runDispatch(en, "mpae"); code != cli.ExitUsage || !strings.Contains(errOut, `did you mean "mape"?`) {
		t.Errorf("dualpath mpae: exit %d, %q", code, errOut)
	}
	if _, errOut, code := runDispatch(nil); code != cli.ExitUsage || !strings.Contains(errOut, "usage: dualpath COMMAND") {
		t.Errorf("dualpath alone: exit %d, %q", code, errOut)
	}
}

// usageFlag is a flag named in a usage line.
var usageFlag = regexp.MustCompile(`--([a-z][-a-z0-9]*)`)

// generated are the files made from the registry and shipped in the .deb.
var generated = []struct {
	path string
	make func(*bytes.Buffer, []cli.Described)
}{
	{"../../packaging/dualpath.1", func(b *bytes.Buffer, c []cli.Described) { cli.Man(b, c, "", msg.English) }},
	{"../../packaging/dualpath.ja.1", func(b *bytes.Buffer, c []cli.Described) { cli.Man(b, c, "", msg.Japanese) }},
	{"../../packaging/completions/dualpath.bash", func(b *bytes.Buffer, c []cli.Described) { cli.Bash(b, c) }},
	{"../../packaging/completions/_dualpath", func(b *bytes.Buffer, c []cli.Described) { cli.Zsh(b, c) }},
}

// The man page and completions in packaging/ are what the registry makes
// now. DUALPATH_UPDATE_GENERATED=1 rewrites them.
func TestGeneratedFilesUpToDate(t *testing.T) {
	cmds := describeAll()
	for _, g := range generated {
		var b bytes.Buffer
		g.make(&b, cmds)
		if os.Getenv("DUALPATH_UPDATE_GENERATED") == "1" {
			if err := os.MkdirAll(filepath.Dir(g.path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(g.path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(g.path)
		if err != nil || !bytes.Equal(have, b.Bytes()) {
			t.Errorf("%s is not what the command registry makes (%v): run DUALPATH_UPDATE_GENERATED=1 go test ./cmd/dualpath -run Generated", g.path, err)
		}
	}
}

// man -l renders the page without warnings, even 60 columns wide: every
// command and the exit codes appear.
func TestManPageRenders(t *testing.T) {
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed: run scripts/deps.sh")
	}
	text := renderMan(t, msg.English, "C.UTF-8", 60)
	for _, want := range []string{"NAME", "SYNOPSIS", "EXIT STATUS", "dualpath mape", "--check-port", "lab up",
		"/usr/share/doc/dualpath/config.md"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered page lacks %q:\n%s", want, text)
		}
	}
}

// `man dualpath` under a Japanese locale shows the Japanese page, installed
// as the .deb installs it (man/ja/man1/dualpath.1.gz beside
// man/man1/dualpath.1.gz), without warnings: Japanese section names, each
// command's purpose and flags in Japanese, within 80 columns. (man-db takes
// a page under ja/ that is valid UTF-8 as UTF-8.)
func TestJapaneseManPageRenders(t *testing.T) {
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed: run scripts/deps.sh")
	}
	// The ja_JP.UTF-8 locale, made here when the system has none.
	locs := t.TempDir()
	if out, err := exec.Command("localedef", "-i", "ja_JP", "-f", "UTF-8", filepath.Join(locs, "ja_JP.UTF-8")).CombinedOutput(); err != nil {
		t.Skipf("localedef ja_JP.UTF-8: %v: %s", err, out)
	}
	tree := t.TempDir()
	for _, pg := range []struct {
		dir  string
		lang msg.Lang
	}{{"man1", msg.English}, {"ja/man1", msg.Japanese}} {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		cli.Man(zw, describeAll(), "test", pg.lang)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(tree, pg.dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, pg.dir, "dualpath.1.gz"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("man", "dualpath")
	cmd.Env = append(os.Environ(), "MANPATH="+tree, "LOCPATH="+locs, "LANG=ja_JP.UTF-8", "LC_ALL=ja_JP.UTF-8",
		"MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("man dualpath: %v\n%s", err, stderr.String())
	}
	text := string(out)
	flat := strings.Join(strings.Fields(text), "")
	for _, want := range []string{"名前", "書式", "終了ステータス", "dualpathmape", "--check-port", "labup",
		"ポートNが回線のIPv4ポート集合に含まれれば終了コード0", "/usr/share/doc/dualpath/config.ja.md",
		"/usr/share/doc/dualpath/dualpath.ja.yaml"} {
		if !strings.Contains(flat, want) {
			t.Errorf("rendered page lacks %q:\n%s", want, text)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if w := termtext.DisplayWidth(l); w > 80 {
			t.Errorf("%d columns: %q", w, l)
		}
	}
}

// renderMan renders the page in lang with man -l under the locale loc,
// width columns wide; a warning fails the test.
func renderMan(t *testing.T, lang msg.Lang, loc string, width int) string {

	t.Helper()
	var b bytes.Buffer
	cli.Man(&b, describeAll(), "test", lang)
	page := filepath.Join(t.TempDir(), "dualpath.1")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("man", "-l", page)
	cmd.Env = append(os.Environ(), fmt.Sprintf("MANWIDTH=%d", width), "MANPAGER=cat", "PAGER=cat", "LANG="+loc, "LC_ALL="+loc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("man -l: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// The bash completion loads and completes commands, subcommands and flags.
func TestBashCompletion(t *testing.T) {
	var b bytes.Buffer
	cli.Bash(&b, describeAll())
	file := filepath.Join(t.TempDir(), "dualpath.bash")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `source "$1" && complete -p dualpath &&
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _dualpath; echo "${COMPREPLY[*]}"; }
comp dualpath ma; comp dualpath lab d; comp dualpath mape --ch; comp dualpath lab test --j`
	out, err := exec.Command("bash", "-c", script, "bash", file).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	want := "complete -F _dualpath dualpath\nmape\ndown demo\n--check-port\n--json\n"
	if string(out) != want {
		t.Errorf("completions:\n%s\nwant\n%s", out, want)
	}
	if _, err := exec.LookPath("zsh"); err == nil {
		var z bytes.Buffer
		cli.Zsh(&z, describeAll())
		if out, err := exec.Command("zsh", "-n", "-c", z.String()).CombinedOutput(); err != nil {
			t.Errorf("zsh -n: %v\n%s", err, out)
		}
	}
}

// The READMEs carry the exit code table of cli.ExitCodes (the one owner, which
// -h and the man page print too) and name every command.
func TestREADMEsListCommandsAndExitCodes(t *testing.T) {
	for _, r := range []struct {
		file string
		lang msg.Lang
	}{{"../../README.md", msg.English}, {"../../README.ja.md", msg.Japanese}} {
		b, err := os.ReadFile(r.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range cli.ExitCodes {
			row := fmt.Sprintf("| %d | %s |", e.Code, e.Text.In(r.lang))
			if !strings.Contains(string(b), row) {
				t.Errorf("%s lacks the exit code row %q", r.file, row)
			}
		}
		for _, c := range cli.Commands() {
			if !strings.Contains(string(b), "dualpath "+c.Name+" ") {
				t.Errorf("%s does not list the command %s", r.file, c.Name)
			}
		}
	}
}

// Every /usr/share/doc/dualpath file that help, errors and the man page
// point people to is shipped by the .deb (packaging/nfpm.yaml), as are the
// man page and the completions.
func TestPointedDocsAreShipped(t *testing.T) {
	nfpm, err := os.ReadFile("../../packaging/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"/usr/share/man/man1/dualpath.1.gz": true, "/usr/share/man/ja/man1/dualpath.1.gz": true,
		"/usr/share/bash-completion/completions/dualpath": true, "/usr/share/zsh/vendor-completions/_dualpath": true}
	re := regexp.MustCompile(`/usr/share/doc/dualpath/[A-Za-z0-9._-]+\.(md|yaml)`)
	err = filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return err
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "dualpath.1") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllString(string(b), -1) {
				want[m] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 6 {
		t.Fatalf("found only %v", want)
	}
	for dst := range want {
		if !strings.Contains(string(nfpm), "dst: "+dst+"\n") {
			t.Errorf("%s is pointed to but packaging/nfpm.yaml does not ship it", dst)
		}
	}
}
