package session

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// Client is a running client session. Create it with NewClient and run it
// with Run.
type Client struct {
	cfg ClientConfig

	journal *hostnet.Journal
	link    string // interface the session runs on (macvlan or Interface)
	local   pppoe.MAC
	dp      *dataplane.Client
	discCh  chan []byte
	ctlCh   chan []byte

	// host state for the current address
	routes     *hostnet.ReplyRoutes
	addr       netip.Addr
	mtu        int
	maxPayload uint16       // RFC 4638 PPP-Max-Payload to ask for (0: none)
	ll         netip.Prefix // IPv6CP link-local address on the TUN

	dpc       atomic.Pointer[dataplane.Client] // c.dp, for Stats from other goroutines
	dpStopped chan struct{}                    // closed when the data plane's Run returns
	dpErr     error                            // what it returned; read only after dpStopped
}

// NewClient checks cfg and returns a client ready to Run.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, discCh: make(chan []byte, 64), ctlCh: make(chan []byte, 256)}, nil
}

// Stats is the data plane's counters: IP packets and bytes through the
// session, drops by reason. It is zero until Run has set the data plane
// up, and keeps the last values after Run returns. Safe from any goroutine.
func (c *Client) Stats() dataplane.Stats {
	if dp := c.dpc.Load(); dp != nil {
		return dp.Stats()
	}
	return dataplane.Stats{}
}

func (c *Client) emit(e Event) {
	e.Time = time.Now()
	if e.Interface == "" {
		e.Interface = c.cfg.Interface
	}
	c.cfg.OnEvent(e)
}

// inNS runs fn in the configured namespace.
func (c *Client) inNS(fn func() error) error {
	if c.cfg.Namespace == "" {
		return fn()
	}
	return hostnet.InNamespace(c.cfg.Namespace, fn)
}

