package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
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
