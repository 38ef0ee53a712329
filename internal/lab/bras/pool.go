// Package bras is the lab ISP's broadband remote access server: a PPPoE
// access concentrator assembled from dualpath's own protocol packages
// (pppoe discovery in the AC role, ppp in the server role with PAP/CHAP and
// IPCP, and the dataplane's AC forwarding over one TUN device). It hands out
// public addresses from a pool, and drops every session with PADT when told
// to, as an ISP does at maintenance time.
package bras

import (
	"errors"
	"net/netip"
)

// Pool hands out the addresses of a prefix round-robin: a session that
// comes back after a drop gets a new address, as on real lines, so the lab
// can see DNS follow it. The prefix's first address (the BRAS's own),
// network and broadcast addresses are never handed out.
type Pool struct {
	prefix netip.Prefix
	next   netip.Addr
	used   map[netip.Addr]bool
}

// NewPool returns a pool over p (an IPv4 prefix of at least 4 addresses).
func NewPool(p netip.Prefix) (*Pool, error) {
	p = p.Masked()
	if !p.Addr().Is4() || p.Bits() > 30 {
		return nil, errors.New("bras: pool must be an IPv4 prefix of /30 or larger")
	}
	return &Pool{prefix: p, next: p.Addr().Next().Next(), used: map[netip.Addr]bool{}}, nil
}

// Local is the BRAS's own address in the pool's prefix (the first host).
func (p *Pool) Local() netip.Addr { return p.prefix.Addr().Next() }

func (p *Pool) usable(a netip.Addr) bool {
	if !p.prefix.Contains(a) || a == p.prefix.Addr() || a == p.Local() {
		return false
	}
	b := a.As4()
	last := p.prefix.Addr().As4()
	host := 32 - p.prefix.Bits()
	for i := 3; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		last[i] |= byte(1<<n - 1)
		host -= n
	}
	return b != last
}

// Get returns the next free address, or false when all are in use.
func (p *Pool) Get() (netip.Addr, bool) {
	size := 1 << (32 - p.prefix.Bits())
	for i := 0; i < size; i++ {
		a := p.next
		p.next = a.Next()
		if !p.prefix.Contains(p.next) {
			p.next = p.prefix.Addr()
		}
		if p.usable(a) && !p.used[a] {
			p.used[a] = true
			return a, true
		}
	}
	return netip.Addr{}, false
}

// Put gives an address back.
func (p *Pool) Put(a netip.Addr) { delete(p.used, a) }
