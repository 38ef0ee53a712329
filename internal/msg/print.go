package msg

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/dualpath/dualpath/internal/termtext"
)

// Width is the terminal width every text line fits (termtext owns it).
const Width = termtext.Width

// Printer writes messages in one language, every line fitted to Width
// columns.
type Printer struct {
	W    io.Writer
	Lang Lang
}

// Println writes t in p's language; each of its lines is fitted (Fit).
func (p Printer) Println(t Text) { FitText(p.W, t.In(p.Lang)) }

// Printf writes T(en, ja, args...) in p's language, fitted.
func (p Printer) Printf(en, ja string, args ...any) { p.Println(T(en, ja, args...)) }

// Hanging writes first followed by t, wrapped to Width, continuation lines
// starting with rest (see Hanging).
func (p Printer) Hanging(first, rest string, t Text) { Hanging(p.W, first, rest, t.In(p.Lang)) }

// hangingIndent matches what a wrapped line's continuation lines are
// indented to: the line's own indentation plus a list marker ("- ", "3. ")
// or a label and its padding ("session:  ", 「セッション:  」, as `dualpath
// status` prints; "usage: ", 「使い方: 」).
var hangingIndent = regexp.MustCompile(`^( *)(- |\d+\. |[^ ]+: {2,}|[a-z]+: +|使い方: )?`)

// Fit writes line (no newline in it) wrapped to Width columns. A line that
// fits is written unchanged; a longer one breaks at spaces (and between
// Japanese characters, never before 「。、」) with its continuation lines
// indented under the start of its text.
func Fit(w io.Writer, line string) { FitMore(w, line, 0) }

// FitMore is Fit with continuation lines indented extra columns more, so
// that they stand apart from the lines that follow at the same indentation.
func FitMore(w io.Writer, line string, extra int) {
	if termtext.DisplayWidth(line) <= Width {
		fmt.Fprintln(w, line)
		return
	}
	head := hangingIndent.FindString(line)
	if termtext.DisplayWidth(head) > Width/2 {
		head = ""
	}
	Hanging(w, head, strings.Repeat(" ", termtext.DisplayWidth(head)+extra), line[len(head):])
}

// Hanging writes first followed by text, wrapped to Width columns,
// continuation lines starting with rest.
func Hanging(w io.Writer, first, rest, text string) {
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

// FitText writes every line of s with Fit.
func FitText(w io.Writer, s string) {
	for _, line := range strings.Split(s, "\n") {
		Fit(w, line)
	}
}
