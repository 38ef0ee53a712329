package dataplane

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/dualpath/dualpath/pppoe"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// TUN is the session's TUN device (its MTU should be the session MTU).
	TUN TUN
	// Link is a raw socket on the LAN interface (or macvlan) for PPPoE
	// session frames, EtherType 0x8864.
	Link Link
	// Discovery optionally is a raw socket for EtherType 0x8863; its frames
	// go to OnDiscovery (e.g. a PADT from the AC during the session).
	Discovery Link
	// OnControl receives every non-IP PPP frame of the live session (LCP,
	// PAP, CHAP, IPCP, IPv6CP, ...), protocol field first. It runs on the
	// receive goroutine: it must not block. The slice is the callee's.
	OnControl func(ppp []byte)
	// OnDiscovery receives whole discovery frames (the slice is the
	// callee's); it runs on the discovery goroutine.
	OnDiscovery func(frame []byte)
}

// Client forwards between a TUN and one PPPoE session. Create it with
// NewClient, give it a session with SetSession once discovery is done, and
// run it with Run. Methods are safe for concurrent use.
type Client struct {
	e    engine
	sess atomic.Pointer[live]
}

// NewClient returns a Client with no session: until SetSession, packets
// from the TUN are dropped (counted as no_session) and received frames are
// dropped as unknown_session.
func NewClient(cfg ClientConfig) *Client {
	c := &Client{}
	c.e = engine{tun: cfg.TUN, link: cfg.Link, discovery: cfg.Discovery, onDiscovery: cfg.OnDiscovery}
	c.e.out = func([]byte) *live { return c.sess.Load() }
	c.e.in = func(id uint16, src, dst pppoe.MAC) *live {
		s := c.sess.Load()
		if s == nil || s.id != id || s.peer != src || s.local != dst {
			return nil
		}
		return s
	}
	if cfg.OnControl != nil {
		c.e.control = func(_ *live, ppp []byte) { cfg.OnControl(ppp) }
	}
	return c
}

// SetSession makes s the live session (after PADS, or after a reconnect);
// frames of any earlier session are dropped from now on. The TUN stays.
func (c *Client) SetSession(s Session) error {
	l, err := newLive(s)
	if err != nil {
		return err
	}
	c.sess.Store(l)
	return nil
}

// ClearSession drops the live session (PADT, echo timeout): packets from
// the TUN are dropped until the next SetSession.
func (c *Client) ClearSession() { c.sess.Store(nil) }

// Session returns the live session and whether there is one.
func (c *Client) Session() (Session, bool) {
	if s := c.sess.Load(); s != nil {
		return s.Session, true
	}
	return Session{}, false
}

// SendControl sends one PPP frame (protocol field first, e.g. an LCP
// Configure-Request) in the live session.
func (c *Client) SendControl(ppp []byte) error {
	s := c.sess.Load()
	if s == nil {
		return errors.New("dataplane: no PPPoE session")
	}
	return c.e.sendControl(s, ppp)
}

// SendDiscovery sends one whole discovery frame (e.g. a PADT) on the
// discovery link.
func (c *Client) SendDiscovery(frame []byte) error { return c.e.sendDiscovery(frame) }

// Run forwards until ctx is cancelled or the TUN or a link is closed by its
// owner. It then closes the TUN and the links (when they have a Close
// method; closing twice is harmless for tun.Device and hostnet.PacketConn)
// and returns nil. Other I/O errors (the LAN link down for a while) are
// counted, retried after a short pause and reported in Stats.LastError, so
// the forwarder survives for the next session.
func (c *Client) Run(ctx context.Context) error { return c.e.run(ctx) }

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats { return c.e.cnt.snapshot() }
