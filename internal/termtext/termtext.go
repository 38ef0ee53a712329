// Package termtext measures and wraps text for a terminal: East Asian wide
// characters take two columns, English breaks at spaces and Japanese between
// characters, keeping closing punctuation off the start of a line (kinsoku).
// doctor and the lab use it so that what they print fits 80 columns in
// English and in Japanese.
package termtext

import (
	"strings"
	"unicode/utf8"
)

// Width is the terminal width dualpath's reports fit.
const Width = 80

// RuneWidth is the terminal width of r: 2 for East Asian wide and fullwidth
// characters (Unicode UAX #11, the ranges Japanese text uses), 0 for
// combining marks and controls, 1 otherwise.
func RuneWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r >= 0x300 && r <= 0x36f, r == 0x200b, r >= 0xfe00 && r <= 0xfe0f, r == 0x3099, r == 0x309a:
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0x303e, r >= 0x3041 && r <= 0x33ff,
		r >= 0x3400 && r <= 0x4dbf, r >= 0x4e00 && r <= 0x9fff, r >= 0xa000 && r <= 0xa4cf,
		r >= 0xac00 && r <= 0xd7a3, r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60, r >= 0xffe0 && r <= 0xffe6, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// DisplayWidth is the terminal width of s.
func DisplayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += RuneWidth(r)
	}
	return n
}

// noLineStart are characters Japanese typesetting keeps off the start of a
// line (kinsoku); the wrapper moves the preceding character down with them.
const noLineStart = "、。，．）」』】〕！？ー：・,.)!?:;"

// noLineEnd are opening brackets, kept off the end of a line.
const noLineEnd = "（「『【〔"

// Wrap breaks text into lines of at most firstWidth (first line) and
// restWidth columns. English breaks at spaces; Japanese (wide characters) may
// break between any two characters except before closing punctuation. A
// word longer than the width is cut.
func Wrap(text string, firstWidth, restWidth int) []string {
	text = strings.Join(strings.Fields(text), " ")
	var lines []string
	limit := firstWidth
	for text != "" {
		if limit < 8 {
			limit = 8
		}
		if DisplayWidth(text) <= limit {
			lines = append(lines, text)
			break
		}
		// Find the last allowed break at or before limit.
		cut, width, lastBreak, lastBreakNext := 0, 0, -1, -1
		prev := rune(0)
		for i, r := range text {
			rw := RuneWidth(r)
			if width+rw > limit {
				cut = i
				break
			}
			if r == ' ' {
				lastBreak, lastBreakNext = i, i+1
			} else if i > 0 && (RuneWidth(r) == 2 || RuneWidth(prev) == 2) && prev != ' ' && !strings.ContainsRune(noLineStart, r) {
				lastBreak, lastBreakNext = i, i
			}
			width += rw
			prev = r
		}
		if cut == 0 { // cannot happen: text is wider than limit
			cut = len(text)
		}
		// Breaking right at the cut is allowed when the next char is a space
		// or a wide character may start a line there.
		next, _ := utf8.DecodeRuneInString(text[cut:])
		switch {
		case next == ' ':
			lastBreak, lastBreakNext = cut, cut+1
		case (RuneWidth(next) == 2 || RuneWidth(prev) == 2) && prev != ' ' && !strings.ContainsRune(noLineStart, next):
			lastBreak, lastBreakNext = cut, cut
		}
		// Keep an opening bracket with what follows it.
		if lastBreak > 0 && lastBreak == lastBreakNext {
			if r, size := utf8.DecodeLastRuneInString(text[:lastBreak]); strings.ContainsRune(noLineEnd, r) && lastBreak-size > 0 {
				lastBreak, lastBreakNext = lastBreak-size, lastBreak-size
			}
		}
		if lastBreak <= 0 {
			lastBreak, lastBreakNext = cut, cut
		}
		lines = append(lines, strings.TrimRight(text[:lastBreak], " "))
		text = strings.TrimLeft(text[lastBreakNext:], " ")
		limit = restWidth
	}
	return lines
}
