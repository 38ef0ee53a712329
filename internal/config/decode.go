package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dualpath/dualpath/internal/msg"
)

// The strict decoder. yaml.v3's KnownFields reports only line numbers and no
// key path, so the file is parsed into a yaml.Node tree and walked here,
// guided by the `yaml:"..."` tags of the Config types: every problem gets
// file:line:column and the key path, and all problems of a file are reported
// at once.

// maxNodes bounds the walk, so alias expansion ("billion laughs") cannot make
// a small file cost unbounded time or memory.
const maxNodes = 100000

// maxErrors is how many problems are reported before the rest are dropped.
const maxErrors = 20

type decoder struct {
	file string
	errs Errors
	// badValues are problems that do not stop the decode: Validate
	// reports them (Config.badValues).
	badValues Errors
	pos       map[string]Pos
	nodes     int
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	d.errorT(n, key, msg.Text{EN: fmt.Sprintf(format, args...)})
}

// errorT records a problem at n, in both languages.
func (d *decoder) errorT(n *yaml.Node, key string, t msg.Text) {
	if len(d.errs) >= maxErrors {
		return
	}
	e := &Error{File: d.file, Key: key, Msg: t.EN, Text: t}
	if n != nil {
		e.Pos = Pos{n.Line, n.Column}
	}
	d.errs = append(d.errs, e)
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	sourceType   = reflect.TypeOf(Source{})
)

// decode fills v (addressable) from n. key is the path of v; at is the node
// whose position names v (the key node for mapping values).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string, at *yaml.Node) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errorT(n, key, msg.T("the file is too large or expands too much through aliases", "ファイルが大きすぎるか、エイリアスの展開が多すぎます"))
		}
		return
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorT(n, key, msg.T("broken alias", "エイリアスが壊れています"))
			return
		}
		n = n.Alias
		d.nodes++
	}
	if isNull(n) {
		return // an empty value leaves the default in place
	}
	if v.Type() == durationType {
		d.decodeDuration(n, v, key, at)
		return
	}
	if v.Type() == sourceType {
		d.decodeSource(n, v, key, at)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), key, at)
	case reflect.Struct:
		d.decodeStruct(n, v, key)
	case reflect.Slice:
		d.decodeSlice(n, v, key, at)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorT(at, key, msg.T("expected a single value, got %s", "値を1つ書いてください（%s が書かれています）", describe(n)))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			d.errorT(at, key, msg.T("expected true or false, got %s", "true か false を書いてください（%s が書かれています）", describe(n)))
			return
		}
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			d.errorT(at, key, msg.T("%q is not true or false", "%q は true でも false でもありません", n.Value))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, ok := d.integer(n, key, at)
		if !ok {
			return
		}
		if v.OverflowInt(i) {
			d.errorT(at, key, msg.T("%d is too large", "%d は大きすぎます", i))
			return
		}
		v.SetInt(i)
	case reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		i, ok := d.integer(n, key, at)
		if !ok {
			return
		}
		if v.Kind() == reflect.Uint16 && (i < 0 || i > math.MaxUint16) {
			d.errorT(at, key, msg.T("%d is not a port number (1-65535)", "%d はポート番号ではありません（1〜65535）", i))
			return
		}
		if i < 0 || v.OverflowUint(uint64(i)) {
			d.errorT(at, key, msg.T("%d is out of range", "%d は範囲外です", i))
			return
		}
		v.SetUint(uint64(i))
	default:
		// A programming error in the Config types, not a user error.
		d.errorf(at, key, "internal: cannot decode into %s", v.Type())

	}
}

func (d *decoder) integer(n *yaml.Node, key string, at *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorT(at, key, msg.T("expected a whole number, got %s", "整数を書いてください（%s が書かれています）", describe(n)))
		return 0, false
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	i, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			d.errorT(at, key, msg.T("%s is too large", "%s は大きすぎます", n.Value))
		} else {
			d.errorT(at, key, msg.T("%q is not a whole number", "%q は整数ではありません", n.Value))
		}
		return 0, false
	}
	return i, true
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, key string, at *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		d.errorT(at, key, msg.T("expected a duration like 10s or 5m, got %s", "10s や 5m のような時間を書いてください（%s が書かれています）", describe(n)))
		return
	}
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
		d.errorT(at, key, msg.T("%s has no unit: write it like %ss (seconds), 5m or 24h", "%s に単位がありません。%ss（秒）、5m、24h のように書いてください", n.Value, n.Value))
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.errorT(at, key, msg.T("%q is not a duration: write it like 10s, 5m or 24h", "%q は時間ではありません。10s、5m、24h のように書いてください", n.Value))
		return
	}
	v.SetInt(int64(dur))
}

