package doctor

import (
	"context"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/plan"
	"github.com/dualpath/dualpath/mape"
)

// Env is what the checks work from: the config (optional), the LAN
// interface, how long probes listen, and the outside services (DNS) they may
// use, replaceable in tests.
type Env struct {
	Config    *config.Config // nil when doctor runs without --config
	Plan      *plan.Plan     // the validated plan, nil if absent or invalid
	PlanErr   error          // why Plan is nil when the config has a plan: section
	Interface string         // the LAN interface probes use ("" = none found)
	Timeout   time.Duration  // how long each probe listens for answers
	MAPE      *mape.Table    // MAP-E rules (mape.Builtin() by default)
	// LookupHost resolves a name (DS-Lite AFTR names); nil uses the system
	// resolver.
	LookupHost func(ctx context.Context, name string) ([]string, error)
}

// NewEnv builds an Env from an optional config; ifname overrides the config's
// interface.
func NewEnv(cfg *config.Config, ifname string, timeout time.Duration) *Env {
	e := &Env{Config: cfg, Interface: ifname, Timeout: timeout, MAPE: mape.Builtin()}
	if cfg != nil {
		if e.Interface == "" {
			e.Interface = cfg.Interface
		}
		if cfg.Plan != nil {
			e.Plan, e.PlanErr = plan.FromConfig(cfg)
		}
	}
	if e.Timeout <= 0 {
		e.Timeout = 3 * time.Second
	}
	return e
}

// TCPPorts are the ports that must answer on IPv4 and IPv6: expose.tcp from
// the config, else 80 and 443.
func (e *Env) TCPPorts() []uint16 {
	if e.Config != nil && len(e.Config.Expose.TCP) > 0 {
		return e.Config.Expose.TCP
	}
	return []uint16{80, 443}
}

// UDPPorts are the UDP ports that must answer on IPv4 and IPv6: expose.udp
// from the config; none by default.
func (e *Env) UDPPorts() []uint16 {
	if e.Config != nil {
		return e.Config.Expose.UDP
	}
	return nil
}

// AFTRNames are the DS-Lite AFTR names of the Japanese DS-Lite services
// (transix, Xpass, v6 Connect), resolved at run time (protocols.md).
var AFTRNames = []string{"gw.transix.jp", "dgw.xpass.jp", "dslite.v6connect.net"}
