package ddns

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/dualpath/dualpath/internal/config"
)

// required lists, per provider, the keys a record must set.
var required = map[string][]string{
	"mydns":      {"username", "password_file"},
	"rfc2136":    {"server", "zone", "name", "tsig_key_file"},
	"cloudflare": {"name", "token_file"},
	"duckdns":    {"name", "token_file"},
	"dyndns2":    {"name", "username", "password_file"},
}

func keyValue(d *config.DDNSRecord, key string) string {
	switch key {
	case "username":
		return d.Username
	case "password_file":
		return d.PasswordFile
	case "token_file":
		return d.TokenFile
	case "server":
		return d.Server
	case "zone":
		return d.Zone
	case "name":
		return d.Name
	case "tsig_key_file":
		return d.TSIGKeyFile
	}
	return ""
}

// ValidateConfig checks the ddns section for what the providers need: a
// known provider, its required keys (credentials only as files), address
// sources it can use, a readable TSIG key file. Every problem is reported
// with file:line and the key path (config.Errors); nothing is sent.
// check-config and `dualpath ddns` call it; exit code 2 on error.
func ValidateConfig(cfg *config.Config) error {
	var errs config.Errors
	add := func(key, format string, args ...any) { errs = append(errs, cfg.Errorf(key, format, args...)) }
	for i := range cfg.DDNS {
		d := &cfg.DDNS[i]
		at := func(k string) string { return fmt.Sprintf("ddns[%d].%s", i, k) }
		keys, ok := required[d.Provider]
		if !ok {
			if d.Provider == "" {
				add(at("provider"), "missing: use one of %s", strings.Join(config.Providers, ", "))
			} else {
				add(at("provider"), "unknown provider %q: use one of %s", d.Provider, strings.Join(config.Providers, ", "))
			}
			continue
		}
		for _, k := range keys {
			if keyValue(d, k) == "" {
				hint := ""
				if strings.HasSuffix(k, "_file") {
					hint = " (a file readable only by root/dualpath, mode 0600: secrets never go in the config itself)"
				}
				add(at(k), "missing: provider %s needs %s%s", d.Provider, k, hint)
			}
		}
		v4, err4 := ParseSource(d.IPv4, false)
		if err4 != nil {
			add(at("ipv4"), "%v", err4)
		}
		v6, err6 := ParseSource(d.IPv6, true)
		if err6 != nil {
			add(at("ipv6"), "%v", err6)
		}
		if err4 == nil && err6 == nil && v4.Kind == SourceNone && v6.Kind == SourceNone {
			add(at("ipv4"), "the record publishes nothing: set ipv4 and/or ipv6")
		}
		if err4 == nil && err6 == nil {
			validateSeen(cfg, d, v4, v6, at, add)
		}
		if d.Provider == "mydns" && !d.DirectIP {
			for _, s := range []struct {
				key string
				src Source
			}{{"ipv4", v4}, {"ipv6", v6}} {
				if s.src.Kind == SourceHTTP || s.src.Kind == SourceStatic {
					add(at(s.key), "MyDNS login records the request's source address, so %s cannot be sent this way: use pppoe, interface:NAME or seen, or set direct_ip: true", s.src)
				}
			}
		}
		if v4.Kind == SourcePPPoE && cfg.PPPoE == nil {
			add(at("ipv4"), "pppoe needs a pppoe section in this file (or use interface:NAME)")
		}
		if v4.Kind == SourceTunnel && cfg.Tunnel == nil {
			add(at("ipv4"), "tunnel needs a tunnel section in this file (or use interface:NAME)")
		}
		if d.Provider == "rfc2136" && d.TSIGKeyFile != "" {
			if _, err := os.Stat(d.TSIGKeyFile); err == nil {
				if _, err := LoadTSIGKey(d.TSIGKeyFile); err != nil {
					add(at("tsig_key_file"), "%v", err)
				}
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Pos.Line < errs[j].Pos.Line })
	return errs
}
