package doctor

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"
)

// HostFirewall reads the host's firewall rules: iptables-nft's filter table
// through `iptables-nft-save -t filter`, the rest of nftables through `nft -j
// list ruleset`, legacy iptables through
// `iptables-legacy-save -t filter` when the legacy filter table exists. Both
// only read. A source whose command is missing is left out; none at all is
// an error.
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
				// iptables-nft (and ufw on it) keeps its rules in nftables,
				// but `nft -j` shows its matches only as opaque "xt"
				// expressions: read that table the way iptables prints it.
				if rs.has("ip", "filter") {
					if ipt := iptablesNft(ctx); ipt != nil {
						rs.drop("ip", "filter")
						sets = append(sets, ipt)
					}
				}
				sets = append(sets, rs)
			}
		}
		firstErr = err
	}
	// Legacy iptables only when its filter table exists in this namespace:
	// reading it otherwise would load the module and create the table.
	names, _ := os.ReadFile("/proc/net/ip_tables_names")
	if path, err := exec.LookPath("iptables-legacy-save"); err == nil && slices.Contains(strings.Fields(string(names)), "filter") {
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
// session's or the fixed-IP tunnel's TUN when dualpath holds one, else the
// LAN interface (two-routers mode: the PPPoE router forwards them there).
func FirewallInterface(cfg *config.Config, lan string) string {
	switch {
	case cfg != nil && cfg.PPPoE != nil && cfg.PPPoE.TUN != "":
		return cfg.PPPoE.TUN
	case cfg != nil && cfg.PPPoE != nil:
		return config.DefaultTUN
	case cfg != nil && cfg.Tunnel != nil && cfg.Tunnel.TUN != "":
		return cfg.Tunnel.TUN
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

// iptablesNft reads iptables-nft's filter table, or nil.
func iptablesNft(ctx context.Context) *Ruleset {
	path, err := exec.LookPath("iptables-nft-save")
	if err != nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, path, "-t", "filter").Output()
	if err != nil {
		return nil
	}
	rs, err := ParseIptablesSave(out)
	if err != nil {
		return nil
	}
	rs.Source = "iptables-nft"
	return rs
}
