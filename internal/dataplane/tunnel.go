package dataplane

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
)

// A Tunnel is the server's end of a fixed-IP IPv4-over-IPv6 service
// (v6プラス固定IP, transix 固定IP, Xpass 固定IP, OCX): IPv4 packets travel
// as the payload of IPv6 packets with next header 4 between our IPv6
// address and the provider's border relay (RFC 2473 section 3.1; the
// "IPIP6" of Yamaha's `tunnel encapsulation ipip`). The IPv6 header is the
// socket's business (hostnet.IPIP6Conn), so the link side reads and
// writes bare IPv4 packets; the engine is the PPPoE one: batched TUN reads
// with GSO split, MSS clamp both ways, "packet too big" for what exceeds
// the tunnel MTU, counted drops.
type Tunnel struct {
	e     engine
	block netip.Prefix
	mtu   atomic.Pointer[live]
	probe *prober
}

// TunnelConfig configures a Tunnel.
type TunnelConfig struct {
	// TUN is the tunnel's TUN device; the fixed IPv4 address(es) go on it.
	TUN TUN
	// Link carries the tunnel, one IPv4 packet per buffer in both
	// directions: *hostnet.IPIP6Conn, connected to the border relay.
	Link Link
	// IPv4 is the fixed address (a /32) or block (e.g. a /29) the
	// provider routes to us: only packets to it come in, only packets
	// from it go out.
	IPv4 netip.Prefix
	// MTU is the tunnel's IPv4 MTU: the IPv6 path MTU minus the 40-byte
	// IPv6 header (1460 on a 1500-byte line).
	MTU int
}

// NewTunnel checks cfg and returns a Tunnel ready to Run.
func NewTunnel(cfg TunnelConfig) (*Tunnel, error) {
	if !cfg.IPv4.IsValid() || !cfg.IPv4.Addr().Is4() || cfg.IPv4.Masked() != cfg.IPv4 {
		return nil, fmt.Errorf("dataplane: tunnel IPv4 %v is not an IPv4 address or block", cfg.IPv4)
	}
	t := &Tunnel{block: cfg.IPv4, probe: newProber()}
	if err := t.SetMTU(cfg.MTU); err != nil {
		return nil, err
	}
	t.e = engine{tun: cfg.TUN, link: cfg.Link, noOut: DropForeign, rxOff: Headroom}
	t.e.out = func(pkt []byte) *live {
		if pkt[0]>>4 != 4 || !t.block.Contains(netip.AddrFrom4([4]byte(pkt[12:16]))) {
			return nil
		}
		return t.mtu.Load()
	}
	t.e.seal = func(buf []byte, _ *live, n int) []byte { return buf[Headroom : Headroom+n] }
	t.e.open = t.inbound
	return t, nil
}

// SetMTU changes the tunnel MTU (the TUN's own MTU is the caller's).
func (t *Tunnel) SetMTU(mtu int) error {
	if mtu < 68 || mtu > maxPacket {
		return errors.New("dataplane: tunnel MTU out of range")
	}
	t.mtu.Store(&live{mtu: mtu})
	return nil
}

// Run forwards until ctx is cancelled or the TUN or the link is closed by
// its owner, then closes both. Other I/O errors are counted, retried and
// reported in Stats.LastError.
func (t *Tunnel) Run(ctx context.Context) error { return t.e.run(ctx) }

// Stats returns a snapshot of the counters ("Tx" towards the border relay).
func (t *Tunnel) Stats() Stats { return t.e.cnt.snapshot() }

// inbound checks one packet from the border relay, read into
// buf[Headroom:Headroom+n].
func (t *Tunnel) inbound(buf []byte, n int) []byte {
	pkt := buf[Headroom : Headroom+n]
	if t.probe.returned(pkt) {
		return nil
	}
	if r := ParseTunnelPacket(pkt, t.block); r != dropNone {
		t.e.cnt.drop(r)
		return nil
	}
	if ClampMSS(pkt, t.mtu.Load().mtu) {
		t.e.cnt.mssClamped.Add(1)
	}
	t.e.cnt.rxPackets.Add(1)
	t.e.cnt.rxBytes.Add(uint64(n))
	return buf[:Headroom+n]
}

// ParseTunnelPacket checks an IPv4 packet that arrived in the tunnel (the
// payload of an IPv6 packet with next header 4 from the border relay)
// before it is handed to the local stack: a whole IPv4 header (RFC 791
// section 3.1) whose total length is the payload's length (IPv6 carries no
// padding), addressed to one of ours, and not claiming to come from one of
// ours (RFC 2473 section 3.1 leaves the inner packet untouched, so a
// spoofed inner source would otherwise pass). It returns the drop reason,
// or zero for a packet to deliver.
func ParseTunnelPacket(pkt []byte, ours netip.Prefix) DropReason {
	if len(pkt) < 20 {
		return DropShort
	}
	if pkt[0]>>4 != 4 {
		return DropBadIP
	}
	if ihl := int(pkt[0]&0x0f) * 4; ihl < 20 || ihl > len(pkt) {
		return DropBadIP
	}
	if int(binary.BigEndian.Uint16(pkt[2:4])) != len(pkt) {
		return DropBadLength
	}
	if !ours.Contains(netip.AddrFrom4([4]byte(pkt[16:20]))) || ours.Contains(netip.AddrFrom4([4]byte(pkt[12:16]))) {
		return DropForeign
	}
	return dropNone
}
