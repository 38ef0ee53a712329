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

// ValidateConfig checks the ddns section for what the providers need: a
// known provider, its required keys (credentials only as files), address
// sources it can use, a readable TSIG key file. Every problem is reported
// with file:line and the key path (config.Errors); nothing is sent.
// check-config and `dualpath ddns` call it; exit code 2 on error.
func ValidateConfig(cfg *config.Config) error {
	var errs config.Errors
	add := func(key, format string, args ...any) { errs = append(errs, cfg.Errorf(key, format, args...)) }
	addT := func(key string, t msg.Text) { errs = append(errs, cfg.ErrorT(key, t)) }
	for i := range cfg.DDNS {
		d := &cfg.DDNS[i]
		at := func(k string) string { return fmt.Sprintf("ddns[%d].%s", i, k) }
		keys, ok := required[d.Provider]
		if !ok {
			if d.Provider == "" {
				addT(at("provider"), msg.T("missing: use one of %s", "ありません。%s のどれかを書いてください", msg.List(config.Providers)))
			} else {
				addT(at("provider"), msg.T("unknown provider %q%s: use one of %s", "%q というサービスはありません%s。%s のどれかにしてください",
					d.Provider, msg.DidYouMean(d.Provider, config.Providers), msg.List(config.Providers)))
			}
			continue
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
		v4, err4 := ParseSource(d.IPv4, false)
		if err4 != nil {
			add(at("ipv4"), "%v", err4)
		}
		v6, err6 := ParseSource(d.IPv6, true)
		if err6 != nil {
			add(at("ipv6"), "%v", err6)
		}
		if err4 == nil && err6 == nil && v4.Kind == SourceNone && v6.Kind == SourceNone {
			addT(at("ipv4"), msg.T("the record publishes nothing: set ipv4 and/or ipv6", "このレコードは何も登録しません。ipv4 と ipv6 の片方か両方を書いてください"))
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
					addT(at(s.key), msg.T("MyDNS login records the request's source address, so %s cannot be sent this way: use pppoe, interface:NAME or seen, or set direct_ip: true",
						"MyDNS のログイン方式は要求の送信元のアドレスを記録するため、%s は送れません。pppoe、interface:NAME、seen のどれかにするか、direct_ip: true にしてください", s.src.String()))
				}
			}
		}
		if v4.Kind == SourcePPPoE && cfg.PPPoE == nil {
			addT(at("ipv4"), msg.T("pppoe needs a pppoe section in this file (or use interface:NAME)", "pppoe を使うには、このファイルに pppoe のセクションが必要です（または interface:NAME を使ってください）"))
		}
		if v4.Kind == SourceTunnel && cfg.Tunnel == nil {
			addT(at("ipv4"), msg.T("tunnel needs a tunnel section in this file (or use interface:NAME)", "tunnel を使うには、このファイルに tunnel のセクションが必要です（または interface:NAME を使ってください）"))
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
