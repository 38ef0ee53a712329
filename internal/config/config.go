// Package config is dualpath's one configuration file (YAML): its types, strict
// loading with file:line:column errors, defaults and validation. The daemon
// (`run`), `ddns`, `doctor`, `plan` and `check-config` all read it through here.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/dualpath/dualpath/internal/msg"
)

// Defaults for keys left out of the file.
const (
	DefaultConfigFile    = "/etc/dualpath/dualpath.yaml"
	DefaultStatusSocket  = "/run/dualpath/status.sock"
	DefaultMetricsListen = "127.0.0.1:9842"
	DefaultStateDir      = "/var/lib/dualpath"
)

// Config is the whole file. Keys and meanings follow design.md.
type Config struct {
	Interface string       `yaml:"interface"` // the server's LAN interface, e.g. enp1s0
	PPPoE     *PPPoE       `yaml:"pppoe"`     // nil in two-router mode
	Tunnel    *Tunnel      `yaml:"tunnel"`    // fixed-IP IPv4-over-IPv6 (instead of pppoe)
	Expose    Expose       `yaml:"expose"`
	DDNS      []DDNSRecord `yaml:"ddns"`
	Status    Status       `yaml:"status"`
	Metrics   Metrics      `yaml:"metrics"`
	Plan      *Plan        `yaml:"plan"`
	StateDir  string       `yaml:"state_dir"` // default /var/lib/dualpath
	Log       Log          `yaml:"log"`
	Check     *Check       `yaml:"check"`  // reachability from outside (check.go)
	Notify    *Notify      `yaml:"notify"` // webhooks and hooks for events (notify.go)

	// Path is the file the config came from (for messages); not a YAML key.
	Path string `yaml:"-"`

	pos map[string]Pos // where each key path was written (Position, Errorf)
	// badValues are values the decoder could not make sense of but that do
	// not stop the decode (an address source): Validate reports them with
	// the rest, so check-config lists every problem at once.
	badValues Errors
}

// PPPoE is the server's own PPPoE session.
type PPPoE struct {
	Username     string        `yaml:"username"`
	PasswordFile string        `yaml:"password_file"` // mode 0600, else refused; or env DUALPATH_PPPOE_PASSWORD
	MTU          int           `yaml:"mtu"`           // DefaultPPPoEMTU; up to MaxPPPoEMTU (RFC 4638)
	Macvlan      bool          `yaml:"macvlan"`       // own MAC for the session
	Table        int           `yaml:"table"`         // policy routing table, DefaultPPPoETable
	TUN          string        `yaml:"tun"`           // DefaultTUN, at most MaxTUNName characters
	Service      string        `yaml:"service"`       // Service-Name, optional
	ACName       string        `yaml:"ac_name"`       // AC-Name, optional
	Auth         string        `yaml:"auth"`          // auto | pap | chap
	EchoInterval time.Duration `yaml:"echo_interval"` // default 10s
	EchoFailures int           `yaml:"echo_failures"` // unanswered probes, default 3
	// EchoProbeInterval spaces the probes after an idle echo_interval
	// (default 1s).
	EchoProbeInterval time.Duration `yaml:"echo_probe_interval"`
	DefaultRoute      bool          `yaml:"default_route"` // also route all IPv4 via PPPoE (off)
}

// Expose lists the only inbound ports on the PPPoE address.
type Expose struct {
	TCP      []uint16 `yaml:"tcp"`
	UDP      []uint16 `yaml:"udp"`
	ICMPEcho *bool    `yaml:"icmp_echo"` // default true
}

