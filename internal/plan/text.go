package plan

import "fmt"

// Lang is the language of generated text.
type Lang int

// Languages plan writes.
const (
	English Lang = iota
	Japanese
)

// LangOf maps "ja" to Japanese and anything else to English.
func LangOf(code string) Lang {
	if code == "ja" {
		return Japanese
	}
	return English
}

// Code is "en" or "ja".
func (l Lang) Code() string {
	if l == Japanese {
		return "ja"
	}
	return "en"
}

// Text is one message in both languages, written side by side at its one
// call site (doctor's T pattern).
type Text struct {
	EN string
	JA string
}

// T formats en and ja with the same arguments.
func T(en, ja string, args ...any) Text {
	if len(args) == 0 {
		return Text{EN: en, JA: ja}
	}
	return Text{EN: fmt.Sprintf(en, args...), JA: fmt.Sprintf(ja, args...)}
}

// In returns the message in l.
func (t Text) In(l Lang) string {
	if l == Japanese && t.JA != "" {
		return t.JA
	}
	return t.EN
}
