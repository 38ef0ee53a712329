package msg

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/termtext"
)

func TestFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want Lang
	}{
		{nil, English},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, Japanese},
		{map[string]string{"LANG": "ja"}, Japanese},
		{map[string]string{"LANG": "en_US.UTF-8"}, English},
		{map[string]string{"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, English},
		{map[string]string{"LC_MESSAGES": "ja_JP.eucJP", "LANG": "C"}, Japanese},
		{map[string]string{"LC_ALL": " ", "LANG": "ja_JP.UTF-8"}, Japanese},
	} {
		got := FromEnv(func(k string) string { return c.env[k] })
		if got != c.want {
			t.Errorf("FromEnv(%v) = %v, want %v", c.env, got, c.want)
		}
	}
	if FromEnv(nil) != English {
		t.Error("nil getenv is not English")
	}
}

func TestTextArgumentsFollowTheLanguage(t *testing.T) {
	inner := T("two routers", "ルーター2台")
	got := T("a house with %s (%d)", "%s の家（%d）", inner, 2)
	if got.EN != "a house with two routers (2)" || got.JA != "ルーター2台の家（2）" {
		t.Errorf("T with a Text argument = %+v", got)
	}
	if j := Join([]Text{Same("80"), Same("443")}, Comma); j.In(English) != "80, 443" || j.In(Japanese) != "80、443" {
		t.Errorf("Join = %+v", j)
	}
	if (Text{EN: "only English"}).In(Japanese) != "only English" {
		t.Error("a Text without Japanese is not printed in English")
	}
}

func TestPrinterFitsWidth(t *testing.T) {
	var b bytes.Buffer
	p := Printer{W: &b, Lang: Japanese}
	p.Printf("  - %s", "  - %s", strings.Repeat("設定ファイルを確認してください。", 8))
	p.Hanging("対処: ", "      ", T("do it", strings.Repeat("ルーターのDHCPを止めてください、", 6)))
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		if w := termtext.DisplayWidth(l); w > Width {
			t.Errorf("%d columns: %q", w, l)
		}
		if strings.HasPrefix(strings.TrimLeft(l, " "), "、") || strings.HasPrefix(strings.TrimLeft(l, " "), "。") {
			t.Errorf("line starts with closing punctuation: %q", l)
		}
	}
	if !strings.HasPrefix(b.String(), "  - 設定") || !strings.Contains(b.String(), "\n    ") {
		t.Errorf("no hanging indent under the list marker:\n%s", b.String())
	}
}

// call is one catalogue entry found in the source: a T(en, ja, ...) call
// whose two texts are constants.
type call struct {
	pos    token.Position
	en, ja string
}