// DDNSRecord is one DNS name kept up to date through one provider.
type DDNSRecord struct {
	Provider     string `yaml:"provider"` // mydns | rfc2136 | cloudflare | duckdns | dyndns2
	Name         string `yaml:"name"`     // the DNS name (rfc2136, cloudflare, dyndns2: hostname; duckdns: subdomain)
	Username     string `yaml:"username"` // mydns MasterID, dyndns2 user
	PasswordFile string `yaml:"password_file"`
	TokenFile    string `yaml:"token_file"` // cloudflare API token, duckdns token

	IPv4 Source `yaml:"ipv4"` // pppoe | tunnel | interface:NAME | http:URL | static:ADDR | seen[:NAME] | none
	IPv6 Source `yaml:"ipv6"` // interface:NAME | http:URL | static:ADDR | seen[:NAME] | none

	// IPv6 address choice for interface sources.
	IPv6Include []string `yaml:"ipv6_include"` // only addresses inside these prefixes
	IPv6Exclude []string `yaml:"ipv6_exclude"`
	IPv6Suffix  string   `yaml:"ipv6_suffix"` // fixed host part, e.g. ::10
	AllowULA    bool     `yaml:"allow_ula"`

	// rfc2136
	Server      string        `yaml:"server"` // host:port of the primary
	Zone        string        `yaml:"zone"`
	TSIGKeyFile string        `yaml:"tsig_key_file"` // BIND key file format
	TTL         int           `yaml:"ttl"`
	Interval    time.Duration `yaml:"interval"`  // periodic check, default 5m
	Keepalive   time.Duration `yaml:"keepalive"` // forced re-send; mydns default 24h

	// Endpoint overrides (self-hosted services, tests).
	BaseURL  string `yaml:"base_url"`
	IPv4URL  string `yaml:"ipv4_url"`
	IPv6URL  string `yaml:"ipv6_url"`
	DirectIP bool   `yaml:"direct_ip"` // mydns: use directip.html with explicit addresses
	// EchoURL answers the address a request arrives from; seen sources ask
	// it through the same path (required for rfc2136, cloudflare, dyndns2).
	EchoURL string `yaml:"echo_url"`
	ZoneID  string `yaml:"zone_id"` // cloudflare, optional (looked up by zone name otherwise)
}

// Status is the local status socket.
type Status struct {
	Socket string `yaml:"socket"` // default /run/dualpath/status.sock
	Group  string `yaml:"group"`  // group allowed to read status, besides root
}

// Metrics is the Prometheus endpoint.
type Metrics struct {
	Listen string `yaml:"listen"` // default 127.0.0.1:9842; "off" disables
	// AllowRemote must be true to listen on an address other than loopback:
	// the metrics reveal the session address and traffic.
	AllowRemote bool `yaml:"allow_remote"`
}

// Log settings.
type Log struct {
	Format string `yaml:"format"` // text | json
	Level  string `yaml:"level"`  // debug | info | warn | error
}

// Plan describes the LAN, for `plan` and `doctor`.
type Plan struct {
	Mode        string `yaml:"mode"` // server-pppoe | two-routers
	Subnet      string `yaml:"subnet"`
	Server      string `yaml:"server"`
	IPoERouter  string `yaml:"ipoe_router"`
	PPPoERouter string `yaml:"pppoe_router"`
	DHCPRange   string `yaml:"dhcp_range"`
	IPv6Gateway string `yaml:"ipv6_gateway"`
}

// Load reads and strictly decodes a config file. Unknown keys, wrong types
// and duplicate keys are errors naming file:line:column and the key path (an
// Errors value listing every problem). Defaults are applied; Validate is
// separate, because it looks at the host (secret files, groups).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		t := msg.T("cannot read config: %v", "設定ファイルを読めません: %v", unwrapPath(err))
		if errors.Is(err, fs.ErrNotExist) {
			t = msg.T("%s (start from the commented example in /usr/share/doc/dualpath/dualpath.yaml or packaging/dualpath.yaml, or pass --config FILE)",
				"%s（日本語のコメント付きの例 /usr/share/doc/dualpath/dualpath.ja.yaml か packaging/dualpath.ja.yaml から始めるか、--config FILE を指定してください）", t)
		}
		return nil, &Error{File: path, Msg: t.EN, Text: t}
	}
	return Parse(path, data)
}