// decodeSource parses a ddns record's ipv4 or ipv6 value (ParseSource); the
// key names the family. A value that does not parse is left none and
// reported by Validate, with the other problems of the file.
func (d *decoder) decodeSource(n *yaml.Node, v reflect.Value, key string, at *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		d.errorT(at, key, msg.T("expected a single value like pppoe or interface:enp1s0, got %s", "pppoe や interface:enp1s0 のような値を1つ書いてください（%s が書かれています）", describe(n)))
		return
	}
	s, err := ParseSource(n.Value, strings.HasSuffix(key, "ipv6"))
	if err != nil {
		t := msg.ErrorText(err)
		d.badValues = append(d.badValues, &Error{File: d.file, Key: key, Pos: Pos{at.Line, at.Column}, Msg: t.EN, Text: t})
		return
	}
	v.Set(reflect.ValueOf(s))
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, key string, at *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		d.errorT(at, key, msg.T("expected a list (like [80, 443] or lines starting with -), got %s", "リスト（「[80, 443]」や「-」で始まる行）を書いてください（%s が書かれています）", describe(n)))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, el := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		d.pos[k] = Pos{el.Line, el.Column}
		d.decode(el, s.Index(i), k, el)
	}
	v.Set(s)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		what := "the file"
		if key != "" {
			what = key
		}
		d.errorT(n, key, msg.T("expected keys and values (a mapping) for %s, got %s", "%s にはキーと値（マッピング）を書いてください（%s が書かれています）", what, describe(n)))
		return
	}
	fields := structFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		name := kn.Value
		k := name
		if key != "" {
			k = key + "." + name
		}
		if kn.Kind != yaml.ScalarNode {
			d.errorT(kn, key, msg.T("a key must be a plain name, got %s", "キーは単純な名前にしてください（%s が書かれています）", describe(kn)))
			continue
		}
		idx, ok := fields[name]
		if !ok {
			d.errorT(kn, k, msg.T("unknown key%s", "知らないキーです%s", suggest(name, fields)))
			continue
		}
		if seen[name] {
			d.errorT(kn, k, msg.T("key appears twice (line %d and line %d): keep one", "キーが2回書かれています（%d 行目と %d 行目）。1つにしてください", d.pos[k].Line, kn.Line))
			continue
		}
		seen[name] = true
		d.pos[k] = Pos{kn.Line, kn.Column}
		d.decode(vn, v.Field(idx), k, kn)
	}
}

// structFields maps yaml key names to field indexes; fields without a tag or
// with `yaml:"-"` are not keys.
func structFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		m[tag] = i
	}
	return m
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" || n.Kind == 0
}

func describe(n *yaml.Node) msg.Text {
	switch n.Kind {
	case yaml.MappingNode:
		return msg.T("keys and values", "キーと値")
	case yaml.SequenceNode:
		return msg.T("a list", "リスト")
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return msg.Same(strconv.Quote(v))
	}
	return msg.T("nothing", "空")
}

// suggest proposes the known key closest to a misspelt one.
func suggest(name string, fields map[string]int) msg.Text {
	// A short key is "close" only at distance 1 ("mut" -> "mtu"), so that
	// "foo" is not answered with "did you mean log"; longer ones up to 2.
	limit := min(2, max(1, len(name)/3))
	best, bestD := "", limit+1
	for k := range fields {
		if dd := msg.EditDistance(strings.ToLower(name), k); dd < bestD || dd == bestD && best != "" && k < best {
			best, bestD = k, dd
		}
	}
	if best == "" {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return msg.T(" (known keys here: %s)", "（ここで使えるキー: %s）", msg.Items(keys))
	}
	return msg.T(": did you mean %q?", "。%q の誤りでは？", best)
}

// tabIndent finds the first line whose indentation contains a tab: yaml.v3
// reports those with a misleading line number.
func tabIndent(data []byte) (Pos, bool) {
	for i, line := range strings.Split(string(data), "\n") {
		for j, r := range line {
			if r == '\t' {
				return Pos{i + 1, j + 1}, true
			}
			if r != ' ' {
				break
			}
		}
	}
	return Pos{}, false
}

// Keys lists every key path the decoder accepts, walking the same `yaml`
// tags it does, in the order of the Config types (the order of the example
// file): "interface", "pppoe", "pppoe.username", ..., "ddns",
// "ddns[].provider", ... docs/config.md documents each (a test holds it to
// this list).
func Keys() []string { return typeKeys(reflect.TypeOf(Config{}), "") }

func typeKeys(t reflect.Type, prefix string) []string {
	var keys []string
	fields := structFields(t)
	for i := 0; i < t.NumField(); i++ {
		name := ""
		for k, idx := range fields {
			if idx == i {
				name = k
			}
		}
		if name == "" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		keys = append(keys, path)
		ft := t.Field(i).Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Slice {
			ft, path = ft.Elem(), path+"[]"
		}
		if ft.Kind() == reflect.Struct && ft != sourceType {
			keys = append(keys, typeKeys(ft, path)...)
		}
	}
	return keys
}
