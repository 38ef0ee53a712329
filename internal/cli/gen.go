package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// The man page and the shell completions are made from the registry
// (Describe), so they list exactly the commands and flags the binary has.
// cmd/dualpath's tests keep packaging/dualpath.1 and packaging/completions/
// equal to what these write.

// roff escapes s for a man page line: backslashes, leading dots and quotes,
// hyphens that are options.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	s = strings.ReplaceAll(s, ",", `,\:`) // a long list may break after its commas
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// Man writes dualpath(1) in man(7) roff, in lang: synopsis of every
// command, each command's purpose and flags, the exit codes, files, the
// config reference. The Japanese page is installed as
// /usr/share/man/ja/man1/dualpath.1.gz, where man-db shows it under a
// Japanese locale.
func Man(w io.Writer, cmds []Described, version string, lang msg.Lang) {
	if lang == msg.Japanese {
		var b bytes.Buffer
		out := w
		defer func() { _, _ = io.WriteString(out, breakJapanese(b.String())) }()
		w = &b
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	// l is the text in the page's language.
	l := func(en, ja string) string { return msg.T(en, ja).In(lang) }
	p(`.\" Generated from dualpath's command registry (internal/cli); do not edit.`)
	p(`.TH DUALPATH 1 "" "dualpath %s" "%s"`, roff(version), l("User Commands", "ユーザーコマンド"))
	p(".ad l")
	p(".nh")
	p(".SH %s", l("NAME", "名前"))
	p(`dualpath \- %s`, l(`a home server's own PPPoE session next to its IPv6 (IPoE, MAP\-E) path`,
		`家のサーバが自前で張る PPPoE セッションと IPv6（IPoE、MAP\-E）の経路の併用`))
	p(".SH %s", l("SYNOPSIS", "書式"))
	for _, c := range cmds {
		p(".B dualpath")
		p("%s", roff(c.Usage))
		p(".br")
	}
	p(".B dualpath")
	p(`\-\-version | \-h | \-\-help`)
	p(".SH %s", l("DESCRIPTION", "説明"))
	if lang == msg.Japanese {
		// One source line a paragraph: troff puts a space where source
		// lines join, which Japanese does not have.
		p("dualpath は、日本の IPv6 IPoE（MAP\\-E）の光回線で、家のサーバに IPv4 と IPv6 の両方で届くようにします。" +
			"ホームルータの PPPoE パススルーを通して自前の PPPoE セッションをユーザー空間で張り、" +
			"そのアドレスへの通信の応答をそのセッションに戻し、そのアドレスでは設定したポートだけを開け（nftables）、" +
			"DNS の A レコードを PPPoE のアドレスに、AAAA レコードをサーバの固定的な IPv6 アドレスに保ちます。" +
			"このサーバで変えることはすべて記録し、終了時に元に戻し、異常終了のあとも片付けます。")
		p(".PP")
		p(`どのコマンドも \fB\-h\fR か \fB\-\-help\fR で使い方、目的、フラグを表示します。` +
			`文章の出力と \fBdualpath run\fR のテキストのログは、ロケール（LC_ALL、LC_MESSAGES、LANG）が日本語なら日本語です。` +
			"JSON の出力と JSON のログは常に英語です。")
	} else {
		p("dualpath makes a home server reachable over IPv4 and IPv6 on Japanese IPv6 IPoE (MAP\\-E) fibre lines:")
		p("it holds its own PPPoE session in userspace through the home router's PPPoE passthrough,")
		p("routes replies from that address back through it, opens only the configured ports on it (nftables),")
		p("and keeps the DNS A record on the PPPoE address and the AAAA record on the server's stable IPv6 address.")
		p("Everything it changes on the host is journaled, undone on exit and cleaned up after a crash.")
		p(".PP")
		p("Every command prints its usage, purpose and flags with")
		p(`.BR \-h " or " \-\-help .`)
		p("Text output, and the text log of")
		p(".BR \"dualpath run\" ,")
		p("is in Japanese when the locale (LC_ALL, LC_MESSAGES, LANG) is Japanese; JSON output and JSON logs are always English.")
	}
	p(".SH %s", l("COMMANDS", "コマンド"))
	for _, c := range cmds {
		p(".SS %s", roff(c.Name))
		p(".B dualpath")
		p("%s", roff(c.Usage))
		p(".PP")
		if lang == msg.Japanese {
			p("%s。", roff(strings.TrimSuffix(c.Summary.In(lang), "。")))
		} else {
			p("%s.", roff(strings.TrimSuffix(c.Summary.EN, ".")))
		}
		if len(c.Subs) > 0 {
			if lang == msg.Japanese {
				p("サブコマンド: %s。", roff(strings.Join(c.Subs, "、")))
			} else {
				p("Subcommands: %s.", roff(strings.Join(c.Subs, ", ")))
			}
		}
		for _, f := range c.Flags {
			p(".TP")
			if f.Arg == "" {
				p(`.B \-\-%s`, roff(f.Name))
			} else {
				p(`.BI \-\-%s " " %s`, roff(f.Name), roff(f.Arg))
			}
			p("%s", roff(f.UsageWithDefault().In(lang)))
		}
	}
	p(".SH %s", l("EXIT STATUS", "終了ステータス"))
	for _, e := range ExitCodes {
		p(".TP")
		p(".B %d", e.Code)
		p("%s", roff(e.Text.In(lang)))
	}
	p(".SH %s", l("ENVIRONMENT", "環境変数"))
	p(".TP")
	p(".B DUALPATH_PPPOE_PASSWORD")
	p("%s", l("The PPPoE password, instead of a password file (never on the command line).",
		"PPPoE のパスワード。パスワードのファイルの代わりに使います（コマンドラインには書きません）。"))
	p(".TP")
	p(".B DUALPATH_STATUS_SOCKET")
	if lang == msg.Japanese {
		p(`\fBdualpath status\fR が読む状態ソケット。`)
	} else {
		p("The status socket that")
		p(".B dualpath status")
		p("reads.")
	}
	p(".TP")
	p(".B DUALPATH_LAB_PREFIX")
	p("%s", l("The namespace prefix of the lab.", "ラボの名前空間の名前の接頭辞。"))
	p(".TP")
	p(`.BR LC_ALL ", " LC_MESSAGES ", " LANG`)
	p("%s", l("Japanese text output and log lines when the first one set starts with ja (systemd passes the system's LANG to the service).",
		"設定されている最初のものが「ja」で始まれば、文章の出力とログは日本語になります（systemd はシステムの LANG をサービスに渡します）。"))
	p(".SH %s", l("FILES", "ファイル"))
	p(".TP")
	p(".I /etc/dualpath/dualpath.yaml")
	if lang == msg.Japanese {
		p(`設定ファイル。すべてのキーの説明は \fI/usr/share/doc/dualpath/config.ja.md\fR にあり、` +
			`日本語のコメント付きの例は \fI/usr/share/doc/dualpath/dualpath.ja.yaml\fR です` +
			`（英語: \fI/usr/share/doc/dualpath/config.md\fR）。`)
	} else {
		p("The configuration file. Every key is described in")
		p(".I /usr/share/doc/dualpath/config.md")
		p("(Japanese:")
		p(".IR /usr/share/doc/dualpath/config.ja.md ).")
	}
	p(".TP")
	p(".I /run/dualpath/status.sock")
	p("%s", l("The daemon's status socket.", "デーモンの状態ソケット。"))
	p(".TP")
	p(".I /var/lib/dualpath")
	p("%s", l("The journal of host changes.", "このサーバへの変更の記録。"))
	p(".SH %s", l("SEE ALSO", "関連項目"))
	p(".BR ip (8),")
	p(".BR nft (8),")
	p(".BR netplan (5),")
	p(".BR systemctl (1)")
}

// breakJapanese puts a break point (\:) into the text lines of a roff
// page wherever Japanese may break a line: between two characters of
// which one is Japanese, except before closing punctuation, small kana and
// the long-vowel mark (「、」「）」「ょ」「ー」) and after an opening bracket
// (「（」). troff breaks lines only at spaces, and groff's ja.tmac, which
// knows better, is not loaded by man-db; without these a Japanese
// paragraph cannot be filled ("can't break line").
func breakJapanese(page string) string {
	var b strings.Builder
	for i, line := range strings.Split(page, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			b.WriteString(line)
			continue
		}
		prev := rune(0)
		for _, r := range line {
			if prev != 0 && (japanese(prev) || japanese(r)) && prev != ' ' && prev != '\\' && r != ' ' &&
				!strings.ContainsRune(noBreakBefore, r) && !strings.ContainsRune(noBreakAfter, prev) {
				b.WriteString(`\:`)
			}
			b.WriteRune(r)
			prev = r
		}
	}
	return b.String()
}

