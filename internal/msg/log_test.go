package msg_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

// logSome logs what a daemon logs: a line for people with machine values
// and sentences (a Text, an error), a line through a child logger (With),
// and a developer's debug trace.
func logSome(l *slog.Logger) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 80}, Err: syscall.ECONNREFUSED}
	msg.LogInfo(l, msg.T("pppoe session up", "PPPoE セッションがつながりました"),
		"address", netip.MustParseAddr("203.0.113.7"), "mtu", 1492)
	msg.LogWarn(l, msg.T("pppoe session down", "PPPoE セッションが切れました"),
		"reason", msg.T("PADT from the access concentrator", "接続装置から PADT が届きました"), "retry_in", "1s")
	msg.LogError(l.With("component", "ddns"), msg.T("ddns update failed", "DDNS の更新に失敗しました"),
		"record", "mydns mydns123456", "err", refused)
	l.Debug("pppoe discovery", "state", "padi")
}

func textLogger(b *bytes.Buffer, lang msg.Lang) *slog.Logger {
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	h := slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime})
	return slog.New(msg.LogHandler(h, lang))
}

// Under a Japanese locale the lines for people are Japanese, sentences in
// attributes too; keys, machine values and debug traces are as they were.
func TestLogJapanese(t *testing.T) {
	var b bytes.Buffer
	l := textLogger(&b, msg.Japanese)
	if msg.LangOf(l) != msg.Japanese || msg.LangOf(l.With("k", "v")) != msg.Japanese {
		t.Fatal("the logger's language is lost")
	}
	logSome(l)
	out := b.String()
	if n := msgtest.JapaneseLog(t, out, "reason", "err"); n != 3 {
		t.Errorf("read %d lines for people, want 3:\n%s", n, out)
	}
	for _, want := range []string{
		`level=INFO msg="PPPoE セッションがつながりました" address=203.0.113.7 mtu=1492`,
		`level=WARN msg="PPPoE セッションが切れました" reason="接続装置から PADT が届きました" retry_in=1s`,
		`level=ERROR msg="DDNS の更新に失敗しました" component=ddns record="mydns mydns123456" err=接続を拒否されました（192.0.2.1:80）`,
		`level=DEBUG msg="pppoe discovery" state=padi`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
}

// Under any other locale the lines are what they were before the
// catalogue: the English message, errors as err.Error().
func TestLogEnglish(t *testing.T) {
	var b bytes.Buffer
	logSome(textLogger(&b, msg.English))
	want := `level=INFO msg="pppoe session up" address=203.0.113.7 mtu=1492
level=WARN msg="pppoe session down" reason="PADT from the access concentrator" retry_in=1s
level=ERROR msg="ddns update failed" component=ddns record="mydns mydns123456" err="dial tcp 192.0.2.1:80: connection refused"
level=DEBUG msg="pppoe discovery" state=padi
`
	if b.String() != want {
		t.Errorf("English log:\n%s\nwant:\n%s", b.String(), want)
	}
}

// A logger without LogHandler (a library user's, a test's) logs English,
// and a Text attribute is its English string, in JSON too.
func TestLogWithoutLogHandler(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&b, nil))
	if msg.LangOf(l) != msg.English {
		t.Fatal("a plain handler is not English")
	}
	msg.LogWarn(l, msg.T("pppoe session down", "PPPoE セッションが切れました"), "reason", msg.T("silent", "応答なし"))
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["msg"] != "pppoe session down" || m["reason"] != "silent" {
		t.Errorf("JSON line %s: %v", b.String(), err)
	}
}

// The eye of the test above fails on English in a Japanese log line.
func TestJapaneseLogCatchesEnglish(t *testing.T) {
	for line, bad := range map[string]bool{
		`level=INFO msg="pppoe session up" address=203.0.113.7`:                         true,
		`level=WARN msg="PPPoE セッションが切れました" reason="PADT from the access concentrator"`: true,
		`level=INFO msg="PPPoE セッションがつながりました" address=203.0.113.7`:                      false,
		`level=DEBUG msg="pppoe discovery" state=padi`:                                  false,
	} {
		ft := &fakeT{TB: t}
		msgtest.JapaneseLog(ft, line, "reason")
		if ft.failed != bad {
			t.Errorf("JapaneseLog(%q) failed = %v", line, ft.failed)
		}
	}
	if kv, ok := msgtest.LogLine(`level=INFO msg="a \"b\" c" k=v`); !ok || kv["msg"] != `a "b" c` || kv["k"] != "v" {
		t.Errorf("LogLine: %v %v", kv, ok)
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }

// Every log line for people (info, warn, error) of dualpath's own programs
// is written in both languages (LogInfo, LogWarn, LogError, Log): a slog
// call with a message in English alone fails here. Debug traces are for
// developers and stay English; the lab's simulated ISP and house
// (internal/lab) log as the lab's processes, not as dualpath.
func TestLogLinesGoThroughTheCatalogue(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || n == "vendor" || (strings.HasPrefix(n, ".") && path != root) || rel == filepath.Join("internal", "lab") {
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
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "msg" && strings.HasPrefix(sel.Sel.Name, "Log") {
				found++
				return true
			}
			arg := 0
			switch sel.Sel.Name {
			case "Info", "Warn", "Error":
			case "Log":
				arg = 2 // Log(ctx, level, message, ...)
			default:
				return true
			}
			if len(c.Args) <= arg || !isLogger(sel.X) {
				return true
			}
			if lit, ok := c.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				t.Errorf("%s: log line %s in English only: write msg.%s(log, msg.T(en, ja), ...)",
					fset.Position(c.Pos()), lit.Value, map[string]string{"Info": "LogInfo", "Warn": "LogWarn", "Error": "LogError", "Log": "Log"}[sel.Sel.Name])
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 30 {
		t.Errorf("found only %d msg.Log calls: the walk is broken", found)
	}
}

// isLogger reports whether x names a logger: log, d.log, opts.Logger...
func isLogger(x ast.Expr) bool {
	name := ""
	switch v := x.(type) {
	case *ast.Ident:
		name = v.Name
	case *ast.SelectorExpr:
		name = v.Sel.Name
	case *ast.CallExpr: // log.With(...).Info
		if s, ok := v.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == "With" {
			return isLogger(s.X)
		}
	}
	return strings.EqualFold(name, "log") || strings.EqualFold(name, "logger")
}
