package plan

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
)

// DefaultNetplanDir is where netplan reads the administrator's files; plan
// --netplan-dir defaults to it.
const DefaultNetplanDir = "/etc/netplan"

// NetplanSource is one netplan file as found on the host.
type NetplanSource struct {
	Path string
	Data []byte
}

// ReadNetplanDir reads the files netplan reads in dir (*.yaml), in the
// order netplan applies them (lexical). It only reads.
func ReadNetplanDir(dir string) ([]NetplanSource, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []NetplanSource
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil, fmt.Errorf("%s: %w (netplan files are mode 0600: run as root)", n, err)
			}
			return nil, err
		}
		out = append(out, NetplanSource{Path: n, Data: b})
	}
	return out, nil
}

// ConflictKind is what an existing netplan setting does against the
// generated file.
type ConflictKind int

// Kinds of conflicting settings.
const (
	// ConflictGateway: gateway4 or gateway6, a default route of its own.
	ConflictGateway ConflictKind = iota
	// ConflictDefaultRoute: a routes entry to 0.0.0.0/0, ::/0 or default in
	// the main table.
	ConflictDefaultRoute
	// ConflictDHCP4: dhcp4 on the interface differs from the plan's.
	ConflictDHCP4
	// ConflictAddress: another IPv4 address on the interface (netplan adds
	// the addresses of all files together).
	ConflictAddress
	// ConflictSecondFile: the interface is defined in this file too; netplan
	// merges the files.
	ConflictSecondFile
)

// Conflict is one setting in an existing file that fights the generated one.
type Conflict struct {
	Path    string
	Line    int
	Kind    ConflictKind
	Iface   string // the device ID it sits under
	Setting string // as written, e.g. "gateway4: 192.168.1.2"
	IPv6    bool   // a gateway or route of the IPv6 family
}

// NetplanFix says what to do with one existing file.
type NetplanFix struct {
	Path string
	// MoveAway: the file defines nothing but the interface; rename it so
	// netplan no longer reads it.
	MoveAway bool
	// Replacement is the file without the interface's block (when the file
	// defines other devices too); FromLine-ToLine are the lines removed.
	Replacement      []byte
	FromLine, ToLine int
	// Dropped are settings of the interface in this file that the
	// generated file does not carry, so the user can decide to add them.
	Dropped []Conflict
}

// ReplacementName is the file name the replacement is written under, beside
// the other outputs (never a *.yaml, so it is not read by accident).
func (f NetplanFix) ReplacementName() string {
	return filepath.Base(f.Path) + ".replacement"
}

// MovedName is where MoveAway suggests to rename the file: netplan reads
// only *.yaml, so the renamed file is ignored and easy to restore.
func (f NetplanFix) MovedName() string { return f.Path + ".before-dualpath" }

// NetplanReview is what plan found in the existing netplan files.
type NetplanReview struct {
	Conflicts  []Conflict
	Fixes      []NetplanFix
	Unreadable []string // "path: why"
}

var deviceTypes = []string{"ethernets", "wifis", "bonds", "bridges", "vlans", "tunnels", "modems"}

// ReviewNetplan reads the existing files against p's generated netplan (the
// file named NetplanFile itself is skipped: it is the one being replaced).
func ReviewNetplan(p *Plan, srcs []NetplanSource) NetplanReview {
	var r NetplanReview
	for _, s := range srcs {
		if filepath.Base(s.Path) == NetplanFile {
			continue
		}
		n := len(r.Conflicts)
		r.review(p, s)
		fileConflicts := r.Conflicts[n:]
		sort.SliceStable(fileConflicts, func(i, j int) bool { return fileConflicts[i].Line < fileConflicts[j].Line })
	}
	return r
}