// catalogue parses every non-test Go file of the module and returns the
// T(en, ja, ...) calls (msg.T, doctor.T, or a package's own T).
func catalogue(t *testing.T) []call {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	fset := token.NewFileSet()
	var calls []call
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || n == "vendor" || (strings.HasPrefix(n, ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) < 2 || !isT(c.Fun) {
				return true
			}
			en, ok1 := constString(c.Args[0])
			ja, ok2 := constString(c.Args[1])
			if ok1 && ok2 {
				calls = append(calls, call{fset.Position(c.Pos()), en, ja})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

func isT(fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name == "T"
	case *ast.SelectorExpr:
		x, _ := f.X.(*ast.Ident)
		return f.Sel.Name == "T" || (f.Sel.Name == "Errorf" && x != nil && x.Name == "msg")
	}
	return false
}

// constString evaluates a string literal or a + of string literals.
func constString(e ast.Expr) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		if v.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(v.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if v.Op != token.ADD {
			return "", false
		}
		a, ok1 := constString(v.X)
		b, ok2 := constString(v.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return constString(v.X)
	}
	return "", false
}

// badIndex is "%[2].1f", which fmt reads as BADINDEX (write "%.1[2]f").
var badIndex = regexp.MustCompile(`%\[\d+\][.\d]`)

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

func verbs(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

var (
	hasJapanese = msgtest.HasJapanese
	quoted      = msgtest.Quoted
	englishIn   = msgtest.EnglishIn
)

// TestEveryMessageHasBothLanguages is the catalogue's tell-tale: every
// T(en, ja) in the tree has an English and a Japanese text, with the same
// format arguments, Japanese punctuation and no English words in the
// Japanese sentence.
func TestEveryMessageHasBothLanguages(t *testing.T) {
	calls := catalogue(t)
	if len(calls) < 50 {
		t.Fatalf("found only %d T calls: the walk is broken", len(calls))
	}
	for _, c := range calls {
		where := c.pos.String()
		if c.en == "" && c.ja == "" {
			continue
		}
		if c.en == "" || c.ja == "" {
			t.Errorf("%s: one language missing: T(%q, %q)", where, c.en, c.ja)
			continue
		}
		ve, vj := verbs(c.en), verbs(c.ja)
		if strings.Join(ve, " ") != strings.Join(vj, " ") && !strings.Contains(strings.Join(vj, "")+strings.Join(ve, ""), "[") {
			t.Errorf("%s: format arguments differ: %v in English, %v in Japanese", where, ve, vj)
		}
		for _, f := range []string{c.en, c.ja} {
			if badIndex.MatchString(f) {
				t.Errorf("%s: %q: an argument index goes right before the verb (%%.1[2]f), not before the precision", where, f)
			}
		}
		if len(englishIn(c.en)) > 0 && !hasJapanese(c.ja) {
			t.Errorf("%s: the Japanese is not Japanese: %q", where, c.ja)
		}
		if !hasJapanese(c.ja) {
			continue
		}
		for _, bad := range []string{", ", "; ", ". "} {
			if strings.Contains(quoted.ReplaceAllString(c.ja, "\x00"), bad) {
				t.Errorf("%s: %q in Japanese (write 「、」「。」): %q", where, bad, c.ja)
			}
		}
		if w := englishIn(c.ja); len(w) > 0 {
			t.Errorf("%s: English %q inside Japanese: %q", where, w, c.ja)
		}
	}
}

// The catalogue test's eye: English phrases inside Japanese are found,
// names and what the user types are not.
func TestEnglishFragmentsAreFound(t *testing.T) {
	for ja, want := range map[string]bool{
		"インターフェース enp1s0: Link not found":       true,
		"期待: 198.51.100.5, a port of PSID 0x12": true,
		"結果: 198.51.100.5:4389 (in set)":        true,
		"IPoE ルータの DHCP 機能を ON にしてください":         false,
		"「dualpath status」で確認してください":            false,
		"デーモンのfdとgoroutineは有界":                  false,
	} {
		if got := len(englishIn(ja)) > 0; got != want {
			t.Errorf("englishIn(%q) = %v", ja, englishIn(ja))
		}
	}
}

// A status line indented once more keeps its label's padding, English or
// Japanese, and continues under its text.
func TestFitKeepsLabelPadding(t *testing.T) {
	for _, line := range []string{
		"  DNS:              mydns www.lab.example A = 203.0.113.3（取得元 pppoe）、更新 3s前、次の再送まで 23h59m",
		"  session:  up on dp-ppp0 via eth0, address 203.0.113.3 (peer 203.0.113.1), up 3s, 1 reconnects",
	} {
		var b bytes.Buffer
		Fit(&b, line)
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		head := hangingIndent.FindString(line)
		if len(lines) < 2 || !strings.HasPrefix(lines[0], head) {
			t.Errorf("label padding lost:\n%s", b.String())
			continue
		}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, strings.Repeat(" ", termtext.DisplayWidth(head))) {
				t.Errorf("continuation not under the text: %q", l)
			}
		}
		for _, l := range lines {
			if termtext.DisplayWidth(l) > Width {
				t.Errorf("too wide: %q", l)
			}
		}
	}
}

// A format's space between an argument and Japanese text is kept for a
// name in Latin letters and dropped where the argument is Japanese on that
// side too; everything else formats as fmt does.
func TestJapaneseJoinsWithoutOddSpaces(t *testing.T) {
	for _, c := range []struct {
		format string
		args   []any
		want   string
	}{
		{"%s は動いていません: %s", []any{T("line", "回線の判定"), "x"}, "回線の判定は動いていません: x"},
		{"%s は動いていません: %s", []any{"tunnel", "x"}, "tunnel は動いていません: x"},
		{"（%s が書かれています）", []any{T("keys and values", "キーと値")}, "（キーと値が書かれています）"},
		{"値 %s を", []any{T("a list", "リスト")}, "値リストを"},
		{"値 %s を", []any{"80"}, "値 80 を"},
		{"100%% の %d 個 %s", []any{3, "です"}, "100% の 3 個です"},
		{"%[1]s は %[1]s", []any{"回線"}, "回線 は 回線"},
		{"「[80]」や %s が", []any{T("x", "値")}, "「[80]」や値が"},
		{"%5.1f%% %s", []any{2.5, "あ"}, "  2.5% あ"},
		{"%s %s", []any{"あ"}, "あ %!s(MISSING)"},
		{"%s % で", []any{"あ", "い"}, ""}, // a broken verb: as fmt formats it
	} {
		if c.want == "" {
			c.want = fmt.Sprintf(c.format, c.args...)
		}
		if got := T("en", c.format, c.args...).JA; got != c.want {
			t.Errorf("T(%q, %v).JA = %q, want %q", c.format, c.args, got, c.want)
		}
	}
}

// A usage line that wraps goes on under the start of the usage, in both
// languages.
func TestUsageLineWrapsUnderItself(t *testing.T) {
	for _, label := range []string{"usage: ", "使い方: "} {
		var b strings.Builder
		Fit(&b, label+"dualpath mape [--json] [--rule R] [--iid draft03|rfc7597] [--check-port N] PREFIX|ADDRESS|--local")
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		indent := strings.Repeat(" ", termtext.DisplayWidth(label))
		if len(lines) != 2 || !strings.HasPrefix(lines[1], indent) || strings.HasPrefix(lines[1], indent+" ") {
			t.Errorf("%q wraps as:\n%s", label, b.String())
		}
	}
}
