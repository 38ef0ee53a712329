package probeserve

import (
	"net/netip"
	"sync"
	"time"
)

// Rate limit defaults: each source may send Burst requests at once and then
// one every Every. A check of a server asks twice (IPv4 and IPv6); a
// daemon checking every 10 minutes stays far below.
const (
	DefaultBurst  = 6
	DefaultEvery  = 10 * time.Second
	maxLimitSlots = 10000 // sources remembered at once
)

// limiter is a token bucket per source. Sources are keyed by IPv4 address
// or IPv6 /64 (one customer's LAN, RFC 6177), so a host cannot escape its
// limit by rotating temporary addresses.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	every   time.Duration
	buckets map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst int, every time.Duration) *limiter {
	if burst <= 0 {
		burst = DefaultBurst
	}
	if every <= 0 {
		every = DefaultEvery
	}
	return &limiter{burst: float64(burst), every: every, buckets: map[netip.Prefix]*bucket{}}
}

// sourceKey is the rate-limited unit for a.
func sourceKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// allow takes one token for a's source at now, and says whether there was
// one, or else how long until there is.
func (l *limiter) allow(a netip.Addr, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := sourceKey(a)
	b := l.buckets[k]
	if b == nil {
		if len(l.buckets) >= maxLimitSlots {
			l.sweep(now)
			if len(l.buckets) >= maxLimitSlots {
				return false, l.every
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[k] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(l.burst, b.tokens+float64(el)/float64(l.every))
		b.last = now
	}
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.every))
	}
	b.tokens--
	return true, 0
}

// sweep forgets sources whose buckets have refilled: they would start full
// again anyway.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.last))/float64(l.every) >= l.burst {
			delete(l.buckets, k)
		}
	}
}
