package doctor

import (
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"
)

// Lang is the language of the report.
type Lang int

// Languages doctor speaks.
const (
	English Lang = iota
	Japanese
)

// LangFromEnv picks the language the way setlocale(3) picks LC_MESSAGES: the
// first non-empty of LC_ALL, LC_MESSAGES, LANG; Japanese when it starts with
// "ja" (ja_JP.UTF-8, ja_JP.eucJP, ja), English otherwise.
func LangFromEnv(getenv func(string) string) Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(v, "ja") {
				return Japanese
			}
			return English
		}
	}
	return English
}

// SchemaVersion is the "version" field of the JSON report.
const SchemaVersion = 1

// JSONReport is the --json output; see doc.go for the schema.
type JSONReport struct {
	Version int         `json:"version"`
	Lang    string      `json:"lang"`
	Checks  []JSONCheck `json:"checks"`
}

// JSONCheck is one check in the JSON report.
type JSONCheck struct {
	ID      string         `json:"id"`
	Group   Group          `json:"group"`
	Status  Status         `json:"status"`
	Summary string         `json:"summary"`
	Fix     string         `json:"fix"`
	Details map[string]any `json:"details"`
}

// WriteJSON writes the outcomes as the version 1 JSON report.
func WriteJSON(w io.Writer, outs []Outcome, lang Lang) error {
	r := JSONReport{Version: SchemaVersion, Lang: "en", Checks: []JSONCheck{}}
	if lang == Japanese {
		r.Lang = "ja"
	}
	for _, o := range outs {
		d := o.Details
		if d == nil {
			d = map[string]any{}
		}
		r.Checks = append(r.Checks, JSONCheck{ID: o.ID, Group: o.Group, Status: o.Status,
			Summary: o.Summary.In(lang), Fix: o.Fix.In(lang), Details: d})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Width is the terminal width the text report fits.
const Width = 80

var groupTitles = map[Group]Text{
	GroupLine: {EN: "Line (fibre, ISP)", JA: "回線（光回線・プロバイダ）"},
	GroupLAN:  {EN: "LAN (routers, DHCP)", JA: "LAN（ルータ・DHCP）"},
	GroupHost: {EN: "This host", JA: "このサーバ"},
}

var statusLabels = map[Status]string{OK: "[ ok ]", Skip: "[skip]", Warn: "[warn]", Fail: "[FAIL]"}

// WriteText writes the human report, grouped (line, LAN, host), every line at
// most Width columns (East Asian wide characters count two).
func WriteText(w io.Writer, outs []Outcome, lang Lang) error {
	var b strings.Builder
	count := map[Status]int{}
	for _, o := range outs {
		count[o.Status]++
	}
	head := T("dualpath doctor: %d checks, %d fail, %d warn, %d ok, %d skipped",
		"dualpath doctor: %d 項目（失敗 %d、注意 %d、正常 %d、省略 %d）",
		len(outs), count[Fail], count[Warn], count[OK], count[Skip])
	writeWrapped(&b, "", "", head.In(lang))
	fixLabel := "fix: "
	if lang == Japanese {
		fixLabel = "対処: "
	}
	for _, g := range []Group{GroupLine, GroupLAN, GroupHost} {
		first := true
		for _, o := range outs {
			if o.Group != g {
				continue
			}
			if first {
				b.WriteString("\n")
				writeWrapped(&b, "", "", groupTitles[g].In(lang))
				first = false
			}
			label := statusLabels[o.Status] + " "
			indent := strings.Repeat(" ", len(label))
			writeWrapped(&b, label, indent, o.ID+": "+o.Summary.In(lang))
			if fix := o.Fix.In(lang); fix != "" {
				writeWrapped(&b, indent+fixLabel, indent+strings.Repeat(" ", DisplayWidth(fixLabel)), fix)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeWrapped(b *strings.Builder, first, rest, text string) {
	for i, line := range Wrap(text, Width-DisplayWidth(first), Width-DisplayWidth(rest)) {
		if i == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(rest)
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
}

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