// Japanese line-breaking rules (JIS X 4051, as groff's ja.tmac has them).
const (
	noBreakBefore = "、。，．・：；？！）〕］｝」』】ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー"
	noBreakAfter  = "（〔［｛「『【"
)

// japanese reports whether r is Japanese: kana, kanji, Japanese
// punctuation and full-width forms.
func japanese(r rune) bool {
	return r >= 0x3000 && r <= 0x30ff || r >= 0x3400 && r <= 0x9fff || r >= 0xff00 && r <= 0xff60
}

// Bash writes a bash completion script: commands, subcommands, each one's
// flags, and file names for the flags that take files.
func Bash(w io.Writer, cmds []Described) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	var top []string
	for _, c := range cmds {
		if !strings.Contains(c.Name, " ") {
			top = append(top, c.Name)
		}
	}
	p("# bash completion for dualpath; generated from its command registry, do not edit.")
	p("_dualpath() {")
	p(`  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}`)
	p(`  local cmd=${COMP_WORDS[1]} sub=${COMP_WORDS[2]} words=""`)
	p("  if [ \"$COMP_CWORD\" -eq 1 ]; then")
	p(`    COMPREPLY=($(compgen -W "%s -h --help --version" -- "$cur")); return`, strings.Join(top, " "))
	p("  fi")
	p(`  case "$prev" in`)
	p(`    --config|--out|--password-file|--state-dir|--state-root|--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;`)
	p("  esac")
	p(`  case "$cmd" in`)
	for _, c := range cmds {
		if strings.Contains(c.Name, " ") {
			continue
		}
		if len(c.Subs) > 0 {
			p(`    %s)`, c.Name)
			p(`      if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "%s -h --help" -- "$cur")); return; else`, strings.Join(c.Subs, " "))
			p(`        case "$sub" in`)
			for _, s := range cmds {
				if name, ok := strings.CutPrefix(s.Name, c.Name+" "); ok {
					p(`          %s) words="%s" ;;`, name, flagWords(s.Flags))
				}
			}
			p("        esac")
			p("      fi ;;")
			continue
		}
		p(`    %s) words="%s" ;;`, c.Name, flagWords(c.Flags))
	}
	p("  esac")
	p(`  if [[ "$cur" == -* || -z "$cur" ]] && [ -n "$words" ]; then`)
	p(`    COMPREPLY=($(compgen -W "$words" -- "$cur"))`)
	p("  else")
	p(`    COMPREPLY=($(compgen -f -- "$cur"))`)
	p("  fi")
	p("}")
	p("complete -F _dualpath dualpath")
}

