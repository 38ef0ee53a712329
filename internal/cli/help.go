package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// One help convention for every command and subcommand: `-h`/`--help`
// prints the usage line, the one-line purpose and every flag on stdout and
// exits 0; an unknown flag exits 2 with the usage line. Commands make their
// flag set with NewFlagSet and parse it with Parse; the registry walk (man
// page, completions, tests) reads the flags through IO.Describe.

// DocPointer is where help sends people for the config file.
var DocPointer = msg.T("The config file is described in /usr/share/doc/dualpath/config.md; see also man dualpath.",
	"設定ファイルの説明: /usr/share/doc/dualpath/config.ja.md（「man dualpath」も参照）")

// errHelp ends a command after its help was printed: exit 0, nothing more.
var errHelp = &Error{Code: ExitOK}

// IsHelp reports whether err is the end of a -h/--help.
func IsHelp(err error) bool { return errors.Is(err, error(errHelp)) }

// NewFlagSet is the flag set of a command ("doctor") or subcommand
// ("lab up"): errors are returned (Parse words them), nothing is printed.
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// Parse parses args with fs. -h/--help prints the help of the command named
// fs.Name() and returns an error of exit code 0 (return it); a bad flag
// returns a usage error (exit 2) with the usage line. When stdio.Describe is
// set, Parse hands it fs and returns that same help error without parsing.
func Parse(stdio IO, fs *flag.FlagSet, args []string) error {
	if stdio.Describe != nil {
		stdio.Describe(fs)
		return errHelp
	}
	err := fs.Parse(args)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		PrintHelp(stdio, fs.Name(), fs)
		return errHelp
	}
	return &Error{Code: ExitUsage,
		Msg:  fmt.Sprintf("%s: %v\nusage: dualpath %s", fs.Name(), err, UsageLine(fs.Name())),
		Text: msg.T("%s: %v\nusage: dualpath %s", "%s: %v\n使い方: dualpath %s", fs.Name(), flagError(err), UsageLine(fs.Name()))}
}

