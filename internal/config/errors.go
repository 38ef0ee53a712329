package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// Pos is a position in the config file, 1-based, as yaml.v3 reports it.
type Pos struct {
	Line   int
	Column int
}

// Error is one problem in a config file: where it is (file:line:column), which
// key (a path such as "pppoe.mtu" or "ddns[1].provider") and what to do.
// Its text is "FILE:LINE:COL: KEY: MESSAGE"; parts that are unknown are left out.
type Error struct {
	File string
	Pos  Pos    // zero when the key is not in the file (e.g. a missing key)
	Key  string // key path; "" for file-level problems
	Msg  string
	// Text is the message in both languages where it was written so; Msg
	// is then its English.
	Text msg.Text
}

func (e *Error) Error() string { return e.In(msg.English) }

// In is the error's text in lang: "FILE:LINE:COL: KEY: MESSAGE".
func (e *Error) In(lang msg.Lang) string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Pos.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Pos.Line)
			if e.Pos.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Pos.Column)
			}
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	if e.Text.IsZero() {
		b.WriteString(e.Msg)
	} else {
		b.WriteString(e.Text.In(lang))
	}
	return b.String()
}

// Errors is every problem found in one file, in file order. Its text has one
// problem per line.
type Errors []*Error

func (es Errors) Error() string { return es.In(msg.English) }

// In is every problem in lang, one per line.
func (es Errors) In(lang msg.Lang) string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.In(lang)
	}
	return strings.Join(lines, "\n")
}

// Sorted orders errors by position (in place, and returns them); errors
// without a position come last, in the order they were found.
func (es Errors) Sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return es
}

// asError returns nil for an empty list, so callers can `return es.asError()`.
func (es Errors) asError() error {
	if len(es) == 0 {
		return nil
	}
	return es.Sorted()
}

// Errorf returns an *Error for the key path (e.g. "ddns[0].token_file") at the
// position where that key was written in the file, for checks that live in
// other packages (ddns.ValidateConfig): their messages then point to the
// right line like the config package's own.
func (c *Config) Errorf(key, format string, args ...any) *Error {
	return &Error{File: c.Path, Pos: c.Position(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

// ErrorT is Errorf with the message in both languages.
func (c *Config) ErrorT(key string, t msg.Text) *Error {
	return &Error{File: c.Path, Pos: c.Position(key), Key: key, Msg: t.EN, Text: t}
}

// Position is where key (a path such as "pppoe.mtu" or "expose.tcp[1]") was
// written in the file, or where its closest written parent was; zero when
// the config did not come from a file.
func (c *Config) Position(key string) Pos {
	for k := key; k != ""; k = parentKey(k) {
		if p, ok := c.pos[k]; ok {
			return p
		}
	}
	return Pos{}
}

// parentKey turns "a.b[2].c" into "a.b[2]", "a.b[2]" into "a.b", "a" into "".
func parentKey(k string) string {
	i := strings.LastIndexAny(k, ".[")
	if i < 0 {
		return ""
	}
	return k[:i]
}
