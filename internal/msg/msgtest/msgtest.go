// Package msgtest is the eye tests use to read Japanese output: English
// phrase words inside a Japanese sentence (the catalogue test, msg_test.go)
// and, stricter, any English word in a line printed for a Japanese reader
// (commands run under LANG=ja_JP.UTF-8 with faults that bring errors from
// below into their lines).
package msgtest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/dualpath/dualpath/internal/termtext"
)

// HasJapanese reports whether s holds a kana, a kanji or Japanese
// punctuation.
func HasJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef) {
			return true
		}
	}
	return false
}

// Quoted matches what a Japanese sentence may hold in Latin letters whatever
// it is: quotes, backquotes, 「」, format verbs, paths, flags and key names,
// addresses.
var Quoted = regexp.MustCompile("IPv4 over IPv6|'[^']*'|`[^`]*`|\"[^\"]*\"|「[^」]*」|%(\\[\\d+\\])?[-+# 0]*\\d*(\\.\\d+)?[a-zA-Z]|[-/.@\\w]*[/_.=:@-][-/.@\\w]*")

var word = regexp.MustCompile(`\b[A-Za-z]{2,}\b`)

// Names are the words a Japanese sentence keeps in Latin letters: product
// and protocol names, and what the user types.
var Names = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`dualpath PPPoE PPP MAP MAPE DS Lite IPoE IPv IP IPv4 IPv6 DNS DDNS DHCP DHCPv RA
		NDP ARP TCP UDP MTU MSS ICMP ICMPv LAN WAN ISP NAT NAPT CE BR BRAS AC PADI PADO PADR PADS PADT
		LCP IPCP IPV CHAP PAP PSID EA TUN AAAA A MyDNS Cloudflare DuckDNS dyndns rfc RFC API URL HTTP HTTPS
		nginx dnsmasq BIND netplan systemd nftables nft iptables sysctl rp_filter root sudo ID JSON YAML
		OCN NURO BIGLOBE JPNE NTT FLET'S v6 SLAAC DAD PC OK ok NG yaml json doctor lab mape plan run status
		pppoe ddns check config ip inet inet4 inet6 veth macvlan whoami UTC TTL IF FILE PREFIX ADDRESS
		ON OFF RS ND Linux journalctl pid ping
		auto pap chap tunnel expose ipv seen none off text debug info warn error true false
		HGW Buffalo Aterm Yamaha NEC MAC PEM TLS SNI ULA GUA transix Xpass
		mydns duckdns cloudflare rfc2136 dyndns2 notify GET PUT POST UPDATE Basic Bearer TSIG
		OCX MasterID Prometheus VPS`) {
		Names[n] = true
	}
}

// englishWords are words that make an English phrase, not a name.
var englishWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the a an is are was were be been not no of to in on at for with and or
		but from by as if then than this that these those it its into onto out over under
		found failed cannot can could should would will must may please use using give run
		missing unknown error errors expected seen see check set unset got want need needs
		only also all any every each some none yes here there when while after before now`) {
		englishWords[w] = true
	}
}

// EnglishIn returns the English phrase words in the Japanese text ja
// ("Link not found", "a port of PSID", "in set"): the catalogue's test of
// a message as written.
func EnglishIn(ja string) []string {
	var out []string
	for _, w := range word.FindAllString(Quoted.ReplaceAllString(ja, "\x00"), -1) {
		if englishWords[strings.ToLower(w)] && !Names[w] {
			out = append(out, w)
		}
	}
	return out
}

// units, status words of a report (ok, fail, skip) and command words a
// printed line keeps as they are.
var units = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`ms KiB MiB GiB KB MB GB kB bps kbps Mbps Gbps ns us
		ufw sshd lo dev fail skip FAIL`) {
		units[w] = true
	}
}

// ForeignWords returns every English word of a line printed for a Japanese
// reader: a word of two or more Latin letters that is not a name (Names),
// a unit, or inside quotes, a path, a key or an address. Stricter than
// EnglishIn: "connection refused" has no phrase word but is English.
func ForeignWords(line string) []string {
	var out []string
	for _, w := range word.FindAllString(Quoted.ReplaceAllString(line, "\x00"), -1) {
		if !Names[w] && !units[w] {
			out = append(out, w)
		}
	}
	return out
}

// Japanese fails t when out (printed under a Japanese locale) holds an
// English word (ForeignWords; a quote may go on over a wrapped line) or a
// line wider than 80 columns.
func Japanese(t testing.TB, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if w := ForeignWords(strings.Join(lines, " ")); len(w) > 0 {
		t.Errorf("English %q in Japanese lines:\n%s", w, out)
	}
	for _, l := range lines {
		if w := termtext.DisplayWidth(l); w > termtext.Width {
			t.Errorf("%d columns: %q", w, l)
		}
	}
}

// LogLine reads one line of slog's text format (level=INFO msg="..."
// key=value ...) into its keys and unquoted values; ok is false for a line
// that is not one.
func LogLine(line string) (kv map[string]string, ok bool) {
	kv = map[string]string{}
	s := strings.TrimSpace(line)
	for s != "" {
		k, rest, found := strings.Cut(s, "=")
		if !found || k == "" || strings.ContainsAny(k, " \"") {
			return kv, false
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(rest) {
				return kv, false
			}
			u, err := strconv.Unquote(rest[:end+1])
			if err != nil {
				return kv, false
			}
			v, rest = u, rest[end+1:]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		kv[k] = v
		s = strings.TrimLeft(rest, " ")
	}
	_, hasMsg := kv["msg"]
	return kv, hasMsg && kv["level"] != ""
}

// JapaneseLog fails t for each line of out (a log in slog's text format
// written under a Japanese locale) at level info or above whose message is
// not Japanese or holds an English word (ForeignWords), or whose value of
// one of the keys sentences names (err, reason...) holds an English word.
// Debug lines are developers' traces and stay English; lines not in the
// format (a panic, a child's output) are not looked at. It returns how many
// lines it read.
func JapaneseLog(t testing.TB, out string, sentences ...string) int {
	t.Helper()
	n := 0
	for _, l := range strings.Split(out, "\n") {
		kv, ok := LogLine(l)
		if !ok || kv["level"] == "DEBUG" {
			continue
		}
		n++
		if m := kv["msg"]; !HasJapanese(m) || len(ForeignWords(m)) > 0 {
			t.Errorf("log message not in Japanese (English %q): %s", ForeignWords(m), l)
		}
		for _, k := range sentences {
			if w := ForeignWords(kv[k]); len(w) > 0 {
				t.Errorf("English %q in %s=: %s", w, k, l)
			}
		}
	}
	return n
}