func (r *NetplanReview) review(p *Plan, s NetplanSource) {
	var doc yaml.Node
	if err := yaml.Unmarshal(s.Data, &doc); err != nil {
		r.Unreadable = append(r.Unreadable, fmt.Sprintf("%s: %v", s.Path, err))
		return
	}
	network := mapValue(docRoot(&doc), "network")
	if network == nil {
		return
	}
	devices, ours := 0, 0
	var ourKey, ourTypeKey *yaml.Node
	var ourVal, ourTypeVal *yaml.Node
	typesWithDevices := 0
	var fix NetplanFix
	fix.Path = s.Path
	for _, typ := range deviceTypes {
		tk, tv := mapEntry(network, typ)
		if tv == nil || tv.Kind != yaml.MappingNode {
			continue
		}
		if len(tv.Content) > 0 {
			typesWithDevices++
		}
		for i := 0; i+1 < len(tv.Content); i += 2 {
			id, dev := tv.Content[i], tv.Content[i+1]
			devices++
			mine := isInterface(id.Value, dev, p.Interface)
			if mine {
				ours++
				ourKey, ourVal, ourTypeKey, ourTypeVal = id, dev, tk, tv
				r.add(s.Path, id.Line, ConflictSecondFile, id.Value, id.Value+":")
			}
			r.defaultRoutes(s.Path, id.Value, dev)
			if mine {
				fix.Dropped = r.interfaceSettings(p, s.Path, id.Value, dev)
			}
		}
	}
	if ours == 0 {
		return
	}
	if devices == ours {
		fix.MoveAway = true
		r.Fixes = append(r.Fixes, fix)
		return
	}
	// Cut the interface's block, or the whole device-type block when the
	// interface is its only member.
	from, to := ourKey.Line, lastLine(ourVal)
	if len(ourTypeVal.Content) == 2 {
		from, to = ourTypeKey.Line, lastLine(ourTypeVal)
	}
	lines := strings.SplitAfter(string(s.Data), "\n")
	if from < 1 || to > len(lines) || from > to {
		return
	}
	repl := strings.Join(lines[:from-1], "") + strings.Join(lines[to:], "")
	// The replacement must still be YAML and must no longer name the
	// interface; otherwise the user gets the lines to remove by hand.
	var check NetplanReview
	check.review(p, NetplanSource{Path: s.Path, Data: []byte(repl)})
	fix.FromLine, fix.ToLine = from, to
	if len(check.Unreadable) == 0 && len(check.Fixes) == 0 {
		fix.Replacement = []byte(repl)
	}
	r.Fixes = append(r.Fixes, fix)
}

func (r *NetplanReview) add(path string, line int, k ConflictKind, iface, setting string) *Conflict {
	r.Conflicts = append(r.Conflicts, Conflict{Path: path, Line: line, Kind: k, Iface: iface, Setting: setting})
	return &r.Conflicts[len(r.Conflicts)-1]
}

// defaultRoutes reports gateway4/gateway6 and default routes on any device:
// each is one more default route beside the generated ones.
func (r *NetplanReview) defaultRoutes(file, id string, dev *yaml.Node) {
	for _, k := range []string{"gateway4", "gateway6"} {
		if key, v := mapEntry(dev, k); v != nil {
			r.add(file, key.Line, ConflictGateway, id, k+": "+v.Value).IPv6 = k == "gateway6"
		}
	}
	if _, routes := mapEntry(dev, "routes"); routes != nil && routes.Kind == yaml.SequenceNode {
		for _, rt := range routes.Content {
			to := mapValue(rt, "to")
			if to == nil || !isDefaultDest(to.Value) {
				continue
			}
			if t := mapValue(rt, "table"); t != nil && t.Value != "254" && t.Value != "main" {
				continue // another table: not the main default route
			}
			s := "to: " + to.Value
			v6 := strings.Contains(to.Value, ":")
			if via := mapValue(rt, "via"); via != nil {
				s += ", via: " + via.Value
				v6 = v6 || strings.Contains(via.Value, ":")
			}
			r.add(file, to.Line, ConflictDefaultRoute, id, s).IPv6 = v6
		}
	}
}

// interfaceSettings reports dhcp4 and IPv4 addresses that differ from the
// plan's, and returns the settings the generated file does not carry.
func (r *NetplanReview) interfaceSettings(p *Plan, file, id string, dev *yaml.Node) []Conflict {
	wantDHCP4 := p.Mode != ModeTwoRouters
	if key, v := mapEntry(dev, "dhcp4"); v != nil {
		if on, ok := yamlBool(v.Value); ok && on != wantDHCP4 {
			r.add(file, key.Line, ConflictDHCP4, id, "dhcp4: "+v.Value)
		}
	}
	var dropped []Conflict
	if _, addrs := mapEntry(dev, "addresses"); addrs != nil && addrs.Kind == yaml.SequenceNode {
		for _, a := range addrs.Content {
			pfx, err := netip.ParsePrefix(a.Value)
			switch {
			case err != nil:
				dropped = append(dropped, Conflict{Path: file, Line: a.Line, Iface: id, Setting: "addresses: " + a.Value})
			case pfx.Addr().Is4():
				if p.Mode == ModeTwoRouters && pfx.Addr() == p.Server && pfx.Bits() == p.ServerBits {
					continue // the generated file has the same address
				}
				r.add(file, a.Line, ConflictAddress, id, "addresses: "+a.Value)
			default:
				dropped = append(dropped, Conflict{Path: file, Line: a.Line, Iface: id, Setting: "addresses: " + a.Value})
			}
		}
	}
	generated := map[string]bool{"dhcp4": true, "dhcp6": true, "accept-ra": true, "ipv6-privacy": true,
		"addresses": true, "routes": true, "gateway4": true, "gateway6": true}
	if p.Mode == ModeTwoRouters {
		generated["nameservers"] = true
	}
	for i := 0; i+1 < len(dev.Content); i += 2 {
		k, v := dev.Content[i], dev.Content[i+1]
		if generated[k.Value] {
			continue
		}
		setting := k.Value + ":"
		if v.Kind == yaml.ScalarNode {
			setting += " " + v.Value
		}
		dropped = append(dropped, Conflict{Path: file, Line: k.Line, Iface: id, Setting: setting})
	}
	return dropped
}

