package daemon

import (
	"errors"
	"fmt"
	"net"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// CheckConfig runs every check of a loaded config that needs no network:
// the config package's own validation (values, secret files, groups) and
// the DNS providers' requirements (ddns.ValidateConfig). Problems come back
// as one config.Errors in file order, each key reported once. It is what
// `dualpath check-config` and `dualpath run` use before doing anything.
func CheckConfig(cfg *config.Config) error {
	var all config.Errors
	seen := map[string]bool{}
	for _, err := range []error{cfg.Validate(), ddns.ValidateConfig(cfg)} {
		if err == nil {
			continue
		}
		var es config.Errors
		if !errors.As(err, &es) {
			return err
		}
		for _, e := range es {
			if !seen[e.Key] {
				seen[e.Key] = true
				all = append(all, e)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	return all.Sorted()
}

// ConfigWarnings lists what check-config points out but does not refuse:
// each network interface the config names (interface, and the interface:NAME
// and seen:NAME sources of DNS records) that this machine does not have, or
// does not have yet (a USB adapter not plugged in, a VLAN made later). Each
// warning is one line at the key's position, naming what `ip link` shows.
// linkExists is net.InterfaceByName-based outside tests.
func ConfigWarnings(cfg *config.Config, linkExists func(string) bool) config.Errors {
	var ws config.Errors
	warn := func(key, link string) {
		if link != "" && !linkExists(link) {
			ws = append(ws, cfg.ErrorT(key, msg.T("warning: %v: correct the name, or create the interface before the daemon needs it",
				"警告: %v。名前を直すか、デーモンが使う前にそのインターフェースを作ってください", hostnet.InterfaceNotFound(link))))
		}
	}
	warn("interface", cfg.Interface)
	for i, d := range cfg.DDNS {
		for _, f := range []struct {
			key string
			src config.Source
		}{{"ipv4", d.IPv4}, {"ipv6", d.IPv6}} {
			if f.src.Kind == config.SourceInterface || f.src.Kind == config.SourceSeen {
				warn(fmt.Sprintf("ddns[%d].%s", i, f.key), f.src.Link)
			}
		}
	}
	return ws.Sorted()
}

// LinkExists reports whether this machine has a network interface called
// name (in the current network namespace).
func LinkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}