// Run dials and holds the session until ctx is cancelled, reconnecting with
// backoff after every loss. On return it has sent LCP Terminate and PADT
// for a live session and undone every host change. It returns an error only
// for problems a retry cannot fix (missing interface, privileges, state
// directory).
func (c *Client) Run(ctx context.Context) (err error) {
	if err := os.MkdirAll(c.cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if err := c.inNS(func() error {
		j, err := hostnet.OpenJournal(c.cfg.journalFile())
		c.journal = j
		return err
	}); err != nil {
		return err
	}
	defer func() {
		if uerr := c.journal.UndoAll(); uerr != nil && err == nil {
			err = fmt.Errorf("undoing host changes: %w (journal %s keeps them for the next start)", uerr, c.journal.Path())
		}
		c.journal.Close()
	}()
	if rec := c.journal.Recovered(); len(rec) > 0 {
		var what []string
		for _, ch := range rec {
			what = append(what, ch.What)
		}
		c.emit(Event{Kind: KindCleanup, Reason: "removed leftovers of an earlier run: " + strings.Join(what, "; ")})
	}
	if err := c.padtStale(); err != nil {
		return err
	}

	var link, disc *hostnet.PacketConn
	var dev dataplane.TUN
	if err := c.inNS(func() error {
		c.link = c.cfg.Interface
		if c.cfg.Macvlan {
			name := c.cfg.TUN + config.MacvlanSuffix
			if _, err := c.journal.CreateMacvlan(c.cfg.Interface, name); err != nil {
				return err
			}
			c.link = name
		}
		var err error
		if link, err = hostnet.OpenPacketConn(c.link, pppoe.EtherTypeSession); err != nil {
			return err
		}
		if disc, err = hostnet.OpenPacketConn(c.link, pppoe.EtherTypeDiscovery); err != nil {
			link.Close()
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	c.local, err = pppoe.MACFrom(link.HardwareAddr())
	if err != nil {
		link.Close()
		disc.Close()
		return err
	}
	c.mtu = c.cfg.MTU
	// RFC 4638: a PPP payload above 1492 needs an Ethernet MTU of at least
	// payload + 8 (PPPoE and PPP headers); else stay at 1492.
	c.maxPayload = 0
	if c.cfg.MTU > pppoe.MaxPayloadDefault {
		if ifi := link.Interface(); ifi != nil && ifi.MTU >= c.cfg.MTU+8 {
			c.maxPayload = uint16(c.cfg.MTU)
		} else {
			c.mtu = pppoe.MaxPayloadDefault
		}
	}
	d, err := c.journal.CreateTUN(c.cfg.TUN, c.mtu)
	if err != nil {
		link.Close()
		disc.Close()
		return err
	}
	dev = d
	if err := c.setupRouting(); err != nil {
		link.Close()
		disc.Close()
		return err
	}
	c.dp = dataplane.NewClient(dataplane.ClientConfig{
		TUN: dev, Link: link, Discovery: disc,
		OnControl: func(p []byte) {
			select {
			case c.ctlCh <- p:
			default: // control plane busy: PPP retransmits
			}
		},
		OnDiscovery: func(f []byte) {
			select {
			case c.discCh <- f:
			default:
			}
		},
	})
	c.dpc.Store(c.dp)
	dpCtx, stopDP := context.WithCancel(context.Background())
	dpDone := make(chan error, 1)
	c.dpStopped = make(chan struct{})
	go func() {
		err := c.dp.Run(dpCtx)
		c.dpErr = err
		close(c.dpStopped)
		dpDone <- err
	}()
	defer func() {
		stopDP()
		<-dpDone
	}()

	backoff := c.cfg.MinBackoff
	for {
		out := c.connectOnce(ctx)
		c.dp.ClearSession()
		if !out.noPADT {
			c.cfg.removeStale()
		}
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-c.dpStopped:
			// Without TUN or socket no session can run: say so once
			// and leave it to whoever restarts us (the session record
			// stays, so the next start sends the PADT we could not).
			e := &EndError{Reason: c.dataPlaneGone(), Code: outcome{cause: CauseDataPlane}.code()}
			c.emit(Event{Kind: KindDown, Reason: e.Reason, Cause: CauseDataPlane, Code: e.Code})
			return e
		default:
		}
		wait := backoff
		if out.wasUp {
			wait = c.cfg.MinBackoff
			backoff = c.cfg.MinBackoff
		}
		if out.authFailed && wait < c.cfg.AuthBackoff {
			wait = c.cfg.AuthBackoff
		}
		c.emit(Event{Kind: KindDown, Reason: out.reason, Cause: out.cause, Code: out.code(), Err: out.hostErr(), RetryIn: wait})
		if !out.wasUp {
			backoff = min(backoff*2, c.cfg.MaxBackoff)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// padtStale sends a PADT for the session an earlier run left behind.
func (c *Client) padtStale() error {
	s, ok := c.cfg.loadStale()
	if !ok {
		return nil
	}
	ifname := s.Interface
	if ifname == "" {
		ifname = c.cfg.Interface
	}
	var conn *hostnet.PacketConn
	err := c.inNS(func() error {
		var err error
		conn, err = hostnet.OpenPacketConn(ifname, pppoe.EtherTypeDiscovery)
		return err
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	f := s.PADT()
	frame := ethFrame(f.Dst, s.LocalMAC, pppoe.EtherTypeDiscovery, f.Payload)
	for i := 0; i < 2; i++ { // a lost PADT would leave the AC's slot taken
		if err := conn.WriteFrame(frame); err != nil {
			return fmt.Errorf("sending PADT for the stale session: %w", err)
		}
	}
	c.emit(Event{Kind: KindCleanup, ACMAC: s.ACMAC, SessionID: s.SessionID,
		Reason: fmt.Sprintf("sent PADT for stale session %#04x to %s", s.SessionID, s.ACMAC)})
	c.cfg.removeStale()
	return nil
}

// setupRouting prepares what does not depend on the address: the reply
// routing shared with the fixed-IP tunnel (hostnet.ReplyRoutes).
func (c *Client) setupRouting() error {
	c.routes = &hostnet.ReplyRoutes{J: c.journal, TUN: c.cfg.TUN, Table: c.cfg.Table,
		Priority: c.cfg.RulePriority, MainDefault: c.cfg.DefaultRoute}
	return c.routes.Setup()
}

// hostUp puts the session address on the TUN and makes replies from it
// use the session's table; when the address changed since the last
// session, the rule follows it.
func (c *Client) hostUp(addr netip.Addr, mtu int) error {
	if mtu != c.mtu {
		if err := c.journal.SetMTU(c.cfg.TUN, mtu); err != nil {
			return err
		}
		c.mtu = mtu
	}
	if addr == c.addr {
		return nil
	}
	if err := c.routes.Set([]netip.Addr{addr}); err != nil {
		return err
	}
	c.addr = addr
	return nil
}

// hostUp6 puts the link-local address made from our IPv6CP interface
// identifier on the TUN (RFC 5072 section 5), replacing the last one.
func (c *Client) hostUp6(iid [8]byte) error {
	ll := netip.PrefixFrom(linkLocal(iid), 64)
	if ll == c.ll {
		return nil
	}
	if err := c.journal.AddAddress(c.cfg.TUN, ll); err != nil {
		return err
	}
	if c.ll.IsValid() {
		if err := c.journal.RemoveAddress(c.cfg.TUN, c.ll); err != nil {
			return err
		}
	}
	c.ll = ll
	return nil
}

// attempt is the state of one connection attempt.
type attempt struct {
	c    *Client
	disc *pppoe.Client
	conn *ppp.Conn
	out  outcome
	done bool
	// rxData is the data plane's received-IP-packet counter when PPP
	// was last told about traffic (noteData).
	rxData uint64
}

func (a *attempt) flush() {
	for _, f := range a.disc.Output() {
		_ = a.c.dp.SendDiscovery(ethFrame(f.Dst, a.c.local, pppoe.EtherTypeDiscovery, f.Payload))
	}
	if a.conn != nil {
		for _, p := range a.conn.Output() {
			_ = a.c.dp.SendControl(p)
		}
	}
}

// connectOnce runs discovery, PPP and the up state until the session ends
// or ctx is cancelled.
func (c *Client) connectOnce(ctx context.Context) outcome {
	a := &attempt{c: c}
	cfg := pppoe.ClientConfig{LocalMAC: c.local, ServiceName: c.cfg.ServiceName, ACName: c.cfg.ACName,
		Timeout: c.cfg.DiscoveryTimeout, PADIAttempts: c.cfg.PADIAttempts}
	cfg.MaxPayload = c.maxPayload // RFC 4638, when the link allows it
	a.disc = pppoe.NewClient(cfg)
	// Frames of an earlier attempt are stale now.
	for len(c.ctlCh) > 0 {
		<-c.ctlCh
	}
	a.disc.Start(time.Now())
	c.emit(Event{Kind: KindDiscovery, State: "padi", Reason: "looking for an access concentrator"})
	a.flush()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !a.done {
		next := a.disc.NextDeadline()
		if a.conn != nil {
			if d := a.conn.NextDeadline(); !d.IsZero() && (next.IsZero() || d.Before(next)) {
				next = d
			}
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			a.shutdown()
			return a.out
		case f := <-c.discCh:
			dst, src, et, payload, ok := splitEth(f)
			if ok && et == pppoe.EtherTypeDiscovery && (dst == c.local || dst == pppoe.Broadcast) {
				a.disc.Input(time.Now(), src, payload)
			}
		case p := <-c.ctlCh:
			if a.conn != nil {
				a.conn.Input(time.Now(), p)
			}
		case <-c.dpStopped:
			// The TUN or the link is gone: the lower layer is down
			// (RFC 1661 section 4.1) and nothing can be sent any more,
			// not even the PADT.
			a.out.reason, a.out.cause = c.dataPlaneGone(), CauseDataPlane
			a.out.noPADT = a.conn != nil
			if a.conn == nil {
				return a.out
			}
			a.conn.LowerDown(time.Now(), a.out.reason)
		case <-timer.C:
			now := time.Now()
			a.disc.Tick(now)
			if a.conn != nil {
				a.noteData(now)
				a.conn.Tick(now)
			}
		}
		a.step()
	}
	return a.out
}

// noteData tells PPP that IP packets arrived since the last look, so that
// they count as liveness for the LCP echo keepalive like any control frame
// (RFC 1661 section 5.8 leaves the policy open; some BRAS drop echoes under
// load while traffic flows). The data plane hands IPv4/IPv6 frames to the
// TUN and never to ppp.Conn.Input; instead of a clock read per packet, its
// RxPackets counter (only frames of the live session) is compared at every
// timer tick, which includes each echo deadline, before Tick runs.
func (a *attempt) noteData(now time.Time) {
	if n := a.c.dp.Stats().RxPackets; n != a.rxData {
		a.rxData = n
		a.conn.NoteReceived(now)
	}
}

// step handles the events of discovery and PPP after any input.
func (a *attempt) step() {
	c := a.c
	for _, ev := range a.disc.Events() {
		switch ev.Kind {
		case pppoe.EventOffer:
			st := "offer-ignored"
			if ev.Accepted {
				st = "offer"
			}
			c.emit(Event{Kind: KindDiscovery, State: st, ACName: pppoe.Printable(ev.ACName), ACMAC: ev.Peer})
		case pppoe.EventTagError:
			c.emit(Event{Kind: KindDiscovery, State: "error", ACName: pppoe.Printable(ev.ACName), ACMAC: ev.Peer, Reason: ev.Err.Error()})
		case pppoe.EventFailed:
			r := discoveryFailure(c.cfg.Interface, ev)
			o := outcome{reason: r, cause: CauseDiscovery, noOffer: ev.Reason == pppoe.FailNoOffer, discovery: discoveryCode(ev)}
			c.emit(Event{Kind: KindDiscovery, State: "failed", Reason: r, Cause: CauseDiscovery, Code: o.code()})
			a.finish(o)
			return
		case pppoe.EventSession:
			a.sessionUp(ev)
		case pppoe.EventTerminated:
			r := padtReason(ev)
			if !a.out.authFailed {
				a.out.reason, a.out.cause = r, CausePADT
			}
			if a.conn == nil {
				a.done = true
				return
			}
			// RFC 1661 section 4.1 "Down": the lower layer is gone, so
			// PPP sends nothing more and reports EventDown with r at
			// once; the EventDown case below ends the attempt.
			a.conn.LowerDown(time.Now(), r)
		}
	}
	a.flush()
	if a.conn == nil {
		return
	}
	for _, ev := range a.conn.Events() {
		switch ev.Kind {
		case ppp.EventAuthOK:
			c.emit(Event{Kind: KindAuth, State: "ok", Method: ev.Method})
		case ppp.EventAuthFailed:
			a.out.reason, a.out.cause, a.out.authFailed, a.out.method = ev.Reason, CauseAuth, true, ev.Method
			c.emit(Event{Kind: KindAuth, State: "failed", Method: ev.Method, Reason: ev.Reason, Cause: CauseAuth, Code: a.out.code()})
		case ppp.EventIPCPUp:
			a.ipUp(ev.Params)
		case ppp.EventIPv6CPUp:
			if err := c.hostUp6(ev.Params.LocalIID); err != nil {
				c.emit(Event{Kind: KindIPv6Up, State: "warning", Reason: "configuring the IPv6 link-local address: " + err.Error()})
			}
			c.emit(Event{Kind: KindIPv6Up, Address: linkLocal(ev.Params.LocalIID),
				Peer: linkLocal(ev.Params.PeerIID), MTU: c.mtu})
		case ppp.EventEchoTimeout:
			a.out.reason = "the access concentrator stopped answering: " + strings.TrimPrefix(ev.Reason, "peer not responding: ")
			a.out.cause = CauseSilent
		case ppp.EventDown:
			if a.out.reason == "" {
				a.out.reason, a.out.cause = "PPP link down: "+ev.Reason, CauseLinkDown
			}
			a.disc.Close(time.Now(), a.out.reason)
			a.flush()
			a.done = true
			return
		}
	}
	a.flush()
}

// dataPlaneGone says why the data plane stopped (call after dpStopped).
func (c *Client) dataPlaneGone() string {
	if c.dpErr != nil {
		return "the data plane stopped: " + c.dpErr.Error()
	}
	return fmt.Sprintf("the data plane stopped: the TUN %s or the socket on %s was closed or removed", c.cfg.TUN, c.link)
}

// padtReason is the down reason for a PADT from the access concentrator,
// with its error tag's text (RFC 2516 section 5.5) when it carried one.
func padtReason(ev pppoe.Event) string {
	r := "PADT from the access concentrator"
	if ev.Err != nil {
		r += ": " + ev.Err.SafeText()
	}
	return r
}

func (a *attempt) finish(o outcome) {
	o.wasUp = a.out.wasUp
	a.out = o
	a.done = true
}

func (a *attempt) sessionUp(ev pppoe.Event) {
	c := a.c
	c.emit(Event{Kind: KindSession, SessionID: ev.SessionID, ACName: pppoe.Printable(ev.ACName), ACMAC: ev.Peer, MaxPayload: ev.MaxPayload})
	if err := c.cfg.saveStale(a.disc.Stale(c.cfg.Interface)); err != nil {
		c.emit(Event{Kind: KindSession, State: "warning", Reason: "cannot record the session for crash recovery: " + err.Error()})
	}
	if err := c.dp.SetSession(dataplane.Session{ID: ev.SessionID, Local: c.local, Peer: ev.Peer, MTU: c.mtu}); err != nil {
		a.out.reason, a.out.cause, a.out.err = "data plane refused the session: "+err.Error(), CauseHost, err
		a.disc.Close(time.Now(), "client data plane error")
		a.done = true
		return
	}
	a.rxData = c.dp.Stats().RxPackets
	conn, err := ppp.NewConn(ppp.Config{
		Role: ppp.RoleClient, MRU: uint16(min(c.cfg.MTU, int(ev.MaxPayload))), MaxMRU: ev.MaxPayload,
		Username: c.cfg.Username, Password: c.cfg.Password, Auth: c.cfg.Auth,
		IPv6CP: c.cfg.IPv6CP, EchoInterval: c.cfg.EchoInterval, EchoFailures: c.cfg.EchoFailures, EchoProbeInterval: c.cfg.EchoProbeInterval,
	})
	if err != nil {
		a.out.reason, a.out.cause, a.out.err = "PPP configuration: "+err.Error(), CauseHost, err
		a.disc.Close(time.Now(), "client configuration error")
		a.done = true
		return
	}
	a.conn = conn
	conn.Open(time.Now())
}

func (a *attempt) ipUp(p ppp.Params) {
	c := a.c
	mtu := min(c.cfg.MTU, int(a.disc.MaxPayload()))
	if p.MTU > 0 && p.MTU < mtu {
		mtu = p.MTU
	}
	if err := c.hostUp(p.LocalIPv4, mtu); err != nil {
		a.out.reason, a.out.cause, a.out.err = "configuring the host: "+err.Error(), CauseHost, err
		a.conn.Close(time.Now(), "host configuration failed")
		return
	}
	if s, ok := c.dp.Session(); ok && s.MTU != mtu {
		s.MTU = mtu
		if err := c.dp.SetSession(s); err != nil {
			a.out.reason, a.out.cause, a.out.err = "data plane refused the MTU "+strconv.Itoa(mtu)+": "+err.Error(), CauseHost, err
			a.conn.Close(time.Now(), "data plane error")
			return
		}
	}
	a.out.wasUp = true
	c.emit(Event{Kind: KindUp, Address: p.LocalIPv4, Peer: p.PeerIPv4, DNS: p.DNS, MTU: mtu})
}

// shutdown ends the session politely: LCP Terminate-Request (waiting a
// moment for the Ack), then PADT.
func (a *attempt) shutdown() {
	c := a.c
	a.out.reason, a.out.cause = "shutting down", CauseShutdown
	if a.conn != nil && a.conn.LCPState() != ppp.StateInitial {
		a.conn.Close(time.Now(), "shutting down")
		a.flush()
		deadline := time.After(time.Second)
	wait:
		for {
			select {
			case p := <-c.ctlCh:
				a.conn.Input(time.Now(), p)
				a.flush()
				for _, ev := range a.conn.Events() {
					if ev.Kind == ppp.EventDown {
						break wait
					}
				}
			case <-deadline:
				break wait
			}
		}
	}
	a.disc.Close(time.Now(), "client shutting down")
	a.flush()
}
