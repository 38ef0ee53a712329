package ppp

import (
	"net/netip"
	"time"
)

// IPCP configuration option types (RFC 1332 section 3, RFC 1877 section 1).
const (
	ipcpAddresses   uint8 = 1 // deprecated IP-Addresses
	ipcpCompression uint8 = 2 // IP-Compression-Protocol (Van Jacobson)
	ipcpAddress     uint8 = 3
	ipcpDNS1        uint8 = 129
	ipcpNBNS1       uint8 = 130
	ipcpDNS2        uint8 = 131
	ipcpNBNS2       uint8 = 132
)

var zero4 = netip.IPv4Unspecified()

// ipcpProto holds IPCP's option state for both roles.
type ipcpProto struct {
	c *Conn

	addr     netip.Addr // our IP-Address (client: 0.0.0.0 until Nak'd)
	sendAddr bool
	dns      [2]netip.Addr // client: DNS values we ask for
	askDNS   [2]bool

	peer     netip.Addr // the peer's address (client: from its request; server: assigned)
	assigned netip.Addr // server: the address for the peer, fixed per link
}

func dnsType(i int) uint8 {
	if i == 0 {
		return ipcpDNS1
	}
	return ipcpDNS2
}

func addrOpt(t uint8, a netip.Addr) Option {
	b := a.As4()
	return Option{Type: t, Data: b[:]}
}

func (p *ipcpProto) resetCI(time.Time) {
	cfg := &p.c.cfg
	p.sendAddr = true
	if cfg.Role == RoleServer {
		p.addr = cfg.LocalIPv4
		p.askDNS = [2]bool{}
	} else {
		// RFC 1332 section 3.3: 0.0.0.0 asks the peer to provide our
		// address; RFC 1877: likewise for the name servers.
		p.addr = zero4
		p.dns = [2]netip.Addr{zero4, zero4}
		p.askDNS = [2]bool{true, true}
	}
}

func (p *ipcpProto) addCI() []byte {
	var b []byte
	if p.sendAddr {
		b = AppendOption(b, addrOpt(ipcpAddress, p.addr))
	}
	for i := range p.dns {
		if p.askDNS[i] {
			b = AppendOption(b, addrOpt(dnsType(i), p.dns[i]))
		}
	}
	return b
}

func (p *ipcpProto) ackCI([]byte) bool { return true }

func (p *ipcpProto) nakCI(b []byte) bool {
	opts, err := ParseOptions(b)
	if err != nil {
		return false
	}
	client := p.c.cfg.Role == RoleClient
	for _, o := range opts {
		if len(o.Data) != 4 {
			continue
		}
		v := netip.AddrFrom4([4]byte(o.Data))
		switch o.Type {
		case ipcpAddress:
			// The client takes the address the server offers; a server
			// keeps its own.
			if client && p.sendAddr && !v.IsUnspecified() {
				p.addr = v
			}
		case ipcpDNS1, ipcpDNS2:
			i := 0
			if o.Type == ipcpDNS2 {
				i = 1
			}
			if client && p.askDNS[i] {
				p.dns[i] = v
			}
		}
	}
	return true
}

func (p *ipcpProto) rejCI(b []byte) bool {
	opts, err := ParseOptions(b)
	if err != nil {
		return false
	}
	for _, o := range opts {
		switch {
		case o.Type == ipcpAddress && p.sendAddr:
			p.sendAddr = false
		case o.Type == ipcpDNS1 && p.askDNS[0]:
			p.askDNS[0] = false // RFC 1877: the peer has none; stop asking
		case o.Type == ipcpDNS2 && p.askDNS[1]:
			p.askDNS[1] = false
		default:
			return false
		}
	}
	return true
}

// assign returns the server's address for the peer, asking AssignIPv4 once
// per link.
func (p *ipcpProto) assign() (netip.Addr, bool) {
	if p.assigned.IsValid() {
		return p.assigned, true
	}
	a, ok := p.c.cfg.AssignIPv4()
	if !ok || !a.Is4() || a.IsUnspecified() {
		return netip.Addr{}, false
	}
	p.assigned = a
	return a, true
}

