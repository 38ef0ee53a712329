package daemon

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/dualpath/dualpath/mape"
)

// lineCache gives the MAP-E summary of the host's line (a LineSource):
// the first global IPv6 address on the LAN interface that a built-in MAP-E
// rule covers. Interfaces change rarely; the answer is kept for a minute.
type lineCache struct {
	ifname string
	mu     sync.Mutex
	at     time.Time
	last   *LineStatus
}

func newLineCache(ifname string) *lineCache { return &lineCache{ifname: ifname} }

// Line is the MAP-E summary, at most a minute old.
func (c *lineCache) Line() *LineStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < time.Minute {
		return c.last
	}
	c.at, c.last = time.Now(), lineOf(c.ifname)
	return c.last
}

func lineOf(ifname string) *LineStatus {
	if ifname == "" {
		return nil
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil
	}
	var as []netip.Addr
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				as = append(as, ip)
			}
		}
	}
	return LineFor(mape.Builtin(), as)
}

// LineFor is the MAP-E summary for the first of addrs (global IPv6, not
// ULA) that a rule of t covers, or nil.
func LineFor(t *mape.Table, addrs []netip.Addr) *LineStatus {
	if l, _, ok := t.LineOf(addrs); ok {
		ls := &LineStatus{
			Provider:   l.Rule.Provider,
			Prefix:     l.EndUserPrefix.String(),
			SharedIPv4: l.IPv4.String(),
			PSID:       int(l.PSID),
			PortCount:  l.PortCount(),
			PortRanges: []string{},
		}
		for _, pr := range l.PortRanges() {
			ls.PortRanges = append(ls.PortRanges, pr.String())
		}
		return ls
	}
	return nil
}