// Package flag's errors, as it words them (flag.go, failf).
var (
	flagUndefined = regexp.MustCompile(`^flag provided but not defined: (-\S+)$`)
	flagNoArg     = regexp.MustCompile(`^flag needs an argument: (-\S+)$`)
	flagBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?(-[^:\s]+): (.*)$`)
	flagSyntax    = regexp.MustCompile(`^bad flag syntax: (.*)$`)
)

// flagError is a flag.FlagSet.Parse error in both languages; the reason
// a flag's Value gave (its Set error) follows in its own words.
func flagError(err error) msg.Text {
	s := err.Error()
	if m := flagUndefined.FindStringSubmatch(s); m != nil {
		return msg.T("flag provided but not defined: %s", "%s というフラグはありません", m[1])
	}
	if m := flagNoArg.FindStringSubmatch(s); m != nil {
		return msg.T("flag needs an argument: %s", "%s には値が必要です", m[1])
	}
	if m := flagSyntax.FindStringSubmatch(s); m != nil {
		return msg.T("bad flag syntax: %s", "フラグの書き方が誤っています: %s", m[1])
	}
	if m := flagBadValue.FindStringSubmatch(s); m != nil {
		reason := msg.Same(m[3])
		switch {
		case m[3] == "parse error": // flag's errParse: not a number, duration, boolean
			reason = msg.T("parse error", "この形式では読めません")
		case m[3] == "value out of range": // flag's errRange
			reason = msg.T("value out of range", "範囲外の値です")
		default:
			if u := errors.Unwrap(err); u != nil {
				reason = msg.ErrorText(u)
			}
		}
		return msg.T("invalid value %s for flag %s: %s", "%[2]s の値 %[1]s は使えません: %[3]s", m[1], m[2], reason)
	}
	return msg.ErrorText(err)
}

// Sub is a subcommand: `lab up`.
type Sub struct {
	Name    string
	Usage   string // "lab up [--scenario S]"
	Summary msg.Text
}

// find returns the command and subcommand that name ("lab up") names.
func find(name string) (*Command, *Sub) {
	cmd, sub, _ := strings.Cut(name, " ")
	c := Lookup(cmd)
	if c == nil || sub == "" {
		return c, nil
	}
	for i := range c.Subs {
		if c.Subs[i].Name == sub {
			return c, &c.Subs[i]
		}
	}
	return c, nil
}

// UsageLine is the usage of a command or subcommand, without "dualpath ".
func UsageLine(name string) string {
	c, s := find(name)
	switch {
	case s != nil:
		return s.Usage
	case c != nil:
		return c.Usage
	}
	return name
}

// PrintHelp writes the help of name (a command or "command sub") to
// stdio.Stdout in the locale's language: usage, purpose, subcommands,
// flags (fs may be nil), where the config is described.
func PrintHelp(stdio IO, name string, fs *flag.FlagSet) {
	lang := msg.FromEnv(stdio.Getenv)
	p := msg.Printer{W: stdio.Stdout, Lang: lang}
	c, s := find(name)
	summary := msg.Text{}
	switch {
	case s != nil:
		summary = s.Summary
	case c != nil:
		summary = c.Summary
	}
	p.Hanging(msg.T("usage: ", "使い方: ").In(lang)+"dualpath ", "    ", msg.Same(UsageLine(name)))
	p.Println(summary)
	if c != nil && s == nil && len(c.Subs) > 0 {
		p.Println(msg.T("\ncommands:", "\nサブコマンド:"))
		for _, sub := range c.Subs {
			p.Hanging(fmt.Sprintf("  %-8s ", sub.Name), strings.Repeat(" ", 11), sub.Summary)
		}
	}
	p.Println(msg.T("\nflags:", "\nフラグ:"))
	for _, f := range Flags(fs, UsageLine(name)) {
		p.Println(msg.Same("  " + f.Synopsis()))
		if !f.Usage.IsZero() {
			p.Hanging("        ", "        ", f.UsageWithDefault())
		}
	}
	p.Println(msg.Same("  -h, --help"))
	p.Hanging("        ", "        ", msg.T("print this help", "このヘルプを表示"))
	p.Println(msg.Text{})
	p.Println(DocPointer)
}

// usageSep separates the two languages of a flag's usage (T).
const usageSep = "\x1f"

// T is a flag's usage text in both languages, formatted with args, for the
// usage argument of flag.String and the like: help prints the locale's
// language, the man page and completions the English.
func T(en, ja string, args ...any) string {
	t := msg.T(en, ja, args...)
	return t.EN + usageSep + t.JA
}

// usageText splits a usage written with T (English only otherwise).
func usageText(u string) msg.Text {
	en, ja, ok := strings.Cut(u, usageSep)
	if !ok {
		return msg.Text{EN: u}
	}
	return msg.Text{EN: en, JA: ja}
}

// Flag is one flag of a command, as help, the man page and completions
// show it.
type Flag struct {
	Name    string   // "config"
	Arg     string   // "FILE"; "" for a boolean flag
	Usage   msg.Text // what it does
	Default string   // "" when the zero value
}

// Synopsis is "--config FILE" or "--json".
func (f Flag) Synopsis() string {
	if f.Arg == "" {
		return "--" + f.Name
	}
	return "--" + f.Name + " " + f.Arg
}

// UsageWithDefault is the usage with "(default X)" when there is one.
func (f Flag) UsageWithDefault() msg.Text {
	if f.Default == "" {
		return f.Usage
	}
	return msg.T("%s (default %s)", "%s（既定: %s）", f.Usage, f.Default)
}

// Flags lists fs's flags sorted by name. A flag's argument is named as the
// usage line names it ("--config FILE", "--iid draft03|rfc7597"), else by
// the back-quoted word of its usage text (flag.UnquoteUsage), else by its
// type (N, DURATION, VALUE).
func Flags(fs *flag.FlagSet, usageLine string) []Flag {
	if fs == nil {
		return nil
	}
	named := map[string]string{}
	words := strings.Fields(usageLine)
	for i := 0; i+1 < len(words); i++ {
		name, ok := strings.CutPrefix(strings.Trim(words[i], "[]()"), "--")
		arg := strings.TrimRight(strings.TrimSuffix(words[i+1], "]..."), "]),") // "[--nginx SITE_FILE]...", "[--kinds K,...]"
		if ok && arg != "" && !strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "[") &&
			(strings.ToUpper(arg) == arg && strings.ContainsAny(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || strings.Contains(arg, "|")) {
			named[name] = arg
		}
	}
	var out []Flag
	fs.VisitAll(func(f *flag.Flag) {
		text := usageText(f.Usage)
		en := *f
		en.Usage = text.EN
		arg, usage := flag.UnquoteUsage(&en)
		text.EN = usage
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			arg = ""
		} else if n := named[f.Name]; n != "" {
			arg = n
		} else {
			switch arg {
			case "int", "uint":
				arg = "N"
			case "string", "value", "":
				arg = "VALUE"
			default:
				arg = strings.ToUpper(arg)
			}
		}
		def := f.DefValue
		switch def {
		case "false", "0", "", "0s", "-1":
			def = ""
		}
		out = append(out, Flag{Name: f.Name, Arg: arg, Usage: text, Default: def})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Described is a command or subcommand with its flags, read through
// IO.Describe: what the man page and the completions are made from.
type Described struct {
	Name    string // "doctor", "lab up"
	Usage   string
	Summary msg.Text
	Flags   []Flag
	Subs    []string // subcommand names of a command that has them
}

// Describe walks the registry: every visible command and subcommand with
// its flags, in name order. run is how a command is asked for its flag set
// (Run with IO.Describe set and "--help" as argument).
func Describe(run func(c *Command, args []string, d func(*flag.FlagSet)) error) []Described {
	var out []Described
	for _, c := range Commands() {
		var fs *flag.FlagSet
		capture := func(f *flag.FlagSet) { fs = f }
		d := Described{Name: c.Name, Usage: c.Usage, Summary: c.Summary}
		if len(c.Subs) == 0 {
			_ = run(c, []string{"--help"}, capture)
			d.Flags = Flags(fs, c.Usage)
		}
		for _, s := range c.Subs {
			d.Subs = append(d.Subs, s.Name)
		}
		out = append(out, d)
		for _, s := range c.Subs {
			fs = nil
			_ = run(c, []string{s.Name, "--help"}, capture)
			out = append(out, Described{Name: c.Name + " " + s.Name, Usage: s.Usage, Summary: s.Summary, Flags: Flags(fs, s.Usage)})
		}
	}
	return out
}

// Names are the visible commands' names.
func Names() []string {
	var out []string
	for _, c := range Commands() {
		out = append(out, c.Name)
	}
	return out
}

// DidYouMean is " (did you mean "x"?)" for the choice closest to word, or
// the empty text when none is close.
func DidYouMean(word string, choices []string) msg.Text { return msg.DidYouMean(word, choices) }

// ExitCodes is the exit code table, as help, the READMEs and the man page
// give it.
var ExitCodes = []struct {
	Code int
	Text msg.Text
}{
	{ExitOK, msg.T("success; mape --check-port: the port is yours", "成功。mape --check-port では自分のポート")},
	{ExitFailure, msg.T("runtime failure; doctor or lab test: a check failed; mape --check-port: the port is not yours",
		"実行時の失敗。doctor と「lab test」では失敗した確認あり。mape --check-port では自分のポートでない")},
	{ExitUsage, msg.T("usage or config error (nothing was changed)", "使い方か設定の誤り（何も変更していません）")},
	{ExitNotFound, msg.T("not found or not running: no MAP-E rule for the prefix, no daemon, no lab",
		"見つからない、動いていない（そのプレフィックスの MAP-E ルールがない、デーモンやラボが動いていない）")},
}

// PrintTop writes `dualpath -h`: usage, every command with its purpose,
// the global flags, the exit codes.
func PrintTop(w io.Writer, lang msg.Lang) {
	p := msg.Printer{W: w, Lang: lang}
	p.Println(msg.T("usage: dualpath COMMAND [flags]\n       dualpath --version",
		"使い方: dualpath コマンド [フラグ]\n        dualpath --version"))
	p.Println(msg.T("Makes a home server reachable over IPv4 (its own PPPoE session) and IPv6 on MAP-E lines.",
		"MAP-E の回線で、家のサーバに IPv4（自前の PPPoE セッション）と IPv6 の両方で届くようにします。"))
	p.Println(msg.T("\ncommands:", "\nコマンド:"))
	for _, c := range Commands() {
		p.Hanging(fmt.Sprintf("  %-13s ", c.Name), strings.Repeat(" ", 16), c.Summary)
	}
	p.Println(msg.T("\nflags:", "\nフラグ:"))
	p.Hanging("  -h, --help    ", strings.Repeat(" ", 16), msg.T("print this help", "このヘルプを表示"))
	p.Hanging("  --version     ", strings.Repeat(" ", 16), msg.T("print the version", "バージョンを表示"))
	p.Println(msg.T("\nexit codes:", "\n終了コード:"))
	for _, e := range ExitCodes {
		p.Hanging(fmt.Sprintf("  %d  ", e.Code), "     ", e.Text)
	}
	p.Println(msg.T("\nRun 'dualpath COMMAND -h' for a command's flags.",
		"\n各コマンドのフラグは 'dualpath コマンド -h' で表示します。"))
	p.Println(DocPointer)
}

// Help prints the help of name, which has no flags of its own (a command
// with subcommands), and returns the help error (exit 0).
func Help(stdio IO, name string) error {
	if stdio.Describe != nil {
		return errHelp
	}
	PrintHelp(stdio, name, nil)
	return errHelp
}
