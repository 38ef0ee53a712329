package lab

// Parts of dualpath the lab plugs in; a check that needs a part missing from
// this build prints as "not yet built".
const (
	PartMAPE   = "mape"   // MAP-E BR and CE (package mape)
	PartDNS    = "dns"    // BIND 9 + MyDNS-compatible update service
	PartPPPoE  = "pppoe"  // BRAS (our access concentrator) and PPPoE sessions
	PartDaemon = "daemon" // `dualpath run` on the server (DDNS, firewall)
)

// builtParts lists the parts this build of the lab starts.
func builtParts() []string {
	return []string{PartMAPE, PartDNS}
}

// extraSteps starts the parts of builtParts, in order.
func (l *Lab) extraSteps() []step {
	return []step{
		{"MAP-E: BR in the ISP, CE with NAPT on its port set in the router", l.upMAPE},
		{"DNS: BIND 9 for " + Zone + " and a MyDNS-compatible service in the ISP", l.upDNS},
		{"server publishes its stable IPv6 through MyDNS (package ddns)", l.publishV6},
	}
}
