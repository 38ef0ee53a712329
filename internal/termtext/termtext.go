// Package termtext measures and wraps text for a terminal: East Asian wide
// characters take two columns, English breaks at spaces and Japanese between
// characters, keeping closing punctuation off the start of a line (kinsoku).
// doctor and the lab use it so that what they print fits 80 columns in
// English and in Japanese.
package termtext

import (
	"strings"
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
// restWidth columns. English breaks at spaces. Japanese breaks between
// words: before a kanji or katakana word that follows hiragana (a particle
// or an ending), around brackets and after 「、」「。」, never inside a run
// of kanji or katakana nor before hiragana; only where a line would
// otherwise end up shorter than half the width does it break between any two
// characters. Closing punctuation never starts a line (kinsoku), opening
// brackets never end one. A word longer than the width is cut.
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
		end, next := breakAt(text, limit)
		lines = append(lines, strings.TrimRight(text[:end], " "))
		text = strings.TrimLeft(text[next:], " ")
		limit = restWidth
	}
	return lines
}

// breakAt finds where to end the first line of text (wider than limit):
// the line is text[:end], the rest starts at text[next:].
func breakAt(text string, limit int) (end, next int) {
	space, word, char := -1, -1, -1 // best break of each kind, as byte offsets
	spaceW, wordW := 0, 0           // width of the line ending there
	width := 0
	prev := rune(0)
	for i, r := range text {
		if i > 0 {
			switch {
			case r == ' ':
				space, spaceW = i, width
			case prev == ' ':
			case RuneWidth(r) == 2 || RuneWidth(prev) == 2:
				if !strings.ContainsRune(noLineStart, r) && !strings.ContainsRune(noLineEnd, prev) {
					char = i
					if wordBoundary(prev, r) {
						word, wordW = i, width
					}
				}
			}
		}
		if width+RuneWidth(r) > limit {
			if char < 0 && space < 0 && word < 0 {
				return i, i // one long word: cut it
			}
			break
		}
		width += RuneWidth(r)
		prev = r
	}
	best, bestW, bestNext := -1, -1, -1
	if space >= 0 {
		best, bestW, bestNext = space, spaceW, space+1
	}
	if word >= 0 && wordW > bestW {
		best, bestW, bestNext = word, wordW, word
	}
	if best >= 0 && (bestW >= limit/2 || char < 0) {
		return best, bestNext
	}
	return char, char
}

// wordBoundary reports whether a Japanese line may break between a and b
// without splitting a word: not before hiragana (particles, endings), the
// prolonged sound mark or small kana, not inside a run of kanji or of
// katakana.
func wordBoundary(a, b rune) bool {
	switch {
	case isHiragana(b), b == 'ー', strings.ContainsRune(smallKana, b):
		return false
	case isKanji(a) && isKanji(b), isKatakana(a) && isKatakana(b):
		return false
	case isASCIIWord(a) && isKatakana(b), isKatakana(a) && isASCIIWord(b):
		return false // "IPv4アドレス", "MAP-Eルータ" read as one word
	case isASCIIWord(a) && isKanji(b):
		return false // "3s前", "80番": a number and its counter
	}
	return true
}

const smallKana = "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"

func isHiragana(r rune) bool { return r >= 0x3041 && r <= 0x309f }
func isKatakana(r rune) bool { return r >= 0x30a0 && r <= 0x30ff || r >= 0x31f0 && r <= 0x31ff }
func isKanji(r rune) bool {
	return r >= 0x4e00 && r <= 0x9fff || r >= 0x3400 && r <= 0x4dbf || r == '々' || r >= 0xf900 && r <= 0xfaff
}
func isASCIIWord(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