// isInterface reports whether the device definition id/dev configures
// iface: by its ID, by set-name, or by match: name (a glob).
func isInterface(id string, dev *yaml.Node, iface string) bool {
	if iface == "" {
		return false
	}
	if m := mapValue(dev, "match"); m != nil {
		if n := mapValue(m, "name"); n != nil {
			if ok, _ := path.Match(n.Value, iface); ok {
				return true
			}
		}
		if sn := mapValue(dev, "set-name"); sn != nil && sn.Value == iface {
			return true
		}
		return false // with match:, the ID is only a label
	}
	return id == iface
}

func isDefaultDest(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "default", "0.0.0.0/0", "::/0", "0/0", "::0/0":
		return true
	}
	return false
}

// yamlBool reads a YAML 1.1 boolean as netplan (libyaml + its own parser)
// does.
func yamlBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

func docRoot(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// mapEntry returns key and value of k in mapping m, or nils.
func mapEntry(m *yaml.Node, k string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func mapValue(m *yaml.Node, k string) *yaml.Node {
	_, v := mapEntry(m, k)
	return v
}

// lastLine is the last line any part of n sits on.
func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
		l += strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
	}
	return l
}

// Text says what the conflicting setting does, in both languages.
func (c Conflict) Text(p *Plan) msg.Text {
	switch c.Kind {
	case ConflictGateway, ConflictDefaultRoute:
		fam := "IPv4"
		if c.IPv6 {
			fam = "IPv6"
		}
		return msg.T("%s on %s: one more %s default route beside %s's; which one is used depends on the order they are added",
			"%[2]s の %[1]s: %[3]s の既定経路がもう一つあり、%[4]s の経路と並び、どちらが使われるかは追加の順序次第です",
			c.Setting, c.Iface, fam, NetplanFile)
	case ConflictDHCP4:
		value, why := "false", msg.T("a static address", "固定アドレス")
		if p.Mode != ModeTwoRouters {
			value, why = "true", msg.T("the IPoE router's DHCP", "IPoE ルータの DHCP")
		}
		return msg.T("%s on %s, but %s sets dhcp4: %s (%s)", "%[2]s の %[1]s は、%[3]s の dhcp4: %[4]s（%[5]s）と食い違います",
			c.Setting, c.Iface, NetplanFile, value, why)
	case ConflictAddress:
		return msg.T("%s on %s: netplan adds it beside %s's, so the interface has two IPv4 addresses",
			"%[2]s の %[1]s: netplan は %[3]s の分と足し合わせるため、IPv4 アドレスが2つになります",
			c.Setting, c.Iface, NetplanFile)
	case ConflictSecondFile:
		return msg.T("%s is also defined here; netplan merges this file with %s",
			"%s はここでも定義されています。netplan はこのファイルと %s を合わせて使います",
			c.Iface, NetplanFile)
	}
	return msg.T("%s", "%s", c.Setting)
}

