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
	return Text{EN: fmt.Sprintf(en, in(args, English)...), JA: fmt.Sprintf(ja, in(args, Japanese)...)}
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
