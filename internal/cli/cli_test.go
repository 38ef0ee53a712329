package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

func TestErrorsSpeakTheLocale(t *testing.T) {
	err := Usage(msg.T("no such file %s", "ファイル %s がありません", "x.yaml"))
	if Code(err) != ExitUsage || err.Error() != "no such file x.yaml" {
		t.Errorf("Usage: code %d, %q", Code(err), err)
	}
	if got := Message(err, msg.Japanese); got != "ファイル x.yaml がありません" {
		t.Errorf("Japanese message %q", got)
	}
	if got := Message(Usagef("plain %d", 1), msg.Japanese); got != "plain 1" {
		t.Errorf("an English-only error: %q", got)
	}
	wrapped := fmt.Errorf("context: %w", NotFound(msg.T("gone", "ありません")))
	// Wrapping adds English context: in Japanese the inner text is shown
	// alone rather than with an English fragment before it.
	if Code(wrapped) != ExitNotFound || Message(wrapped, msg.Japanese) != "ありません" || Message(wrapped, msg.English) != "context: gone" {
		t.Errorf("wrapped: %d %q", Code(wrapped), Message(wrapped, msg.Japanese))
	}
	if Code(Fail(msg.T("x", "エックス"))) != ExitFailure {
		t.Error("Fail is not exit 1")
	}
}

// An error put in with %v is said in the reader's language.
func TestFailfSpeaksTheLocale(t *testing.T) {
	_, inner := os.Open(filepath.Join(t.TempDir(), "dualpath.yaml"))
	err := Failf("run: %v", inner)
	if err.Error() != "run: "+inner.Error() || Code(err) != ExitFailure {
		t.Errorf("English: %v", err)
	}
	if got := Message(err, msg.Japanese); !strings.HasPrefix(got, "run: ファイルがありません（") {
		t.Errorf("Japanese: %q", got)
	}
}

// Package flag's errors read in Japanese under a Japanese locale, each
// with the flag and the value given.
func TestFlagErrorsInJapanese(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "-bogus というフラグはありません"},
		{[]string{"--n"}, "-n には値が必要です"},
		{[]string{"--n", "x"}, `-n の値 "x" は使えません: この形式では読めません`},
		{[]string{"--n", "99999999999999999999"}, "範囲外の値です"},
		{[]string{"--d", "x"}, `-d の値 "x" は使えません: この形式では読めません`},
		{[]string{"--b=maybe"}, `-b の値 "maybe" は使えません`},
		{[]string{"---x"}, "フラグの書き方が誤っています: ---x"},
	} {
		fs := NewFlagSet("t")
		fs.Int("n", 0, "")
		fs.Duration("d", 0, "")
		fs.Bool("b", false, "")
		err := Parse(IO{}, fs, c.args)
		if Code(err) != ExitUsage {
			t.Fatalf("%q: exit %d", c.args, Code(err))
		}
		ja := Message(err, msg.Japanese)
		if !strings.Contains(ja, c.want) {
			t.Errorf("%q: %q lacks %q", c.args, ja, c.want)
		}
		msgtest.Japanese(t, strings.Split(ja, "\n")[0])
	}
}

// A flag's argument is named as the usage line names it, also when the
// flag may be repeated ("[--nginx SITE_FILE]...").
func TestFlagArgFromUsageLine(t *testing.T) {
	fs := NewFlagSet("t")
	fs.String("nginx", "", "")
	fs.String("config", "", "")
	fs.String("kinds", "", "")
	got := map[string]string{}
	for _, f := range Flags(fs, "plan --config FILE [--nginx SITE_FILE]... [--kinds K,...]") {
		got[f.Name] = f.Arg
	}
	if got["nginx"] != "SITE_FILE" || got["config"] != "FILE" || got["kinds"] != "K,..." {
		t.Errorf("arguments %v", got)
	}
}