// reqCI judges the peer's IPCP Configure-Request (RFC 1332 section 3.3,
// RFC 1877 section 1).
func (p *ipcpProto) reqCI(b []byte, rejectIfDisagree bool) (uint8, []byte) {
	opts, _ := ParseOptions(b)
	cfg := &p.c.cfg
	server := cfg.Role == RoleServer
	var nak, rej []byte
	var peer netip.Addr
	sawAddr := false
	for _, o := range opts {
		if o.Type != ipcpAddress && o.Type != ipcpDNS1 && o.Type != ipcpDNS2 || len(o.Data) != 4 || (!server && o.Type != ipcpAddress) {
			// VJ compression, IP-Addresses, NBNS, and a client's DNS
			// (it has none to give) are rejected.
			rej = AppendOption(rej, o)
			continue
		}
		v := netip.AddrFrom4([4]byte(o.Data))
		switch o.Type {
		case ipcpAddress:
			sawAddr = true
			if !server {
				if v.IsUnspecified() {
					rej = AppendOption(rej, o) // we have no address to give it
					continue
				}
				peer = v
				continue
			}
			a, ok := p.assign()
			if !ok {
				p.c.requestClose("no IPv4 address available for the peer")
				rej = AppendOption(rej, o)
				continue
			}
			if v != a {
				// RFC 1332 section 3.3: Nak with the address to use.
				if rejectIfDisagree {
					rej = AppendOption(rej, o)
				} else {
					nak = AppendOption(nak, addrOpt(ipcpAddress, a))
				}
				continue
			}
			peer = v
		default: // server: DNS
			i := 0
			if o.Type == ipcpDNS2 {
				i = 1
			}
			if i >= len(cfg.DNS) || !cfg.DNS[i].Is4() {
				rej = AppendOption(rej, o)
				continue
			}
			if v != cfg.DNS[i] {
				if rejectIfDisagree {
					rej = AppendOption(rej, o)
				} else {
					nak = AppendOption(nak, addrOpt(o.Type, cfg.DNS[i]))
				}
			}
		}
	}
	if server && !sawAddr && len(rej) == 0 && !rejectIfDisagree {
		// RFC 1661 section 5.3: prompt the peer for the option by
		// appending it to a Nak.
		if a, ok := p.assign(); ok {
			nak = AppendOption(nak, addrOpt(ipcpAddress, a))
		}
	}
	switch {
	case len(rej) > 0:
		return CodeConfigureReject, rej
	case len(nak) > 0:
		return CodeConfigureNak, nak
	}
	p.peer = peer
	return CodeConfigureAck, b
}

func (p *ipcpProto) up(now time.Time) {
	c := p.c
	c.params.LocalIPv4 = p.addr
	if !p.sendAddr {
		c.params.LocalIPv4 = netip.Addr{}
	}
	c.params.PeerIPv4 = p.peer
	if c.cfg.Role == RoleServer {
		c.params.PeerIPv4 = p.assigned
		c.params.DNS = nil
		for i, d := range c.cfg.DNS {
			if i < 2 && d.Is4() {
				c.params.DNS = append(c.params.DNS, d)
			}
		}
	} else {
		c.params.DNS = nil
		for i := range p.dns {
			if p.askDNS[i] && p.dns[i].IsValid() && !p.dns[i].IsUnspecified() {
				c.params.DNS = append(c.params.DNS, p.dns[i])
			}
		}
	}
	c.up.Store(true)
	c.emit(EventIPCPUp, "")
}

func (p *ipcpProto) down(time.Time) {
	p.c.up.Store(false)
	p.c.emit(EventIPCPDown, "")
}

func (p *ipcpProto) starting(time.Time) {}

// finished: without IPCP the link has no purpose; close it (pppd does the
// same when the last network protocol finishes).
func (p *ipcpProto) finished(time.Time) {
	if p.c.phase == phaseNetwork {
		why := p.c.ipcp.why
		if why == "" {
			why = "IPCP terminated"
		}
		p.c.requestClose(why)
	}
}

func (p *ipcpProto) extCode(time.Time, Packet) bool { return false }
func (p *ipcpProto) codeRejected(uint8)             {}
