package ddns

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/dualpath/dualpath/internal/config"
)

// NewProvider builds the provider of one config record, reading its secret
// files with readSecret (config.ReadSecret: mode 0600 enforced). It returns
// the secrets too, so that callers can scrub them from anything they print.
func NewProvider(d config.DDNSRecord, readSecret func(string) (string, error)) (Provider, []string, error) {
	if readSecret == nil {
		readSecret = config.ReadSecret
	}
	read := func(key, path string) (string, error) {
		if path == "" {
			return "", fmt.Errorf("%s is required for provider %s", key, d.Provider)
		}
		s, err := readSecret(path)
		if err != nil {
			return "", fmt.Errorf("%s: %v", key, err)
		}
		return s, nil
	}
	switch d.Provider {
	case "mydns":
		pw, err := read("password_file", d.PasswordFile)
		if err != nil {
			return nil, nil, err
		}
		m := &MyDNS{MasterID: d.Username, Password: pw, IPv4URL: d.IPv4URL, IPv6URL: d.IPv6URL, DirectIP: d.DirectIP}
		if d.DirectIP && d.BaseURL != "" {
			m.DirectIPURL = strings.TrimRight(d.BaseURL, "/") + "/directip.html"
		}
		return m, []string{pw}, nil
	case "rfc2136":
		if d.TSIGKeyFile == "" {
			return nil, nil, fmt.Errorf("tsig_key_file is required for provider rfc2136")
		}
		if err := config.CheckSecretFile(d.TSIGKeyFile); err != nil {
			return nil, nil, fmt.Errorf("tsig_key_file: %v", err)
		}
		k, err := LoadTSIGKey(d.TSIGKeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("tsig_key_file: %v", err)
		}
		return &RFC2136{Server: d.Server, Zone: d.Zone, Name: d.Name, TTL: d.TTL, Key: k}, []string{k.Secret}, nil
	case "cloudflare":
		tok, err := read("token_file", d.TokenFile)
		if err != nil {
			return nil, nil, err
		}
		return &Cloudflare{Name: d.Name, Zone: d.Zone, ZoneID: d.ZoneID, Token: tok, TTL: d.TTL, BaseURL: d.BaseURL}, []string{tok}, nil
	case "duckdns":
		tok, err := read("token_file", d.TokenFile)
		if err != nil {
			return nil, nil, err
		}
		return &DuckDNS{Domain: d.Name, Token: tok, BaseURL: d.BaseURL}, []string{tok}, nil
	case "dyndns2":
		pw, err := read("password_file", d.PasswordFile)
		if err != nil {
			return nil, nil, err
		}
		return &DynDNS2{Hostname: d.Name, Username: d.Username, Password: pw, BaseURL: d.BaseURL}, []string{pw}, nil
	}
	return nil, nil, fmt.Errorf("unknown provider %q: use one of %s", d.Provider, strings.Join(config.Providers, ", "))
}

// v6Choice turns the record's ipv6_* keys into a V6Choice; bad values were
// reported by ValidateConfig and are skipped here.
func v6Choice(d config.DDNSRecord) V6Choice {
	c := V6Choice{AllowULA: d.AllowULA}
	for _, s := range d.IPv6Include {
		if p, err := netip.ParsePrefix(s); err == nil {
			c.Include = append(c.Include, p.Masked())
		}
	}
	for _, s := range d.IPv6Exclude {
		if p, err := netip.ParsePrefix(s); err == nil {
			c.Exclude = append(c.Exclude, p.Masked())
		}
	}
	if a, err := netip.ParseAddr(d.IPv6Suffix); err == nil {
		c.Suffix = a
	}
	return c
}
