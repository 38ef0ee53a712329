package hostnet

import (
	"net/netip"
	"slices"
)

// ReplyRoutes sends replies from an inbound IPv4 path's public addresses
// back through its TUN device instead of the main table's default route
// (the IPoE router): loose reverse-path filtering on the TUN (replies
// arrive there while the main route points elsewhere), a default route
// through the TUN in Table, and for each public address the address on the
// TUN and the rule `from ADDRESS lookup Table`. The PPPoE session (one
// address, possibly new at each reconnect) and the fixed-IP tunnel (an
// address or a block) both use it; every change goes through the journal.
type ReplyRoutes struct {
	J        *Journal
	TUN      string
	Table    int
	Priority int
	// MainDefault also routes all of the host's IPv4 through the TUN
	// (0.0.0.0/1 and 128.0.0.0/1 in the main table).
	MainDefault bool

	addrs []netip.Addr
}

// Setup prepares what does not depend on the addresses.
func (r *ReplyRoutes) Setup() error {
	if err := r.J.SetSysctl("net.ipv4.conf."+r.TUN+".rp_filter", "2"); err != nil {
		return err
	}
	if err := r.J.AddRoute(r.Table, netip.MustParsePrefix("0.0.0.0/0"), r.TUN); err != nil {
		return err
	}
	if r.MainDefault {
		for _, p := range []string{"0.0.0.0/1", "128.0.0.0/1"} {
			if err := r.J.AddRoute(254, netip.MustParsePrefix(p), r.TUN); err != nil {
				return err
			}
		}
	}
	return nil
}

// Addresses returns the public addresses in place.
func (r *ReplyRoutes) Addresses() []netip.Addr { return slices.Clone(r.addrs) }

// Set makes addrs the public addresses: new ones go on the TUN first, a
// rule that only changes its address is moved (ReplaceRuleAddress: replies
// never lack a rule), then what is no longer wanted goes.
func (r *ReplyRoutes) Set(addrs []netip.Addr) error {
	var added, gone []netip.Addr
	for _, a := range addrs {
		if !slices.Contains(r.addrs, a) {
			added = append(added, a)
		}
	}
	for _, a := range r.addrs {
		if !slices.Contains(addrs, a) {
			gone = append(gone, a)
		}
	}
	for _, a := range added {
		if err := r.J.AddAddress(r.TUN, netip.PrefixFrom(a, a.BitLen())); err != nil {
			return err
		}
		r.addrs = append(r.addrs, a)
	}
	for i, a := range added {
		var err error
		if i < len(gone) {
			err = r.J.ReplaceRuleAddress(gone[i], a)
		} else {
			err = r.J.AddRule(a, r.Table, r.Priority)
		}
		if err != nil {
			return err
		}
	}
	for i, a := range gone {
		if i >= len(added) {
			if err := r.J.RemoveRule(a, r.Table, r.Priority); err != nil {
				return err
			}
		}
		if err := r.J.RemoveAddress(r.TUN, netip.PrefixFrom(a, a.BitLen())); err != nil {
			return err
		}
		r.addrs = slices.DeleteFunc(r.addrs, func(x netip.Addr) bool { return x == a })
	}
	return nil
}