// Report is the review as text for the terminal in l, wrapped to 80
// columns; outDir is where replacements were written ("" when printed).
func (r NetplanReview) Report(p *Plan, l msg.Lang, outDir string) string {
	var b strings.Builder
	line := func(first, rest string, t string) {
		for i, s := range termtext.Wrap(t, termtext.Width-termtext.DisplayWidth(first), termtext.Width-len(rest)) {
			if i == 0 {
				b.WriteString(first + s + "\n")
			} else {
				b.WriteString(rest + s + "\n")
			}
		}
	}
	for _, u := range r.Unreadable {
		line("", "  ", msg.T("cannot read %s; netplan will refuse it too", "%s を読めません。netplan も受け付けません", u).In(l))
	}
	if len(r.Conflicts) == 0 && len(r.Fixes) == 0 {
		if len(r.Unreadable) == 0 {
			line("", "", msg.T("No netplan file conflicts with %s.", "%s とぶつかる netplan の設定はありません。", NetplanFile).In(l))
		}
		return b.String()
	}
	line("", "", msg.T("Existing netplan settings that conflict with %s:", "%s とぶつかる既存の netplan の設定:", NetplanFile).In(l))
	for _, c := range r.Conflicts {
		fmt.Fprintf(&b, "  %s:%d:\n", c.Path, c.Line)
		line("      ", "      ", c.Text(p).In(l))
	}
	for _, f := range r.Fixes {
		b.WriteString("\n")
		switch {
		case f.MoveAway:
			line("", "", msg.T("%s configures only %s: move it away (netplan reads only *.yaml):",
				"%s は %s の設定だけです。netplan が読まないよう名前を変えてください（*.yaml だけが読まれます）:",
				f.Path, p.Interface).In(l))
			b.WriteString(shellLine("sudo", "mv", f.Path, f.MovedName()))
		case f.Replacement != nil && outDir != "":
			line("", "", msg.T("%s configures other devices too: %s is that file without lines %d-%d (%s); install it in its place:",
				"%s は他の機器も設定しています。%s は %d〜%d 行目（%s）を除いたものです。置き換えてください:",
				f.Path, filepath.Join(outDir, f.ReplacementName()), f.FromLine, f.ToLine, p.Interface).In(l))
			b.WriteString(shellLine("sudo", "install", "-m", "0600", filepath.Join(outDir, f.ReplacementName()), f.Path))
		case f.Replacement != nil:
			line("", "", msg.T("%s configures other devices too: remove its lines %d-%d (%s); with --out DIR plan writes the file without them as %s.",
				"%s は他の機器も設定しています。%d〜%d 行目（%s）を削除してください。`--out DIR` を付けると、その行を除いたファイルを %s として書き出します。",
				f.Path, f.FromLine, f.ToLine, p.Interface, f.ReplacementName()).In(l))
		default:
			line("", "", msg.T("%s: remove lines %d-%d (%s) by hand, then run netplan generate.",
				"%s: %d〜%d 行目（%s）を手で削除し、`netplan generate` を実行してください。",
				f.Path, f.FromLine, f.ToLine, p.Interface).In(l))
		}
		if len(f.Dropped) > 0 {
			line("", "  ", msg.T("Not carried into %s (add what you still need):", "%s に引き継がれない設定（必要なものは追加してください）:", NetplanFile).In(l))
			for _, d := range f.Dropped {
				line(fmt.Sprintf("  %s:%d: ", filepath.Base(d.Path), d.Line), "      ", d.Setting)
			}
		}
	}
	for _, c := range r.Conflicts {
		if (c.Kind == ConflictGateway || c.Kind == ConflictDefaultRoute) && !r.fixed(c) {
			line("", "", msg.T("Remove %s:%d (%s) by hand: it sets a default route on %s.",
				"%s:%d（%s）は %s に既定経路を設定しています。手で削除してください。",
				c.Path, c.Line, c.Setting, c.Iface).In(l))
		}
	}
	return b.String()
}

// fixed reports whether a fix removes c: the file is moved away, or c lies
// in the lines the replacement cuts.
// shellLine is a command indented by two, continued with a backslash where
// it would pass 80 columns, so it still pastes into a shell as one command.
func shellLine(args ...string) string {
	var b strings.Builder
	col, onLine := 2, 0
	b.WriteString("  ")
	for i, a := range args {
		if i > 0 {
			// Keep the command with its first operand; break later ones.
			if col+1+len(a) > termtext.Width-2 && (onLine >= 3 || col == 6) {
				b.WriteString(" \\\n      ")
				col, onLine = 6, 0
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(a)
		col += len(a)
		onLine++
	}
	b.WriteString("\n")
	return b.String()
}

func (r NetplanReview) fixed(c Conflict) bool {
	for _, f := range r.Fixes {
		if f.Path == c.Path && (f.MoveAway || c.Line >= f.FromLine && c.Line <= f.ToLine) {
			return true
		}
	}
	return false
}

// Files are the replacement files to write beside the other outputs.
func (r NetplanReview) Files() []File {
	var out []File
	for _, f := range r.Fixes {
		if f.Replacement != nil {
			out = append(out, File{Name: f.ReplacementName(), Title: msg.T("netplan replacement for %s", "%s の置き換え（netplan）", f.Path), Mode: 0o600, Content: f.Replacement})
		}
	}
	return out
}
