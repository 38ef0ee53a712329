package ppp

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// phase is the link phase of RFC 1661 section 3.2.
type phase int

const (
	phaseDead phase = iota
	phaseEstablish
	phaseAuthenticate
	phaseNetwork
)

// Conn is one PPP link: LCP, authentication, IPCP and optionally IPv6CP.
// Create it with NewConn, start it with Open once the PPPoE session is
// established, then feed it frames (Input) and time (Tick) and drain
// Output and Events after every call.
//
// A Conn is not safe for concurrent use, except Up and NoteReceived, which
// a data plane may call from other goroutines.
type Conn struct {
	cfg Config

	out    [][]byte
	events []Event

	lcp    *fsm
	lcpP   *lcpProto
	ipcp   *fsm
	ipcpP  *ipcpProto
	ipv6cp *fsm
	ipv6P  *ipv6cpProto
	auth   authState

	phase    phase
	up       atomic.Bool
	rxCount  atomic.Uint64 // frames received (liveness for the keepalive)
	downSent bool          // EventDown emitted for this link
	pending  string        // a link close requested from inside a callback
	params   Params
	ka       keepalive
	ctlID    uint8
	randErr  error // crypto/rand failed during this call: the link goes down
}

// NewConn validates cfg, fills in defaults and returns an idle link.
func NewConn(cfg Config) (*Conn, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.DNS = append([]netip.Addr(nil), cfg.DNS...)
	cfg.Password = append([]byte(nil), cfg.Password...) // the caller may wipe its copy
	c := &Conn{cfg: cfg}
	c.lcpP = &lcpProto{c: c}
	c.lcp = newFSM("LCP", ProtoLCP, c.lcpP, &c.cfg, c.send)
	c.ipcpP = &ipcpProto{c: c}
	c.ipcp = newFSM("IPCP", ProtoIPCP, c.ipcpP, &c.cfg, c.send)
	c.ipv6P = &ipv6cpProto{c: c}
	c.ipv6cp = newFSM("IPv6CP", ProtoIPv6CP, c.ipv6P, &c.cfg, c.send)
	c.ctlID = c.randByte()
	c.lcp.id = c.randByte()
	c.ipcp.id = c.randByte()
	c.ipv6cp.id = c.randByte()
	if c.randErr != nil {
		return nil, fmt.Errorf("ppp: no random numbers: %v", c.randErr)
	}
	c.params.MTU = int(cfg.MaxMRU)
	c.params.AuthMethod = AuthNone
	return c, nil
}

// Open starts the link: the lower layer (the PPPoE session) is up and the
// administrator wants the link open. LCP sends its first Configure-Request.
// Calling Open on a link that went down restarts negotiation from scratch;
// normally a caller makes a new Conn for each PPPoE session.
func (c *Conn) Open(now time.Time) {
	if c.lcp.state != StateInitial {
		c.lcp.lowerDown(now)
	}
	c.downSent = false
	c.NoteReceived(now)
	c.phase = phaseEstablish
	c.lcp.why = ""
	c.lcp.open(now)
	c.lcp.lowerUp(now)
	c.runPending(now)
}

// Close terminates the link administratively: LCP sends Terminate-Request
// (RFC 1661 section 5.5). EventDown with reason follows when the peer
// acknowledges or after Max-Terminate restarts; keep calling Input and Tick
// until then.
func (c *Conn) Close(now time.Time, reason string) {
	if reason == "" {
		reason = "closed by administrator"
	}
	c.lcp.close(now, reason)
	switch c.lcp.state {
	case StateInitial, StateClosed, StateStopped:
		c.linkDown(now, reason)
	}
	c.runPending(now)
}

// LowerDown tells the link that the lower layer is gone (PPPoE PADT
// received, interface lost): the RFC 1661 Down event. Nothing is sent;
// EventDown with reason is emitted at once (if not already).
func (c *Conn) LowerDown(now time.Time, reason string) {
	if reason == "" {
		reason = "lower layer down"
	}
	c.lcp.lowerDown(now)
	c.linkDown(now, reason)
	c.runPending(now)
}

