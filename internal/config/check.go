package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Check is the `check:` section: how `dualpath check` and the daemon look
// at the site from outside. Without it, `dualpath check` still runs with
// the defaults (the name of the first ddns record, no probers) and the
// daemon runs no periodic check.
type Check struct {
	Name       string        `yaml:"name"`        // the site's DNS name; default: the first ddns record's name
	DNSServers []string      `yaml:"dns_servers"` // authoritative servers, IP:port; default: the zone's NS records
	TLSPorts   []uint16      `yaml:"tls_ports"`   // exposed ports that speak TLS; default [443]
	Interval   time.Duration `yaml:"interval"`    // the daemon's periodic check; default 10m (jittered)
	Probers    []Prober      `yaml:"probers"`     // `dualpath probe-serve` services to ask
}

// Prober is one `dualpath probe-serve` service.
type Prober struct {
	URL       string `yaml:"url"`        // http:// or https://, e.g. https://probe.example.net:8443
	TokenFile string `yaml:"token_file"` // its token, mode 0600
}

// Defaults and limits of the check section.
const (
	DefaultCheckInterval = 10 * time.Minute
	MinCheckInterval     = time.Minute
	MaxCheckInterval     = 24 * time.Hour
	MaxProbers           = 4
)

// DefaultTLSPorts are the exposed ports checked with a TLS handshake when
// check.tls_ports is not written.
var DefaultTLSPorts = []uint16{443}

func (c *Check) applyDefaults() {
	if c.Interval == 0 {
		c.Interval = DefaultCheckInterval
	}
	if c.TLSPorts == nil {
		c.TLSPorts = append([]uint16(nil), DefaultTLSPorts...)
	}
}

// CheckSettings returns the check section with its defaults, also when the
// file has none (then Name comes from the ddns records alone).
func (c *Config) CheckSettings() Check {
	var k Check
	if c.Check != nil {
		k = *c.Check
	}
	k.applyDefaults()
	if k.Name == "" {
		k.Name = c.SiteName()
	}
	return k
}

// SiteName is the first DNS name the ddns records publish ("" if none
// names one: MyDNS ties the name to the account, not to the config).
func (c *Config) SiteName() string {
	for _, d := range c.DDNS {
		n := strings.TrimSuffix(d.Name, ".")
		if n == "" {
			continue
		}
		if d.Provider == "duckdns" && !strings.Contains(n, ".") {
			n += ".duckdns.org"
		}
		return n
	}
	return ""
}

func (k *checker) check() {
	ch := k.c.Check
	if ch == nil {
		return
	}
	if ch.Name == "" && k.c.SiteName() == "" {
		k.errorf("check.name", "missing: write the site's DNS name (e.g. www.example.jp); no ddns record names one")

	} else if ch.Name != "" && !validDNSName(strings.TrimSuffix(ch.Name, ".")) {
		k.errorf("check.name", "%q is not a DNS name like www.example.jp", ch.Name)

	}
	for i, s := range ch.DNSServers {
		key := fmt.Sprintf("check.dns_servers[%d]", i)
		host, port, err := net.SplitHostPort(s)
		if err != nil || port == "" {
			k.errorf(key, "%q is not IP:port, e.g. 192.0.2.53:53 or [2001:db8::53]:53", s)

			continue
		}
		if _, err := netip.ParseAddr(host); err != nil {
			k.errorf(key, "%q: write the server's IP address, not a name (the check must not depend on the resolver it checks)", s)

		}
	}
	exposed := map[uint16]bool{}
	for _, p := range k.c.Expose.TCP {
		exposed[p] = true
	}
	for i, p := range ch.TLSPorts {
		if p != 0 && !exposed[p] {
			k.errorf(fmt.Sprintf("check.tls_ports[%d]", i), "port %d is not in expose.tcp: list only exposed ports that speak TLS", p)
		}
	}
	if ch.Interval != 0 && (ch.Interval < MinCheckInterval || ch.Interval > MaxCheckInterval) {
		k.errorf("check.interval", "%s is out of range: use %s to %s (10m is the default)", ch.Interval, MinCheckInterval, MaxCheckInterval)

	}
	if len(ch.Probers) > MaxProbers {
		k.errorf("check.probers", "%d probers: at most %d are asked", len(ch.Probers), MaxProbers)

	}
	for i, p := range ch.Probers {
		at := fmt.Sprintf("check.probers[%d]", i)
		if p.URL == "" {
			k.errorf(at+".url", "missing: the probe-serve URL, e.g. https://probe.example.net:8443")
		} else {
			k.httpURL(at+".url", p.URL)
		}
		if p.TokenFile == "" {
			k.errorf(at+".token_file", "missing: a file (mode 0600) holding the token the probe-serve was started with")
		} else {
			k.secret(at+".token_file", p.TokenFile)
		}
	}
}

// validDNSName: letters, digits, hyphens, dots; labels of 1-63 (RFC 1123).
func validDNSName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
