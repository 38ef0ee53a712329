package mapetun

import (
	"fmt"
	"net/netip"

	"github.com/dualpath/dualpath/mape"
)

// Translator decides for one side of MAP-E what crosses the tunnel.
type Translator interface {
	// Encap takes an IPv4 packet read from the TUN device and returns the
	// IPv6 address to send it to inside IPv4-in-IPv6.
	Encap(pkt []byte) (dst netip.Addr, err error)
	// Decap takes the payload of an IPv4-in-IPv6 packet from src and
	// reports whether it may be written to the TUN device.
	Decap(src netip.Addr, pkt []byte) error
}

// BR is a MAP-E border relay for one rule (RFC 7597 section 8.3).
type BR struct {
	Rule mape.Rule
}

// Encap maps the packet's destination address and port to the CE that owns
// them: IPv4 + port -> PSID -> EA bits -> end-user prefix -> CE address.
// Ports below the first port set belong to nobody: such a packet (say, a
// visitor knocking on port 80 of a shared address) is refused.
func (b *BR) Encap(pkt []byte) (netip.Addr, error) {
	f, err := ParseIPv4(pkt)
	if err != nil {
		return netip.Addr{}, err
	}
	if !b.Rule.IPv4Prefix.Contains(f.Dst) {
		return netip.Addr{}, fmt.Errorf("destination %s is outside the rule's %s", f.Dst, b.Rule.IPv4Prefix)
	}
	port := f.DstPort
	if !f.HasPorts {
		if b.Rule.PSIDLen() > 0 {
			return netip.Addr{}, fmt.Errorf("%s packet to shared %s has no port to map", protoName(f.Proto), f.Dst)
		}
	}
	l, err := b.Rule.LineFor(f.Dst, port)
	if err != nil {
		return netip.Addr{}, err
	}
	return l.CE, nil
}

// Decap applies RFC 7597 section 8.1's check: the IPv4 source address and
// port must map to exactly the CE address the packet came from (no
// spoofing another customer's ports).
func (b *BR) Decap(src netip.Addr, pkt []byte) error {
	f, err := ParseIPv4(pkt)
	if err != nil {
		return err
	}
	if !b.Rule.IPv4Prefix.Contains(f.Src) {
		return fmt.Errorf("source %s is outside the rule's %s", f.Src, b.Rule.IPv4Prefix)
	}
	if !f.HasPorts && b.Rule.PSIDLen() > 0 {
		return fmt.Errorf("%s packet from shared %s has no port to check", protoName(f.Proto), f.Src)
	}
	l, err := b.Rule.LineFor(f.Src, f.SrcPort)
	if err != nil {
		return err
	}
	if l.CE != src {
		return fmt.Errorf("source %s:%d belongs to CE %s, not to %s", f.Src, f.SrcPort, l.CE, src)
	}
	return nil
}

// CE is a MAP-E customer edge for one line (RFC 7597 section 7), talking to
// the BR only (no CE-to-CE forwarding mapping rules in the lab).
type CE struct {
	Line mape.Line
	BR   netip.Addr
}

// Encap sends to the BR what leaves with the line's IPv4 address and a
// source port of its set (after NAPT). Anything else would be dropped by
// the BR, or worse, claim another customer's ports: refuse it here.
func (c *CE) Encap(pkt []byte) (netip.Addr, error) {
	f, err := ParseIPv4(pkt)
	if err != nil {
		return netip.Addr{}, err
	}
	if f.Src != c.Line.IPv4 {
		return netip.Addr{}, fmt.Errorf("source %s is not the line's %s (NAPT missing?)", f.Src, c.Line.IPv4)
	}
	if c.Line.Shared() && (!f.HasPorts || !c.Line.HasPort(f.SrcPort)) {
		return netip.Addr{}, fmt.Errorf("source port %d is outside the line's port set", f.SrcPort)
	}
	return c.BR, nil
}

// Decap accepts from the BR what is addressed to the line's IPv4 address
// and a port of its set.
func (c *CE) Decap(src netip.Addr, pkt []byte) error {
	if src != c.BR {
		return fmt.Errorf("IPv4-in-IPv6 from %s, not from the BR %s", src, c.BR)
	}
	f, err := ParseIPv4(pkt)
	if err != nil {
		return err
	}
	if f.Dst != c.Line.IPv4 {
		return fmt.Errorf("destination %s is not the line's %s", f.Dst, c.Line.IPv4)
	}
	if c.Line.Shared() && (!f.HasPorts || !c.Line.HasPort(f.DstPort)) {
		return fmt.Errorf("destination port %d is outside the line's port set", f.DstPort)
	}
	return nil
}
