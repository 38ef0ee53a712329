// Package cli holds what every dualpath subcommand shares: exit codes, errors
// that carry them, and the subcommand registry. It has no logic of its own.
package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"sort"

	"github.com/dualpath/dualpath/internal/msg"
)

// Exit codes, the command line contract (design.md).
const (
	ExitOK       = 0 // success
	ExitFailure  = 1 // runtime failure
	ExitUsage    = 2 // usage or config error
	ExitNotFound = 3 // not found / not applicable (e.g. no MAP-E rule)
)

// Error is an error with an exit code. Its message is shown to the user as is,
// in one or two lines: what was wrong and what to do. Text, when set, is the
// message in both languages (Usage, Fail, NotFound); Msg is then its English.
type Error struct {
	Code int
	Msg  string
	Text msg.Text
}

func (e *Error) Error() string { return e.Msg }

// In is the message in lang: Text when the error has one, else Msg.
func (e *Error) In(lang msg.Lang) string {
	if e.Text.IsZero() {
		return e.Msg
	}
	return e.Text.In(lang)
}

// Message is err's message in lang (an *Error's Text, else err.Error()).
func Message(err error, lang msg.Lang) string {
	var e *Error
	if errors.As(err, &e) && err == error(e) {
		return e.In(lang)
	}
	return msg.ErrorIn(err, lang)
}

// Usage is a usage or configuration error (exit 2) in both languages.
func Usage(t msg.Text) error { return &Error{Code: ExitUsage, Msg: t.EN, Text: t} }

// NotFound is a "not found / not applicable" answer (exit 3) in both languages.
func NotFound(t msg.Text) error { return &Error{Code: ExitNotFound, Msg: t.EN, Text: t} }

// Fail is a runtime failure (exit 1) in both languages.
func Fail(t msg.Text) error { return &Error{Code: ExitFailure, Msg: t.EN, Text: t} }

// Usagef is a usage or configuration error (exit 2). Its format reads the
// same in both languages ("%s: %v"); its arguments that speak both (errors,
// Texts) are put in in the reader's language.
func Usagef(format string, args ...any) error { return errorf(ExitUsage, format, args) }

// NotFoundf is a "not found / not applicable" answer (exit 3), as Usagef.
func NotFoundf(format string, args ...any) error { return errorf(ExitNotFound, format, args) }

// Failf is a runtime failure (exit 1), as Usagef.
func Failf(format string, args ...any) error { return errorf(ExitFailure, format, args) }

func errorf(code int, format string, args []any) error {
	t := msg.T(format, format, args...)
	if t.JA == t.EN {
		return &Error{Code: code, Msg: t.EN}
	}
	return &Error{Code: code, Msg: t.EN, Text: t}
}

// Silent is an error whose message was already shown; only its code matters
// (e.g. `mape --check-port` answering "no" with exit 1).
func Silent(code int) error { return &Error{Code: code} }

// Code returns the exit code for err: 0 for nil, the code of an *Error, else 1.
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitFailure
}

// IO is what a command reads and writes, so tests can run commands in-process.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Describe, when set, asks the command for its flags instead of running
	// it: Parse hands it the flag set and returns at once (see Describe).
	Describe func(fs *flag.FlagSet)
}

// Env returns the environment variable key, or "" when io has no Getenv
// (tests that leave it unset see an empty environment).
func (io IO) Env(key string) string {
	if io.Getenv == nil {
		return ""
	}
	return io.Getenv(key)
}

// Command is one subcommand of dualpath.
type Command struct {
	Name    string   // "mape"
	Usage   string   // one line: "mape [--json] ... PREFIX|ADDRESS|--local"
	Summary msg.Text // its purpose in one line, in both languages
	Subs    []Sub    // subcommands (lab up, lab down...), if any
	Hidden  bool     // internal helpers (e.g. lab node processes)
	Run     func(ctx context.Context, io IO, args []string) error
}

var registry = map[string]*Command{}

// Register adds a subcommand; each cmd/dualpath/<name>.go calls it from init.
func Register(c *Command) {
	if _, dup := registry[c.Name]; dup {
		panic("cli: command registered twice: " + c.Name)
	}
	registry[c.Name] = c
}

// Lookup returns the named subcommand, or nil.
func Lookup(name string) *Command { return registry[name] }

// Commands returns the visible subcommands, sorted by name.
func Commands() []*Command {
	var cs []*Command
	for _, c := range registry {
		if !c.Hidden {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs
}