// Input handles one received PPP frame: the 2-byte protocol field and the
// information field, as carried by PPPoE. Every frame, even a malformed one,
// counts as a sign of life for the echo keepalive.
func (c *Conn) Input(now time.Time, frame []byte) {
	c.NoteReceived(now)
	c.echoHeard(now)
	proto, info, err := ParseFrame(frame)
	if err != nil {
		return
	}
	switch proto {
	case ProtoLCP:
		c.lcp.input(now, info)
	case ProtoPAP, ProtoCHAP:
		// RFC 1661 section 3.5: authentication packets only after LCP
		// has opened.
		if c.phase == phaseAuthenticate || c.phase == phaseNetwork {
			c.auth.input(c, now, proto, info)
		}
	case ProtoIPCP:
		if c.phase == phaseNetwork {
			c.ipcp.input(now, info)
		}
	case ProtoIPv6CP:
		if !c.cfg.IPv6CP {
			c.protocolReject(proto, info)
		} else if c.phase == phaseNetwork {
			c.ipv6cp.input(now, info)
		}
	case ProtoIPv4:
		// Data is the caller's business (fast path); nothing to do.
	case ProtoIPv6:
		if !c.cfg.IPv6CP {
			c.protocolReject(proto, info)
		}
	default:
		// RFC 1661 section 5.7: unknown or unsupported protocols (CCP,
		// EAP, ...) get a Protocol-Reject when LCP is Opened.
		c.protocolReject(proto, info)
	}
	c.runPending(now)
}

// NoteReceived records that a frame arrived at or before now, after the
// previous call. A data plane that handles IPv4/IPv6 frames itself calls
// it (or not: any frame passed to Input counts too) so that traffic keeps
// the link alive without echo replies. The keepalive dates such frames to
// its previous look (a Tick or an Input), the earliest they can have
// arrived. It is safe to call from any goroutine.
func (c *Conn) NoteReceived(now time.Time) {
	c.rxCount.Add(1)
}

// Tick runs the timers that are due at now. Call it at or after
// NextDeadline.
func (c *Conn) Tick(now time.Time) {
	for _, f := range []*fsm{c.lcp, c.ipcp, c.ipv6cp} {
		if !f.deadline.IsZero() && !now.Before(f.deadline) {
			f.timeout(now)
		}
	}
	if d := c.auth.deadline; !d.IsZero() && !now.Before(d) {
		c.auth.timeout(c, now)
	}
	if d := c.echoDeadline(); !d.IsZero() && !now.Before(d) {
		c.echoTick(now)
	}
	c.runPending(now)
}

