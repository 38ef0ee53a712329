package ddns

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
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

// ValidateConfig checks the ddns section for what the providers need: the
// required keys of each (credentials only as files), address sources it can
// use, a readable TSIG key file. What needs no provider knowledge (a known
// provider, the sources' syntax, the pppoe or tunnel section a source needs)
// is config's (Parse and Validate); daemon.CheckConfig runs both. Every problem is reported
// with file:line and the key path (config.Errors); nothing is sent.
// check-config and `dualpath ddns` call it; exit code 2 on error.
func ValidateConfig(cfg *config.Config) error {
	var errs config.Errors
	addT := func(key string, t msg.Text) { errs = append(errs, cfg.ErrorT(key, t)) }
	for i := range cfg.DDNS {
		d := &cfg.DDNS[i]
		at := func(k string) string { return fmt.Sprintf("ddns[%d].%s", i, k) }
		keys, ok := required[d.Provider]
		if !ok {
			continue // config.Validate names the providers
		}
		for _, k := range keys {
			if keyValue(d, k) == "" {
				hint := msg.Text{}
				if strings.HasSuffix(k, "_file") {
					hint = msg.T(" (a file readable only by root/dualpath, mode 0600: secrets never go in the config itself)",
						"（root と dualpath だけが読めるモード 0600 のファイル。秘密の値は設定ファイルに直接書きません）")
				}
				addT(at(k), msg.T("missing: provider %s needs %s%s", "ありません。%s には %s が必要です%s", d.Provider, k, hint))
			}
		}
		validateSeen(cfg, d, at, addT)
		if d.Provider == "mydns" && !d.DirectIP {
			for _, s := range []struct {
				key string
				src config.Source
			}{{"ipv4", d.IPv4}, {"ipv6", d.IPv6}} {
				if s.src.Kind == config.SourceHTTP || s.src.Kind == config.SourceStatic {
					addT(at(s.key), msg.T("MyDNS login records the request's source address, so %s cannot be sent this way: use pppoe, interface:NAME or seen, or set direct_ip: true",
						"MyDNS のログイン方式は要求の送信元のアドレスを記録するため、%s は送れません。pppoe、interface:NAME、seen のどれかにするか、direct_ip: true にしてください", s.src.String()))
				}
			}
		}
		if d.Provider == "rfc2136" && d.TSIGKeyFile != "" {
			if _, err := os.Stat(d.TSIGKeyFile); err == nil {
				if _, err := LoadTSIGKey(d.TSIGKeyFile); err != nil {
					addT(at("tsig_key_file"), msg.ErrorText(err))
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
