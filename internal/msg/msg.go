// Package msg is dualpath's one message catalogue: every line a person
// reads is written once, in English and Japanese side by side at the call
// site (T), picked by the locale (FromEnv), and printed fitted to 80
// columns with East Asian wide characters counting two (Printer).
//
// JSON output stays English; only text for people goes through here.
// Protocol packages (ppp, pppoe, mape) stay free of it: commands and output
// layers translate what those packages return.
//
// Writing Japanese: 「、」「。」 not ASCII commas or full stops, no English
// words inside a Japanese sentence but names (PPPoE, MAP-E, nginx,
// dualpath, commands, keys and values the user types). The catalogue test
// (msg_test.go) checks every T call in the tree for this.
package msg

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Lang is the language text is printed in.
type Lang int

// The languages dualpath speaks.
const (
	English Lang = iota
	Japanese
)

// String is the language's code as JSON reports carry it: "en" or "ja".
func (l Lang) String() string {
	if l == Japanese {
		return "ja"
	}
	return "en"
}

// FromLocale is the language a locale value asks for: Japanese when it
// starts with "ja" (ja_JP.UTF-8, ja_JP.eucJP, ja), English otherwise.
func FromLocale(v string) Lang {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "ja") {
		return Japanese
	}
	return English
}

// FromEnv picks the language the way setlocale(3) picks LC_MESSAGES: the
// first non-empty of LC_ALL, LC_MESSAGES, LANG. A nil getenv is English.
func FromEnv(getenv func(string) string) Lang {
	if getenv == nil {
		return English
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return FromLocale(v)
		}
	}
	return English
}

// Text is one message in both languages. Write both, at one call site, with
// T; the zero Text is the empty message.
type Text struct {
	EN string
	JA string
}

// T formats en and ja with the same arguments. Arguments that are Texts
// themselves are put in in the same language as the message.
func T(en, ja string, args ...any) Text {
	if len(args) == 0 {
		return Text{EN: en, JA: ja}
	}
	return Text{EN: fmt.Sprintf(en, in(args, English)...), JA: sprintJA(ja, in(args, Japanese))}
}

// sprintJA is fmt.Sprintf for a Japanese format, without the space a
// format keeps between an argument and Japanese text for names written in
// Latin letters ("%s は動いていません", "dualpath は"): where the argument
// put in is Japanese on that side too, the space goes ("回線の判定は", not
// "回線の判定 は"). Formats with argument indexes or * widths are formatted
// as they are.
func sprintJA(format string, args []any) string {
	if !strings.Contains(format, " ") {
		return fmt.Sprintf(format, args...)
	}
	var b strings.Builder
	lit, ai, fromArg := 0, 0, false // lit: start of the literal text not yet written
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.", format[j]) >= 0 {
			j++
		}
		if j >= len(format) || format[j] == '[' || format[j] == '*' || format[j] >= utf8.RuneSelf {
			return fmt.Sprintf(format, args...)
		}
		if format[j] == '%' {
			i = j
			continue
		}
		if ai >= len(args) {
			return fmt.Sprintf(format, args...)
		}
		writeLiteral(&b, format[lit:i], fromArg)
		v := fmt.Sprintf(format[i:j+1], args[ai])
		if s := b.String(); strings.HasSuffix(s, " ") && startsWide(v) && endsWide(s[:len(s)-1]) {
			b.Reset()
			b.WriteString(s[:len(s)-1])
		}
		b.WriteString(v)
		ai, lit, i, fromArg = ai+1, j+1, j, endsWide(v)
	}
	if ai != len(args) {
		return fmt.Sprintf(format, args...)
	}
	writeLiteral(&b, format[lit:], fromArg)
	return b.String()
}

// writeLiteral writes the literal text s of a format, without its leading
// space when the argument before it ended in Japanese and s goes on in
// Japanese.
func writeLiteral(b *strings.Builder, s string, afterWide bool) {
	if afterWide && strings.HasPrefix(s, " ") && startsWide(s[1:]) {
		s = s[1:]
	}
	b.WriteString(strings.ReplaceAll(s, "%%", "%"))
}

