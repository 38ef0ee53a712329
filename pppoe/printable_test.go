package pppoe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"BRAS-東京-01", "BRAS-東京-01"},
		{"ac\x1b[2Jname", "ac?[2Jname"},        // terminal escape
		{"evil\u202etxt.exe", "evil?txt.exe"},  // right-to-left override
		{"line\u0085break\nx", "line?break?x"}, // C1 NEL, newline
		{"bad\xffutf8", "bad\ufffdutf8"},       // invalid UTF-8 shows as U+FFFD
	} {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := Printable(strings.Repeat("あ", 1400))
	if n := utf8.RuneCountInString(long); n != 200 {
		t.Errorf("1400-rune name kept %d runes, want 200", n)
	}
}