// Parse decodes config bytes; name is used in error messages. It never panics
// on any input (FuzzParse).
func Parse(name string, data []byte) (c *Config, err error) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 has panicked on hostile input before
			c, err = nil, Errors{{File: name, Msg: fmt.Sprintf("cannot parse the file as YAML (%v)", r)}}
		}
	}()
	if why, bad := notText(data); bad {
		return nil, Errors{{File: name, Msg: "not a YAML text file (" + why.EN + "): give the config file, e.g. /etc/dualpath/dualpath.yaml",
			Text: msg.T("not a YAML text file (%s): give the config file, e.g. /etc/dualpath/dualpath.yaml",
				"YAML のテキストファイルではありません（%s）。設定ファイル（例 /etc/dualpath/dualpath.yaml）を指定してください", why)}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, Errors{emptyFile(name)}
		}
		return nil, Errors{yamlError(name, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: name, Pos: Pos{extra.Line, extra.Column}, Msg: "a second YAML document (after ---): keep the whole config in one document"}}
	} else if err != io.EOF {
		return nil, Errors{yamlError(name, data, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, Errors{emptyFile(name)}
		}
		root = root.Content[0]
	}
	c = &Config{Path: name}
	d := &decoder{file: name, pos: map[string]Pos{}}
	if isNull(root) {
		return nil, Errors{{File: name, Msg: "the file is empty: start from the example in /usr/share/doc/dualpath/dualpath.yaml"}}
	}
	d.decode(root, reflect.ValueOf(c).Elem(), "", root)
	if len(d.errs) > 0 {
		return nil, d.errs.Sorted()
	}
	c.pos = d.pos
	c.badValues = d.badValues
	c.applyDefaults()
	return c, nil
}

// MaxFileSize bounds a config file: a real one is a few kilobytes.
const MaxFileSize = 1 << 20

// notText says why data cannot be a config file: too large, NUL bytes
// (binary), or not UTF-8.
func notText(data []byte) (msg.Text, bool) {
	switch {
	case len(data) > MaxFileSize:
		return msg.T("%d bytes, more than %d", "%d バイトで、上限 %d を超えています", len(data), MaxFileSize), true
	case bytes.IndexByte(data, 0) >= 0:
		return msg.T("it holds NUL bytes: a binary file", "ヌル文字を含むバイナリファイルです"), true
	case !utf8.Valid(data):
		return msg.T("it is not UTF-8 text", "UTF-8 のテキストではありません"), true
	}
	return msg.Text{}, false
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: did not find
// expected key") into an *Error with the line.
func yamlError(name string, data []byte, err error) *Error {
	if p, ok := tabIndent(data); ok {
		t := msg.T("a tab in the indentation: YAML indents with spaces only",
			"字下げにタブがあります。YAML の字下げには空白だけを使ってください")
		return &Error{File: name, Pos: p, Msg: t.EN, Text: t}
	}
	// The parser's own words (English) are quoted as they are.
	s := err.Error()
	if m := yamlLine.FindStringSubmatch(s); m != nil {
		line, _ := strconv.Atoi(m[1])
		t := msg.T("YAML syntax: %s (check the indentation: spaces only, no tabs)",
			"YAML の構文の誤りです（「%s」）。字下げを確認してください（空白だけで、タブは不可）", m[2])
		return &Error{File: name, Pos: Pos{Line: line}, Msg: t.EN, Text: t}
	}
	t := msg.T("YAML syntax: %s", "YAML の構文の誤りです（「%s」）", strings.TrimPrefix(s, "yaml: "))
	return &Error{File: name, Msg: t.EN, Text: t}
}

// unwrapPath drops the path from an *os.PathError (the caller names the file).
// emptyFile is the error for a config file with nothing in it.
func emptyFile(name string) *Error {
	t := msg.T("the file is empty: start from the example in /usr/share/doc/dualpath/dualpath.yaml",
		"ファイルが空です。/usr/share/doc/dualpath/dualpath.ja.yaml の例（日本語のコメント付き）から始めてください")
	return &Error{File: name, Msg: t.EN, Text: t}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (c *Config) applyDefaults() {
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	if c.Status.Socket == "" {
		c.Status.Socket = DefaultStatusSocket
	}
	if c.Metrics.Listen == "" {
		c.Metrics.Listen = DefaultMetricsListen
	}
	if c.Expose.ICMPEcho == nil {
		t := true
		c.Expose.ICMPEcho = &t
	}
	if c.PPPoE != nil {
		c.PPPoE.ApplyDefaults()
	}
	if c.Check != nil {
		c.Check.applyDefaults()
	}
	if c.Notify != nil {
		c.Notify.applyDefaults()
	}
	if c.Tunnel != nil {
		c.Tunnel.applyDefaults()
	}
	for i := range c.DDNS {
		d := &c.DDNS[i]
		if d.Interval == 0 {
			d.Interval = 5 * time.Minute
		}
		if d.Keepalive == 0 && d.Provider == "mydns" {
			d.Keepalive = 24 * time.Hour
		}
	}
}
