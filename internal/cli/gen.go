package cli

import (
	"fmt"
	"io"
	"strings"
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

// Man writes dualpath(1) in man(7) roff: synopsis of every command, each
// command's purpose and flags, the exit codes, files, the config reference.
func Man(w io.Writer, cmds []Described, version string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p(`.\" Generated from dualpath's command registry (internal/cli); do not edit.`)
	p(`.TH DUALPATH 1 "" "dualpath %s" "User Commands"`, roff(version))
	p(".ad l")
	p(".nh")
	p(".SH NAME")
	p(`dualpath \- a home server's own PPPoE session next to its IPv6 (IPoE, MAP\-E) path`)
	p(".SH SYNOPSIS")
	for _, c := range cmds {
		p(".B dualpath")
		p("%s", roff(c.Usage))
		p(".br")
	}
	p(".B dualpath")
	p(`\-\-version | \-h | \-\-help`)
	p(".SH DESCRIPTION")
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
	p(".SH COMMANDS")
	for _, c := range cmds {
		p(".SS %s", roff(c.Name))
		p(".B dualpath")
		p("%s", roff(c.Usage))
		p(".PP")
		p("%s.", roff(strings.TrimSuffix(c.Summary.EN, ".")))
		if len(c.Subs) > 0 {
			p("Subcommands: %s.", roff(strings.Join(c.Subs, ", ")))
		}
		for _, f := range c.Flags {
			p(".TP")
			if f.Arg == "" {
				p(`.B \-\-%s`, roff(f.Name))
			} else {
				p(`.BI \-\-%s " " %s`, roff(f.Name), roff(f.Arg))
			}
			p("%s", roff(f.UsageWithDefault().EN))
		}
	}
	p(".SH EXIT STATUS")
	for _, e := range ExitCodes {
		p(".TP")
		p(".B %d", e.Code)
		p("%s", roff(e.Text.EN))
	}
	p(".SH ENVIRONMENT")
	p(".TP")
	p(".B DUALPATH_PPPOE_PASSWORD")
	p("The PPPoE password, instead of a password file (never on the command line).")
	p(".TP")
	p(".B DUALPATH_STATUS_SOCKET")
	p("The status socket that")
	p(".B dualpath status")
	p("reads.")
	p(".TP")
	p(".B DUALPATH_LAB_PREFIX")
	p("The namespace prefix of the lab.")
	p(".TP")
	p(`.BR LC_ALL ", " LC_MESSAGES ", " LANG`)
	p("Japanese text output and log lines when the first one set starts with ja (systemd passes the system's LANG to the service).")
	p(".SH FILES")
	p(".TP")
	p(".I /etc/dualpath/dualpath.yaml")
	p("The configuration file. Every key is described in")
	p(".I /usr/share/doc/dualpath/config.md")
	p("(Japanese:")
	p(".IR /usr/share/doc/dualpath/config.ja.md ).")
	p(".TP")
	p(".I /run/dualpath/status.sock")
	p("The daemon's status socket.")
	p(".TP")
	p(".I /var/lib/dualpath")
	p("The journal of host changes.")
	p(".SH SEE ALSO")
	p(".BR ip (8),")
	p(".BR nft (8),")
	p(".BR netplan (5),")
	p(".BR systemctl (1)")
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

// Zsh writes a zsh completion function (#compdef dualpath).
func Zsh(w io.Writer, cmds []Described) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("#compdef dualpath")
	p("# zsh completion for dualpath; generated from its command registry, do not edit.")
	p("")
	p("_dualpath() {")
	p("  local -a commands")
	p("  commands=(")
	for _, c := range cmds {
		if !strings.Contains(c.Name, " ") {
			p("    '%s:%s'", c.Name, zshQuote(c.Summary.EN))
		}
	}
	p("  )")
	p("  if (( CURRENT == 2 )); then")
	p("    _describe -t commands 'dualpath command' commands")
	p("    _arguments '(- *)'{-h,--help}'[print help]' '(- *)--version[print the version]'")
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
					p("        %s) _arguments -s %s '*:file:_files' ;;", sub, zshSpecs(s.Flags))
				}
			}
			p("      esac ;;")
			continue
		}
		if strings.Contains(c.Name, " ") {
			continue
		}
		_ = name
		p("    %s) _arguments -s %s '*:file:_files' ;;", c.Name, zshSpecs(c.Flags))
	}
	p("  esac")
	p("}")
	p("")
	p(`_dualpath "$@"`)
}

func zshSpecs(fs []Flag) string {
	var out []string
	for _, f := range fs {
		spec := "'--" + f.Name + "[" + zshQuote(f.Usage.EN) + "]"
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
	out = append(out, "'(- *)'{-h,--help}'[print help]'")
	return strings.Join(out, " ")
}
