package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/dualpath/dualpath/pppoe"
)

// ACConfig configures an AC (access concentrator side).
type ACConfig struct {
	// TUN carries the packets of all sessions.
	TUN TUN
	// Link is a raw socket for EtherType 0x8864 on the AC's interface.
	Link Link
	// Discovery optionally is a raw socket for EtherType 0x8863 (PADI,
	// PADR, PADT from clients), handed to OnDiscovery.
	Discovery Link
	// OnControl receives every non-IP PPP frame of a known session with
	// the session's ID and client MAC. It must not block; ppp is the
	// callee's.
	OnControl func(id uint16, peer pppoe.MAC, ppp []byte)
	// OnDiscovery receives whole discovery frames.
	OnDiscovery func(frame []byte)
}

// AC forwards between one TUN and many PPPoE sessions on one link: packets
// from the TUN go to the session that owns their destination address.
// Methods are safe for concurrent use.
type AC struct {
	e   engine
	mu  sync.Mutex // serialises table updates
	tbl atomic.Pointer[acTable]
}

type sessKey struct {
	id   uint16
	peer pppoe.MAC
}

// acTable is immutable once published; updates copy it.
type acTable struct {
	sessions map[sessKey]*live
	hosts    map[netip.Addr]*live // /32 and /128 routes
	prefixes []prefixRoute        // other routes, longest first
}

type prefixRoute struct {
	p netip.Prefix
	s *live
}

// NewAC returns an AC with no sessions.
func NewAC(cfg ACConfig) *AC {
	a := &AC{}
	a.tbl.Store(&acTable{sessions: map[sessKey]*live{}, hosts: map[netip.Addr]*live{}})
	a.e = engine{tun: cfg.TUN, link: cfg.Link, discovery: cfg.Discovery, onDiscovery: cfg.OnDiscovery}
	a.e.out = a.route
	a.e.in = func(id uint16, src, dst pppoe.MAC) *live {
		s := a.tbl.Load().sessions[sessKey{id, src}]
		if s == nil || s.local != dst {
			return nil
		}
		return s
	}
	if cfg.OnControl != nil {
		a.e.control = func(s *live, ppp []byte) { cfg.OnControl(s.id, s.Peer, ppp) }
	}
	return a
}

// route picks the session for a packet by its destination address.
func (a *AC) route(pkt []byte) *live {
	var dst netip.Addr
	switch pkt[0] >> 4 {
	case 4:
		dst = netip.AddrFrom4([4]byte(pkt[16:20]))
	case 6:
		dst = netip.AddrFrom16([16]byte(pkt[24:40]))
	default:
		return nil
	}
	t := a.tbl.Load()
	if s := t.hosts[dst]; s != nil {
		return s
	}
	for _, r := range t.prefixes {
		if r.p.Contains(dst) {
			return r.s
		}
	}
	return nil
}

// AddSession adds (or replaces, by ID and peer MAC) a session and the
// destinations it owns: the client's IPv4 address as a /32, an IPv6 prefix,
// and so on.
func (a *AC) AddSession(s Session, routes ...netip.Prefix) error {
	l, err := newLive(s)
	if err != nil {
		return err
	}
	for _, r := range routes {
		if !r.IsValid() {
			return fmt.Errorf("dataplane: invalid route %v", r)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.tbl.Load()
	key := sessKey{l.id, l.peer}
	t := old.without(key)
	t.sessions[key] = l
	for _, r := range routes {
		r = r.Masked()
		if r.IsSingleIP() {
			t.hosts[r.Addr()] = l
			continue
		}
		t.prefixes = append(t.prefixes, prefixRoute{r, l})
	}
	// longest prefix first
	for i := 1; i < len(t.prefixes); i++ {
		for j := i; j > 0 && t.prefixes[j].p.Bits() > t.prefixes[j-1].p.Bits(); j-- {
			t.prefixes[j], t.prefixes[j-1] = t.prefixes[j-1], t.prefixes[j]
		}
	}
	a.tbl.Store(t)
	return nil
}

// RemoveSession removes a session and its routes.
func (a *AC) RemoveSession(id uint16, peer pppoe.MAC) {
	if len(peer) != 6 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tbl.Store(a.tbl.Load().without(sessKey{id, peer}))
}

// without returns a copy of t lacking session k and its routes.
func (t *acTable) without(k sessKey) *acTable {
	n := &acTable{sessions: map[sessKey]*live{}, hosts: map[netip.Addr]*live{}}
	gone := t.sessions[k]
	for key, s := range t.sessions {
		if key != k {
			n.sessions[key] = s
		}
	}
	for addr, s := range t.hosts {
		if s != gone {
			n.hosts[addr] = s
		}
	}
	for _, r := range t.prefixes {
		if r.s != gone {
			n.prefixes = append(n.prefixes, r)
		}
	}
	return n
}

// Sessions returns the number of sessions.
func (a *AC) Sessions() int { return len(a.tbl.Load().sessions) }

// SendControl sends one PPP frame (protocol field first) in session id to
// peer.
func (a *AC) SendControl(id uint16, peer pppoe.MAC, ppp []byte) error {
	if len(peer) != 6 {
		return errors.New("dataplane: peer MAC must be 6 bytes")
	}
	s := a.tbl.Load().sessions[sessKey{id, peer}]
	if s == nil {
		return fmt.Errorf("dataplane: no session %d with %v", id, peer)
	}
	return a.e.sendControl(s, ppp)
}

// SendDiscovery sends one whole discovery frame on the discovery link.
func (a *AC) SendDiscovery(frame []byte) error { return a.e.sendDiscovery(frame) }

// Run forwards until ctx is cancelled or a device fails; see Client.Run.
func (a *AC) Run(ctx context.Context) error { return a.e.run(ctx) }

// Stats returns a snapshot of the counters.
func (a *AC) Stats() Stats { return a.e.cnt.snapshot() }