// wide reports whether r is Japanese text: kana, kanji, or Japanese
// punctuation and brackets.
func wide(r rune) bool {
	return r >= 0x3000 && r <= 0x30ff || r >= 0x3400 && r <= 0x9fff || r >= 0xff00 && r <= 0xff60
}

func startsWide(s string) bool {
	for _, r := range s {
		return wide(r)
	}
	return false
}

func endsWide(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r != utf8.RuneError && wide(r)
}

// in replaces the arguments that speak both languages (Text, Error, any
// value with an In(Lang) method) by their text in lang, and errors by
// ErrorText's.
func in(args []any, lang Lang) []any {
	out := args
	for i, a := range args {
		var s string
		switch v := a.(type) {
		case interface{ In(Lang) string }:
			s = v.In(lang)
		case error:
			s = ErrorText(v).In(lang)
		default:
			continue
		}
		if &out[0] == &args[0] {
			out = append([]any(nil), args...)
		}
		out[i] = s
	}
	return out
}

// Error is an error whose message is written in both languages.
type Error struct{ Text Text }

// Err is an error saying t.
func Err(t Text) error { return &Error{Text: t} }

func (e *Error) Error() string { return e.Text.EN }

// In is the message in lang.
func (e *Error) In(lang Lang) string { return e.Text.In(lang) }

// ErrorIn is err's message in lang (ErrorText): in English always
// err.Error(); in Japanese the text of an error that speaks both languages,
// a well-known kind of error in Japanese, else err.Error().
func ErrorIn(err error, lang Lang) string { return ErrorText(err).In(lang) }

// Same is a text that reads the same in both languages: a name, an address,
// a number, a line of a table of values.
func Same(s string) Text { return Text{EN: s, JA: s} }

// In returns the message in lang; English where the Japanese is missing.
func (t Text) In(lang Lang) string {
	if lang == Japanese && t.JA != "" {
		return t.JA
	}
	return t.EN
}

// OwnJA is the Japanese when it is not just the English ("" then): what a
// JSON "_ja" field beside an English text carries.
func (t Text) OwnJA() string {
	if t.JA == t.EN {
		return ""
	}
	return t.JA
}

// String is the English text (logs, errors wrapped by fmt).
func (t Text) String() string { return t.EN }

// IsZero reports whether t is the empty message.
func (t Text) IsZero() bool { return t.EN == "" && t.JA == "" }

// Join joins texts with sep in each language (sep itself is a Text: ", "
// in English is "、" in Japanese).
func Join(ts []Text, sep Text) Text {
	var en, ja []string
	for _, t := range ts {
		en = append(en, t.EN)
		ja = append(ja, t.In(Japanese))
	}
	return Text{EN: strings.Join(en, sep.EN), JA: strings.Join(ja, sep.In(Japanese))}
}

// Concat puts texts one after the other in each language.
func Concat(ts ...Text) Text { return Join(ts, Text{}) }

// Comma is the list separator: ", " and 「、」.
var Comma = Text{EN: ", ", JA: "、"}

// Items is a list of names or values (ports, addresses, interfaces) as
// they are, joined with ", " in English and 「、」 in Japanese.
func Items(items []string) Text {
	return Text{EN: strings.Join(items, ", "), JA: strings.Join(items, "、")}
}

// Errorf is an error saying T(en, ja, args...) that wraps its error
// argument written %w (in both texts), for errors.Is and errors.As: the
// bilingual fmt.Errorf.
func Errorf(en, ja string, args ...any) error {
	var wrapped error
	if strings.Contains(en, "%w") {
		for _, a := range args {
			if e, ok := a.(error); ok {
				wrapped = e
			}
		}
	}
	t := T(strings.ReplaceAll(en, "%w", "%v"), strings.ReplaceAll(ja, "%w", "%v"), args...)
	return &wrapError{text: t, err: wrapped}
}

type wrapError struct {
	text Text
	err  error
}

func (e *wrapError) Error() string       { return e.text.EN }
func (e *wrapError) In(lang Lang) string { return e.text.In(lang) }
func (e *wrapError) Unwrap() error       { return e.err }
