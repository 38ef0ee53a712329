package mapetun

import (
	"fmt"
	"net/netip"
	"sync/atomic"
)

// FixedBR is the border relay of a fixed-IP IPv4-over-IPv6 service (v6プラス
// 固定IP, transix 固定IP, OCX光): one customer's fixed IPv4 address or
// block travels in IPv4-in-IPv6 (RFC 2473) to the customer's registered
// IPv6 end point, which the customer's update call changes after a prefix
// change (SetCE). No ports are mapped: every port of the block is the
// customer's.
type FixedBR struct {
	Block netip.Prefix
	ce    atomic.Pointer[netip.Addr]
}

// SetCE registers the customer's current IPv6 end point.
func (b *FixedBR) SetCE(a netip.Addr) { b.ce.Store(&a) }

// CE returns the registered end point (invalid when none).
func (b *FixedBR) CE() netip.Addr {
	if p := b.ce.Load(); p != nil {
		return *p
	}
	return netip.Addr{}
}

// Encap sends what is addressed to the block to the registered end point.
func (b *FixedBR) Encap(pkt []byte) (netip.Addr, error) {
	f, err := ParseIPv4(pkt)
	if err != nil && err != ErrFragment {
		return netip.Addr{}, err
	}
	if !b.Block.Contains(f.Dst) {
		return netip.Addr{}, fmt.Errorf("destination %s is outside the fixed block %s", f.Dst, b.Block)
	}
	ce := b.CE()
	if !ce.IsValid() {
		return netip.Addr{}, fmt.Errorf("no end point registered for %s", b.Block)
	}
	return ce, nil
}

// Decap accepts from the registered end point only, and only packets
// from the block (no spoofing of other addresses, as a BR must check).
func (b *FixedBR) Decap(src netip.Addr, pkt []byte) error {
	if ce := b.CE(); src != ce {
		return fmt.Errorf("IPv4-in-IPv6 from %s, but the registered end point is %v", src, ce)
	}
	f, err := ParseIPv4(pkt)
	if err != nil && err != ErrFragment {
		return err
	}
	if !b.Block.Contains(f.Src) {
		return fmt.Errorf("source %s is outside the fixed block %s", f.Src, b.Block)
	}
	return nil
}