func flagWords(fs []Flag) string {
	var out []string
	for _, f := range fs {
		out = append(out, "--"+f.Name)
	}
	return strings.Join(append(out, "-h", "--help"), " ")
}

// zshQuote makes s safe inside a single-quoted zsh _arguments spec.
func zshQuote(s string) string {
	s = strings.ReplaceAll(s, "'", `'\''`)
	s = strings.ReplaceAll(s, "[", `\[`)
	s = strings.ReplaceAll(s, "]", `\]`)
	s = strings.ReplaceAll(s, ":", `\:`)
	return s
}

// Zsh writes a zsh completion function (#compdef dualpath). Commands and
// flags are described in Japanese when the locale is Japanese, as help is.
func Zsh(w io.Writer, cmds []Described) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("#compdef dualpath")
	p("# zsh completion for dualpath; generated from its command registry, do not edit.")
	p("")
	p("_dualpath() {")
	p("  local -a commands")
	p("  local ja=0")
	p("  [[ ${LC_ALL:-${LC_MESSAGES:-$LANG}} == ja* ]] && ja=1")
	p("  if (( ja )); then")
	p("    commands=(")
	for _, c := range cmds {
		if !strings.Contains(c.Name, " ") {
			p("      '%s:%s'", c.Name, zshQuote(c.Summary.In(msg.Japanese)))
		}
	}
	p("    )")
	p("  else")
	p("    commands=(")
	for _, c := range cmds {
		if !strings.Contains(c.Name, " ") {
			p("      '%s:%s'", c.Name, zshQuote(c.Summary.EN))
		}
	}
	p("    )")
	p("  fi")
	p("  if (( CURRENT == 2 )); then")
	p("    _describe -t commands 'dualpath command' commands")
	p("    if (( ja )); then _arguments '(- *)'{-h,--help}'[このヘルプを表示]' '(- *)--version[バージョンを表示]'")
	p("    else _arguments '(- *)'{-h,--help}'[print help]' '(- *)--version[print the version]'; fi")
	p("    return")
	p("  fi")
	p("  local cmd=${words[2]}")
	p("  case $cmd in")
	for _, c := range cmds {
		name := strings.ReplaceAll(c.Name, " ", "-")
		if len(c.Subs) > 0 {
			p("    %s)", c.Name)
			p("      if (( CURRENT == 3 )); then")
			p("        local -a subs; subs=(%s)", strings.Join(c.Subs, " "))
			p("        _describe -t commands 'subcommand' subs; return")
			p("      fi")
			p("      case ${words[3]} in")
			for _, s := range cmds {
				if sub, ok := strings.CutPrefix(s.Name, c.Name+" "); ok {
					p("        %s) if (( ja )); then _arguments -s %s '*:file:_files'; else _arguments -s %s '*:file:_files'; fi ;;",
						sub, zshSpecs(s.Flags, msg.Japanese), zshSpecs(s.Flags, msg.English))
				}
			}
			p("      esac ;;")
			continue
		}
		if strings.Contains(c.Name, " ") {
			continue
		}
		_ = name
		p("    %s) if (( ja )); then _arguments -s %s '*:file:_files'; else _arguments -s %s '*:file:_files'; fi ;;",
			c.Name, zshSpecs(c.Flags, msg.Japanese), zshSpecs(c.Flags, msg.English))
	}
	p("  esac")
	p("}")
	p("")
	p(`_dualpath "$@"`)
}

func zshSpecs(fs []Flag, lang msg.Lang) string {
	var out []string
	for _, f := range fs {
		spec := "'--" + f.Name + "[" + zshQuote(f.Usage.In(lang)) + "]"
		if f.Arg != "" {
			action := ""
			switch f.Arg {
			case "FILE", "DIR", "PATH":
				action = "_files"
			}
			spec += ":" + zshQuote(strings.ToLower(f.Arg)) + ":" + action
		}
		out = append(out, spec+"'")
	}
	out = append(out, "'(- *)'{-h,--help}'["+zshQuote(msg.T("print help", "このヘルプを表示").In(lang))+"]'")
	return strings.Join(out, " ")
}
