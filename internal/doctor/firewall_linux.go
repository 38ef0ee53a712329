package doctor

import (
	"context"
	"os/exec"
	"time"

	"github.com/dualpath/dualpath/internal/config"
)

// HostFirewall reads the host's firewall rules: nftables (and iptables-nft)
// through `nft -j list ruleset`, legacy iptables through
// `iptables-legacy-save -t filter`. Both only read. A source whose command
// is missing is left out; none at all is an error.
func HostFirewall(ctx context.Context) ([]*Ruleset, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var sets []*Ruleset
	var firstErr error
	if path, err := exec.LookPath("nft"); err == nil {
		out, err := exec.CommandContext(ctx, path, "-j", "list", "ruleset").Output()
		if err == nil {
			var rs *Ruleset
			if rs, err = ParseNftJSON(out); err == nil {
				sets = append(sets, rs)
			}
		}
		firstErr = err
	}
	if path, err := exec.LookPath("iptables-legacy-save"); err == nil {
		out, err := exec.CommandContext(ctx, path, "-t", "filter").Output()
		if err == nil && len(out) > 0 {
			if rs, err := ParseIptablesSave(out); err == nil {
				sets = append(sets, rs)
			} else if firstErr == nil {
				firstErr = err
			}
		}
	}
	if len(sets) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return sets, nil
}

// FirewallInterface is where visitors' IPv4 connections arrive: the PPPoE
// TUN when dualpath holds the session, else the LAN interface (two-routers
// mode: the PPPoE router forwards them there).
func FirewallInterface(cfg *config.Config, lan string) string {
	if cfg != nil && cfg.PPPoE != nil {
		if cfg.PPPoE.TUN != "" {
			return cfg.PPPoE.TUN
		}
		return config.DefaultTUN
	}
	return lan
}

func (env *Env) checkFirewall(ctx context.Context) Result {
	iface := FirewallInterface(env.Config, env.Interface)
	if iface == "" {
		return noInterface("", nil)
	}
	sets, err := HostFirewall(ctx)
	if err != nil {
		return Result{Status: Skip, Summary: T("cannot read the firewall rules: %v", "ファイアウォールのルールを読めません: %v", err),
			Fix: T("run as root: sudo dualpath doctor", "root で実行してください: sudo dualpath doctor")}
	}
	return FirewallVerdict(sets, iface, env.TCPPorts())
}
