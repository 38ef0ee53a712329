package plan

import (
	"github.com/dualpath/dualpath/internal/msg"

	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// This file reads an nginx site file (outside bytes) just far enough to
// find each `server { }` block and its `listen` directives, and writes a
// copy in which every IPv4 wildcard listen without its IPv6 twin gains one:
// `listen [::]:443 ssl http2;` right after `listen 443 ssl http2;`. Nothing
// else changes: the copy is the original with lines (or, on a line that
// goes on after the directive, text) inserted. Syntax follows nginx's own
// tokenizer (src/core/ngx_conf_file.c, ngx_conf_read_token): directives end
// with `;`, blocks are `{ }`, `#` starts a comment outside quotes, '..' and
// ".." quote with backslash escapes.

// Errors of the nginx reader.
var (
	ErrNginxUnbalanced = errors.New("unbalanced { } in the nginx file")
	ErrNginxQuote      = errors.New("unterminated quote in the nginx file")
)

// nginxDirective is one directive: its words and where it ends (the byte
// after its `;` or `{`), and its nesting path ("http/server").
type nginxDirective struct {
	words []string
	end   int    // offset just after the terminating ';' or '{'
	block bool   // ends with '{'
	path  string // enclosing block names, "/"-joined
	close int    // for a block: offset of its '}'
	kids  []*nginxDirective
}

// parseNginx tokenizes src into a directive tree.
func parseNginx(src []byte) ([]*nginxDirective, error) {
	type frame struct {
		d    *nginxDirective
		kids *[]*nginxDirective
		path string
	}
	var top []*nginxDirective
	stack := []frame{{kids: &top}}
	var words []string
	var word strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '#' && !inWord:
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'':
			q := c
			i++
			for ; i < len(src) && src[i] != q; i++ {
				if src[i] == '\\' && i+1 < len(src) {
					i++
				}
				word.WriteByte(src[i])
			}
			if i >= len(src) {
				return nil, ErrNginxQuote
			}
			inWord = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			flush()
		case c == ';' || c == '{':
			flush()
			f := stack[len(stack)-1]
			d := &nginxDirective{words: words, end: i + 1, block: c == '{', path: f.path}
			*f.kids = append(*f.kids, d)
			words = nil
			if c == '{' {
				name := ""
				if len(d.words) > 0 {
					name = d.words[0]
				}
				p := name
				if f.path != "" {
					p = f.path + "/" + name
				}
				stack = append(stack, frame{d: d, kids: &d.kids, path: p})
			}
		case c == '}':
			flush()
			if len(words) > 0 || len(stack) == 1 {
				return nil, ErrNginxUnbalanced
			}
			stack[len(stack)-1].d.close = i
			stack = stack[:len(stack)-1]
		case c == '$' && i+1 < len(src) && src[i+1] == '{':
			// ${variable}: part of the word, braces and all.
			for ; i < len(src) && src[i] != '}'; i++ {
				word.WriteByte(src[i])
			}
			if i >= len(src) {
				return nil, ErrNginxUnbalanced
			}
			word.WriteByte('}')
			inWord = true
		default:
			if c == '\\' && i+1 < len(src) {
				i++
				c = src[i]
			}
			word.WriteByte(c)
			inWord = true
		}
	}
	flush()
	if len(stack) != 1 || len(words) > 0 {
		return nil, ErrNginxUnbalanced
	}
	return top, nil
}

// listenSpec is one `listen` directive's address and port.
type listenSpec struct {
	port   int
	v4Any  bool // "80", "*:80", "0.0.0.0:80"
	v6Any  bool // "[::]:80"
	bothV6 bool // "[::]:80 ipv6only=off": one socket for both families
	params []string
}

func parseListen(d *nginxDirective) (listenSpec, bool) {
	words := d.words
	if d.block || len(words) < 2 || words[0] != "listen" {
		return listenSpec{}, false
	}
	addr := words[1]
	var s listenSpec
	s.params = words[2:]
	host, port := "", addr
	if strings.HasPrefix(addr, "[") {
		end := strings.Index(addr, "]")
		if end < 0 {
			return s, false
		}
		host, port = addr[:end+1], strings.TrimPrefix(addr[end+1:], ":")
		if port == "" {
			port = "80"
		}
	} else if h, p, ok := strings.Cut(addr, ":"); ok {
		if h == "unix" {
			return s, false
		}
		host, port = h, p
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return s, false // a host name alone, unix: sockets: leave alone
	}
	s.port = n
	switch host {
	case "", "*", "0.0.0.0":
		s.v4Any = true
	case "[::]", "[::0]", "[0:0:0:0:0:0:0:0]":
		s.v6Any = true
		for _, p := range s.params {
			if p == "ipv6only=off" {
				s.bothV6 = true
			}
		}
	}
	return s, true
}