// NextDeadline returns when Tick must next be called; zero means no timer
// is running.
func (c *Conn) NextDeadline() time.Time {
	var d time.Time
	for _, t := range []time.Time{c.lcp.deadline, c.ipcp.deadline, c.ipv6cp.deadline, c.auth.deadline, c.echoDeadline()} {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

// Output drains the frames to send, each framed like Input's frames.
func (c *Conn) Output() [][]byte {
	o := c.out
	c.out = nil
	return o
}

// Events drains the events that happened since the last call.
func (c *Conn) Events() []Event {
	e := c.events
	c.events = nil
	return e
}

// Up reports whether IPCP is opened, i.e. the link carries IPv4. It is
// safe to call from any goroutine.
func (c *Conn) Up() bool { return c.up.Load() }

// Negotiated returns the values negotiated so far.
func (c *Conn) Negotiated() Params {
	p := c.params
	p.DNS = append([]netip.Addr(nil), p.DNS...)
	return p
}

// LCPState returns the state of the LCP automaton (for logs and tests).
func (c *Conn) LCPState() State { return c.lcp.state }

// IPCPState returns the state of the IPCP automaton.
func (c *Conn) IPCPState() State { return c.ipcp.state }

// --- internals ---

func (c *Conn) emit(k EventKind, reason string) {
	c.emitAuth(k, AuthAuto, reason)
}

// emitAuth queues an event that names an authentication method.
func (c *Conn) emitAuth(k EventKind, m AuthMethod, reason string) {
	c.events = append(c.events, Event{Kind: k, Reason: c.redact(reason), Params: c.Negotiated(), Method: m})
}

// send frames a control packet. Packets that echo peer data (Code-Reject)
// are truncated to the peer's MRU (RFC 1661 section 5.6).
func (c *Conn) send(proto uint16, p Packet) {
	if lim := c.peerMRU(); p.Code == CodeCodeReject && p.Len() > lim {
		p.Data = p.Data[:lim-headerLen]
	}
	c.out = append(c.out, AppendFrame(make([]byte, 0, 2+p.Len()), proto, p))
}

// peerMRU is the largest control packet we may send.
func (c *Conn) peerMRU() int {
	m := c.params.MTU
	if m < MinMRU {
		m = MinMRU
	}
	return m
}

// protocolReject sends an LCP Protocol-Reject for proto (RFC 1661 section
// 5.7), only while LCP is Opened, truncated to the peer's MRU.
func (c *Conn) protocolReject(proto uint16, info []byte) {
	if c.lcp.state != StateOpened {
		return
	}
	c.ctlID++
	data := append(put16(proto), info...)
	if lim := c.peerMRU() - headerLen; len(data) > lim {
		data = data[:lim]
	}
	c.send(ProtoLCP, Packet{Code: CodeProtocolReject, ID: c.ctlID, Data: data})
}

// requestClose asks for the link to be closed once the current callback
// has returned.
func (c *Conn) requestClose(reason string) {
	if c.pending == "" {
		c.pending = reason
	}
}

func (c *Conn) runPending(now time.Time) {
	if err := c.randErr; err != nil {
		// Randomness never degrades: whatever this call queued may hold
		// a guessable magic number, identifier or CHAP challenge, so
		// nothing is sent and the link goes down as if the lower layer
		// had (RFC 1661 Down).
		c.randErr = nil
		c.out = nil
		c.pending = ""
		c.lcp.lowerDown(now)
		c.linkDown(now, "no random numbers ("+err.Error()+"): the link is closed")
		return
	}
	for c.pending != "" {
		r := c.pending
		c.pending = ""
		c.lcp.close(now, r)
	}
}

// linkDown emits EventDown once per link.
func (c *Conn) linkDown(now time.Time, reason string) {
	c.phase = phaseDead
	c.stopNetwork(now)
	c.auth.stop()
	c.echoStop()
	if c.downSent {
		return
	}
	c.downSent = true
	if reason == "" {
		reason = "link terminated"
	}
	c.emit(EventDown, reason)
}

// stopNetwork brings the NCPs down (LCP left Opened).
func (c *Conn) stopNetwork(now time.Time) {
	c.ipcp.lowerDown(now)
	c.ipv6cp.lowerDown(now)
}

// lcpUp is LCP This-Layer-Up: start authentication (RFC 1661 section 3.4).
func (c *Conn) lcpUp(now time.Time) {
	c.params.MTU = c.lcpP.mtu()
	c.emit(EventLCPUp, "")
	c.phase = phaseAuthenticate
	c.echoStart(now)
	c.auth.start(c, now)
}

// lcpDown is LCP This-Layer-Down: NCPs and authentication stop.
func (c *Conn) lcpDown(now time.Time) {
	if c.phase != phaseDead {
		c.phase = phaseEstablish
	}
	c.auth.stop()
	c.stopNetwork(now)
	c.echoStop()
}

// authDone moves to the Network phase (RFC 1661 section 3.5).
func (c *Conn) authDone(now time.Time, m AuthMethod, user string) {
	if m != AuthNone {
		c.params.AuthMethod = m
		c.params.Username = user
		c.emitAuth(EventAuthOK, m, fmt.Sprintf("%s authentication of user %q succeeded", methodName(m), user))
	}
	c.phase = phaseNetwork
	c.ipcp.why = ""
	c.ipcp.open(now)
	c.ipcp.lowerUp(now)
	if c.cfg.IPv6CP {
		c.ipv6cp.open(now)
		c.ipv6cp.lowerUp(now)
	}
}

// authFailed reports a failed authentication and terminates the link.
func (c *Conn) authFailed(now time.Time, m AuthMethod, reason string) {
	c.emitAuth(EventAuthFailed, m, reason)
	c.lcp.close(now, "authentication failed")
}

// redact removes the password from text that may have come from the peer.
func (c *Conn) redact(s string) string {
	if len(c.cfg.Password) == 0 {
		return s
	}
	return strings.ReplaceAll(s, string(c.cfg.Password), "[redacted]")
}

// randBytes fills b from cfg.Rand (crypto/rand unless a test sets it). A
// failure is never papered over: it is kept in randErr, and the call that
// needed the bytes ends the link (runPending) or fails (NewConn).
func (c *Conn) randBytes(b []byte) {
	if _, err := io.ReadFull(c.cfg.Rand, b); err != nil && c.randErr == nil {
		c.randErr = err
	}
}

func (c *Conn) randByte() uint8 {
	var b [1]byte
	c.randBytes(b[:])
	return b[0]
}

func (c *Conn) randU32() uint32 {
	var b [4]byte
	c.randBytes(b[:])
	return binary.BigEndian.Uint32(b[:])
}
