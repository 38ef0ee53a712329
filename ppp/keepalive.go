package ppp

import (
	"fmt"
	"time"
)

// Keepalive defaults (RFC 1661 section 5.8 leaves the policy to the
// implementation; pppd's lcp-echo-interval/lcp-echo-failure are the usual
// knobs). With the defaults a peer that falls silent is declared dead
// EchoInterval + EchoFailures*EchoProbeInterval = 13 s after its last frame.
const (
	DefaultEchoInterval      = 10 * time.Second
	DefaultEchoFailures      = 3
	DefaultEchoProbeInterval = time.Second
)

// keepalive is the LCP echo keepalive of one link. Liveness is the time of
// the last received frame of any kind: control frames through Input (exact
// time), data frames through NoteReceived, which only bumps a counter; a
// counter change seen at a look is dated to the previous look, the
// earliest it can have happened, so that a data frame never makes a dead
// peer look more alive than it was.
//
// Normal mode sends an Echo-Request every EchoInterval (like pppd), and
// when nothing at all arrived for EchoInterval it switches to probing:
// EchoFailures Echo-Requests EchoProbeInterval apart. Any frame ends
// probing; when the last probe's interval passes without one, the peer is
// dead.
type keepalive struct {
	next     time.Time // next periodic Echo-Request; zero = keepalive off
	lastRx   time.Time // last sign of life
	lookAt   time.Time // when rxSeen was last compared with rxCount
	lookNext time.Time // next look while data flows; zero = none
	rxSeen   uint64    // rxCount at lookAt
	probing  time.Time // when probing began; zero = normal mode
	probeAt  time.Time // next probe deadline
	probes   int       // Echo-Requests sent while probing
	id       uint8
	off      bool // the peer Code-Rejected Echo-Request
}

// echoStart (re)arms the keepalive at now, when LCP opens.
func (c *Conn) echoStart(now time.Time) {
	k := &c.ka
	k.lastRx, k.lookAt, k.rxSeen = now, now, c.rxCount.Load()
	k.probing, k.probeAt, k.probes, k.lookNext = time.Time{}, time.Time{}, 0, time.Time{}
	k.next = time.Time{}
	if c.cfg.EchoInterval > 0 {
		k.next = now.Add(c.cfg.EchoInterval)
	}
}

func (c *Conn) echoStop() {
	c.ka.next, c.ka.probing, c.ka.probeAt = time.Time{}, time.Time{}, time.Time{}
}

// echoHeard records a frame handed to Input at now.
func (c *Conn) echoHeard(now time.Time) {
	k := &c.ka
	if now.After(k.lastRx) {
		k.lastRx = now
	}
	k.rxSeen, k.lookAt = c.rxCount.Load(), now
}

// echoLook dates data frames counted since the last look.
func (c *Conn) echoLook(now time.Time) {
	k := &c.ka
	if n := c.rxCount.Load(); n != k.rxSeen {
		k.rxSeen = n
		if k.lookAt.After(k.lastRx) {
			k.lastRx = k.lookAt
		}
		k.lookNext = now.Add(c.cfg.EchoProbeInterval)
	} else {
		k.lookNext = time.Time{}
	}
	k.lookAt = now
}

// echoDeadline is the keepalive's next deadline (zero when off).
func (c *Conn) echoDeadline() time.Time {
	k := &c.ka
	switch {
	case k.next.IsZero():
		return time.Time{}
	case !k.probing.IsZero():
		return k.probeAt
	}
	d := k.next
	for _, t := range []time.Time{k.lastRx.Add(c.cfg.EchoInterval), k.lookNext} {
		if !t.IsZero() && t.Before(d) {
			d = t
		}
	}
	return d
}

// echoTick runs the keepalive at now (at or after echoDeadline).
func (c *Conn) echoTick(now time.Time) {
	k := &c.ka
	iv := c.cfg.EchoInterval
	c.echoLook(now)
	if !k.probing.IsZero() {
		if !k.lastRx.Before(k.probing) {
			// The peer answered (or sent anything): back to normal,
			// in the phase of the periodic echo the first probe was.
			k.next = k.probing.Add(iv)
			for !k.next.After(now) {
				k.next = k.next.Add(iv)
			}
			k.probing, k.probeAt, k.probes = time.Time{}, time.Time{}, 0
			return
		}
		if now.Before(k.probeAt) {
			return
		}
		if k.probes >= c.cfg.EchoFailures {
			c.echoDead(now)
			return
		}
		c.echoProbe(now)
		return
	}
	if now.Sub(k.lastRx) >= iv && k.lookNext.IsZero() {
		// Idle for a whole interval (a look that found new data
		// frames looks again after EchoProbeInterval instead).
		k.probing = now
		c.echoProbe(now)
		return
	}
	if !now.Before(k.next) {
		k.next = now.Add(iv)
		c.echoSend()
	}
}

// echoProbe sends one probe. A peer that rejected Echo-Request gets none,
// and is given whole intervals instead of probe intervals to send
// anything.
func (c *Conn) echoProbe(now time.Time) {
	k := &c.ka
	k.probes++
	if k.off {
		k.probeAt = now.Add(c.cfg.EchoInterval)
		return
	}
	k.probeAt = now.Add(c.cfg.EchoProbeInterval)
	c.echoSend()
}

func (c *Conn) echoSend() {
	if c.lcp.state != StateOpened || c.ka.off {
		return
	}
	c.ka.id++
	c.send(ProtoLCP, Packet{Code: CodeEchoRequest, ID: c.ka.id, Data: put32(c.lcpP.magicOrZero())})
}

// echoDead ends the link: the peer stayed silent through every probe.
func (c *Conn) echoDead(now time.Time) {
	k := &c.ka
	silent := now.Sub(k.lastRx).Round(100 * time.Millisecond)
	var reason string
	if k.off {
		reason = fmt.Sprintf("peer not responding: nothing received for %v", silent)
	} else {
		reason = fmt.Sprintf("peer not responding: nothing received for %v, %d LCP echo requests %v apart unanswered",
			silent, k.probes, c.cfg.EchoProbeInterval)
	}
	c.emit(EventEchoTimeout, reason)
	// Say goodbye once, but do not wait for an answer from a silent peer:
	// the link is down now.
	c.lcp.close(now, "peer not responding")
	c.lcp.lowerDown(now)
	c.linkDown(now, reason)
}