// NginxEdit is one inserted IPv6 twin.
type NginxEdit struct {
	Line  int    // 1-based line of the IPv4 listen it mirrors
	Added string // the directive added, e.g. "listen [::]:443 ssl;"
}

// MirrorNginx returns src with the IPv6 twin of every IPv4 wildcard listen
// that lacks one, in each server block, and the edits made (none: the
// file already listens on both families where it listens on IPv4).
func MirrorNginx(src []byte) ([]byte, []NginxEdit, error) {
	top, err := parseNginx(src)
	if err != nil {
		return nil, nil, err
	}
	type ins struct {
		at   int
		text string
	}
	var inserts []ins
	var edits []NginxEdit
	var walk func(ds []*nginxDirective)
	walk = func(ds []*nginxDirective) {
		for _, d := range ds {
			if !d.block {
				continue
			}
			if len(d.words) == 1 && d.words[0] == "server" && !strings.HasSuffix(d.path, "upstream") {
				v6 := map[int]bool{}
				for _, k := range d.kids {
					if s, ok := parseListen(k); ok && (s.v6Any || s.bothV6) {
						v6[s.port] = true
					}
				}
				for _, k := range d.kids {
					s, ok := parseListen(k)
					if !ok || !s.v4Any || v6[s.port] {
						continue
					}
					v6[s.port] = true
					var params []string
					for _, p := range s.params {
						if !strings.HasPrefix(p, "ipv6only=") {
							params = append(params, p)
						}
					}
					line := "listen " + strings.Join(append([]string{fmt.Sprintf("[::]:%d", s.port)}, params...), " ") + ";"
					at, text := placeAfter(src, k.end, line)
					inserts = append(inserts, ins{at, text})
					edits = append(edits, NginxEdit{Line: 1 + strings.Count(string(src[:k.end]), "\n"), Added: line})
				}
			}
			walk(d.kids)
		}
	}
	walk(top)
	if len(inserts) == 0 {
		return src, nil, nil
	}
	var b strings.Builder
	last := 0
	for _, in := range inserts { // in source order: the walk is in order
		b.Write(src[last:in.at])
		b.WriteString(in.text)
		last = in.at
	}
	b.Write(src[last:])
	return []byte(b.String()), edits, nil
}

// placeAfter decides where the twin of the directive ending at end goes:
// on a line of its own after the directive's line, indented like it, when
// only blanks or a comment follow it on that line; otherwise right after
// the directive on the same line.
func placeAfter(src []byte, end int, line string) (int, string) {
	eol := end
	for eol < len(src) && src[eol] != '\n' {
		eol++
	}
	rest := strings.TrimSpace(string(src[end:eol]))
	if rest != "" && !strings.HasPrefix(rest, "#") {
		return end, " " + line
	}
	bol := strings.LastIndexByte(string(src[:end]), '\n') + 1
	indent := ""
	for i := bol; i < len(src) && (src[i] == ' ' || src[i] == '\t'); i++ {
		indent += string(src[i])
	}
	if eol == len(src) {
		return eol, "\n" + indent + line + "\n"
	}
	return eol + 1, indent + line + "\n"
}

// UnifiedDiff is a unified diff (3 lines of context) between a and b, as
// `diff -u` prints it, labelled with the two names; "" when they are equal.
func UnifiedDiff(nameA, nameB string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	al, bl := splitLines(string(a)), splitLines(string(b))
	// Longest common subsequence table (site files are small).
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		ai   int
		bi   int
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			ops = append(ops, op{' ', al[i], i, j})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', bl[j], i, j})
			j++
		default:
			ops = append(ops, op{'-', al[i], i, j})
			i++
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	const ctx = 3
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(0, k-ctx)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(ops) {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		var aLen, bLen int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				aLen++
			}
			if o.kind != '-' {
				bLen++
			}
		}
		aStart, bStart := ops[start].ai+1, ops[start].bi+1
		if aLen == 0 {
			aStart--
		}
		if bLen == 0 {
			bStart--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		k = end
	}
	return out.String()
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// NginxSite is one site file's edited copy and its diff, named for writing
// beside the other outputs: nginx-BASE and nginx-BASE.diff.
func NginxSite(path string, src []byte) ([]File, []NginxEdit, error) {
	out, edits, err := MirrorNginx(src)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	base := "nginx-" + filepath.Base(path)
	return []File{
		{Name: base, Title: msg.T("nginx site %s listening on IPv4 and IPv6", "IPv4 と IPv6 で待ち受ける nginx のサイト %s", path), Mode: 0o644, Content: out},
		{Name: base + ".diff", Title: msg.T("changes to %s", "%s への変更", path), Mode: 0o644, Content: []byte(UnifiedDiff(path, path+" (dualpath)", src, out))},
	}, edits, nil
}
