package lab

// Parts of dualpath the lab plugs in; a check that needs a part missing from
// this build prints as "not yet built".
const (
	PartMAPE   = "mape"   // MAP-E BR and CE (package mape)
	PartDNS    = "dns"    // BIND 9 + MyDNS-compatible update service
	PartPPPoE  = "pppoe"  // BRAS (our access concentrator) and PPPoE sessions
	PartDaemon = "daemon" // `dualpath run` on the server (firewall)
	PartDDNS   = "ddns"   // the server's DNS updater (`run` or `ddns`)
)

// builtParts lists the parts this build of the lab starts.
func (l *Lab) builtParts() []string {
	return append([]string{PartMAPE, PartDNS}, l.pppoeParts()...)
}

// extraSteps starts the parts of builtParts, in order.
func (l *Lab) extraSteps() []step {
	steps := []step{
		{"MAP-E: BR in the ISP, CE with NAPT on its port set in the router", l.upMAPE},
		{"DNS: BIND 9 for " + Zone + " and a MyDNS-compatible service in the ISP", l.upDNS},
	}
	st := &State{Built: l.builtParts()}
	if st.Has(PartPPPoE) {
		steps = append(steps,
			step{"BRAS: our PPPoE access concentrator in the ISP (pool " + PPPoEPool.String() + ")", l.upBRAS},
			step{"PPPoE session (" + l.sessionWhat() + ")", l.upSession})
	}
	if !st.Has(PartDDNS) {
		steps = append(steps, step{"server publishes its stable IPv6 through MyDNS (package ddns)", l.publishV6})
	}
	return steps
}

func (l *Lab) sessionWhat() string {
	if l.Scenario == ScenarioTwoRouters {
		return "second router: dualpath pppoe, NAT, 80/443 forwarded; server: dualpath ddns"
	}
	return "server: dualpath run"
}
