package lab

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/dualpath/dualpath/internal/termtext"
)

// Width is the terminal width the lab's text output fits: every line of
// `lab test`, `lab up` and `lab demo` is at most this many columns, East
// Asian wide characters counting two (as in doctor's report).
const Width = termtext.Width

// Japanese reports whether the locale value lang (LC_ALL, LC_MESSAGES or
// LANG) asks for Japanese output, e.g. "ja_JP.UTF-8".
func Japanese(lang string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(lang)), "ja")
}

// hangingIndent matches what a wrapped line's continuation lines are
// indented to: the line's own indentation plus a list marker ("- ", "3. ")
// or a lower-case label and its padding ("session:  ", as `dualpath status`
// prints).
var hangingIndent = regexp.MustCompile(`^( *)(- |\d+\. |[a-z]+: +)?`)

// writeFitted writes line (no newline in it) wrapped to Width columns. A
// line that fits is written unchanged; a longer one breaks at spaces (and
// between Japanese characters) with its continuation lines indented under
// the start of its text.
func writeFitted(w io.Writer, line string) { writeFittedMore(w, line, 0) }

// writeFittedMore is writeFitted with continuation lines indented extra
// columns more, so that they stand apart from the lines that follow at the
// same indentation (as in `dualpath status`).
func writeFittedMore(w io.Writer, line string, extra int) {
	if termtext.DisplayWidth(line) <= Width {
		fmt.Fprintln(w, line)
		return
	}
	head := hangingIndent.FindString(line)
	if termtext.DisplayWidth(head) > Width/2 {
		head = ""
	}
	writeHanging(w, head, strings.Repeat(" ", termtext.DisplayWidth(head)+extra), line[len(head):])
}

// writeHanging writes first followed by text, wrapped to Width columns,
// continuation lines starting with rest.
func writeHanging(w io.Writer, first, rest, text string) {
	lines := termtext.Wrap(text, Width-termtext.DisplayWidth(first), Width-termtext.DisplayWidth(rest))
	if len(lines) == 0 {
		lines = []string{""}
	}
	for i, l := range lines {
		p := rest
		if i == 0 {
			p = first
		}
		fmt.Fprintln(w, strings.TrimRight(p+l, " "))
	}
}

// writeFittedText writes every line of s with writeFitted.
func writeFittedText(w io.Writer, s string) {
	for _, line := range strings.Split(s, "\n") {
		writeFitted(w, line)
	}
}
