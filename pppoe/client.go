package pppoe

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// ClientState is where a client's discovery stands.
type ClientState int

// Client states.
const (
	ClientIdle       ClientState = iota // not started
	ClientDiscover                      // PADI sent, waiting for an acceptable PADO
	ClientRequest                       // PADR sent, waiting for PADS
	ClientSession                       // PADS received: the session is established
	ClientTerminated                    // PADT received from the AC
	ClientFailed                        // discovery gave up (see the EventFailed)
	ClientClosed                        // Close was called
)

// String names the state for logs.
func (s ClientState) String() string {
	return [...]string{"idle", "discover", "request", "session", "terminated", "failed", "closed"}[s]
}

// ClientConfig configures a client's discovery.
type ClientConfig struct {
	// LocalMAC is our source address (that of the interface or its macvlan).
	LocalMAC MAC
	// ServiceName is sent in PADI/PADR; "" asks for any service. When not
	// empty, a PADO that lists Service-Names must list this one; a PADO with
	// no Service-Name tag at all is tolerated (some ACs omit it).
	ServiceName string
	// ACName, when not empty, accepts only PADOs whose AC-Name equals it.
	ACName string
	// HostUniq is echoed by the AC; replies without it are dropped. Nil picks
	// 8 random bytes.
	HostUniq []byte
	// MaxPayload, when above 1492, asks for an RFC 4638 PPP-Max-Payload in
	// PADI and PADR.
	MaxPayload uint16
	// Timeout is the first PADI/PADR wait; it doubles on every retry
	// (RFC 2516 section 7) up to MaxTimeout. Defaults 1 s and 8 s.
	Timeout, MaxTimeout time.Duration
	// PADIAttempts and PADRAttempts bound the retries before EventFailed.
	// Defaults 5 and 4.
	PADIAttempts, PADRAttempts int
}

// EventKind says what happened in discovery.
type EventKind int

// Discovery events.
const (
	// EventOffer: a PADO was received (Accepted says whether we chose it).
	EventOffer EventKind = iota + 1
	// EventSession: PADS received; SessionID and Peer are set.
	EventSession
	// EventTagError: a PADO or PADS carried an error tag (Err set). For a
	// PADS it is followed by EventFailed.
	EventTagError
	// EventFailed: discovery gave up (no PADO, no PADS, or a refusing PADS).
	EventFailed
	// EventTerminated: a PADT for the live session arrived from the AC (or,
	// for an AC, from the host).
	EventTerminated
)

// String names the event kind for logs.
func (k EventKind) String() string {
	switch k {
	case EventOffer:
		return "offer"
	case EventSession:
		return "session"
	case EventTagError:
		return "tag-error"
	case EventFailed:
		return "failed"
	case EventTerminated:
		return "terminated"
	}
	return fmt.Sprintf("event-%d", int(k))
}

// Failure says why discovery gave up.
type Failure int

// Failure reasons of EventFailed.
const (
	FailNone    Failure = iota
	FailNoOffer         // no acceptable PADO after all PADI attempts
	FailNoPADS          // the chosen AC never confirmed
	FailRefused         // PADS without a session (carries error tags)
)

// String says why discovery failed, in a few words.
func (f Failure) String() string {
	return [...]string{"", "no PADO", "no PADS", "refused"}[f]
}

// Event is one discovery event.
type Event struct {
	Kind        EventKind
	Peer        MAC    // the AC (client role) or the host (AC role)
	SessionID   uint16 // EventSession, EventTerminated
	ACName      string // EventOffer, EventSession
	ServiceName string // EventOffer, EventSession
	// MaxPayload is the negotiated PPP-Max-Payload for EventSession: the
	// value the AC confirmed (RFC 4638), else 1492.
	MaxPayload uint16
	Accepted   bool      // EventOffer
	Reason     Failure   // EventFailed
	Err        *TagError // EventTagError; EventFailed/EventTerminated when a tag explained it
	Offers     int       // EventFailed: PADOs seen (all rejected or none)
}

// Client is the host side of PPPoE discovery (RFC 2516 sections 5.1-5.5),
// sans I/O: feed it received 0x8863 payloads with Input and the time with
// Tick; send what Output returns; wake up at NextDeadline.
type Client struct {
	cfg      ClientConfig
	state    ClientState
	attempt  int
	timeout  time.Duration
	deadline time.Time

	ac        MAC
	acName    string
	service   string
	cookie    []byte
	relay     []byte
	sessionID uint16
	maxPay    uint16
	offers    int
	lastErr   *TagError

	out    []Frame
	events []Event
}

// NewClient returns an idle client.
func NewClient(cfg ClientConfig) *Client {
	if cfg.HostUniq == nil {
		cfg.HostUniq = make([]byte, 8)
		_, _ = rand.Read(cfg.HostUniq)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = 8 * time.Second
	}
	if cfg.PADIAttempts <= 0 {
		cfg.PADIAttempts = 5
	}
	if cfg.PADRAttempts <= 0 {
		cfg.PADRAttempts = 4
	}
	return &Client{cfg: cfg}
}

// State returns the current state.
func (c *Client) State() ClientState { return c.state }

// HostUniq returns the Host-Uniq value in use.
func (c *Client) HostUniq() []byte { return c.cfg.HostUniq }

// Session returns the AC's MAC and the session ID once established.
func (c *Client) Session() (ac MAC, id uint16, ok bool) {
	return c.ac, c.sessionID, c.state == ClientSession
}

// MaxPayload returns the negotiated PPP payload limit (1492 unless the AC
// confirmed a larger RFC 4638 PPP-Max-Payload).
func (c *Client) MaxPayload() uint16 {
	if c.maxPay == 0 {
		return MaxPayloadDefault
	}
	return c.maxPay
}

// Start sends the first PADI.
func (c *Client) Start(now time.Time) {
	c.state = ClientDiscover
	c.attempt = 0
	c.timeout = c.cfg.Timeout
	c.offers = 0
	c.lastErr = nil
	c.sendPADI(now)
}

func (c *Client) commonTags(p *Packet) {
	p.Add(TagServiceName, []byte(c.cfg.ServiceName))
	p.Add(TagHostUniq, c.cfg.HostUniq)
	if c.cfg.MaxPayload > MaxPayloadDefault {
		var v [2]byte
		binary.BigEndian.PutUint16(v[:], c.cfg.MaxPayload)
		p.Add(TagPPPMaxPayload, v[:])
	}
}

// sendPADI: PADI with exactly one Service-Name (section 5.1).
func (c *Client) sendPADI(now time.Time) {
	p := &Packet{Code: CodePADI}
	c.commonTags(p)
	c.emit(Broadcast, p)
	c.attempt++
	c.deadline = now.Add(c.timeout)
}

// sendPADR: PADR to the chosen AC with one Service-Name, our Host-Uniq and
// the AC-Cookie and Relay-Session-Id echoed from the PADO (section 5.3).
func (c *Client) sendPADR(now time.Time) {
	p := &Packet{Code: CodePADR}
	c.commonTags(p)
	if c.cookie != nil {
		p.Add(TagACCookie, c.cookie)
	}
	if c.relay != nil {
		p.Add(TagRelaySessionID, c.relay)
	}
	c.emit(c.ac, p)
	c.attempt++
	c.deadline = now.Add(c.timeout)
}

func (c *Client) emit(dst MAC, p *Packet) {
	b, err := p.Marshal()
	if err != nil { // only oversized configured strings; drop rather than send garbage
		return
	}
	c.out = append(c.out, Frame{Dst: dst, Payload: b})
}

func (c *Client) backoff() {
	c.timeout *= 2
	if c.timeout > c.cfg.MaxTimeout {
		c.timeout = c.cfg.MaxTimeout
	}
}

// Tick handles the retry timer.
func (c *Client) Tick(now time.Time) {
	if c.deadline.IsZero() || now.Before(c.deadline) {
		return
	}
	switch c.state {
	case ClientDiscover:
		if c.attempt >= c.cfg.PADIAttempts {
			c.fail(FailNoOffer)
			return
		}
		c.backoff()
		c.sendPADI(now)
	case ClientRequest:
		if c.attempt >= c.cfg.PADRAttempts {
			c.fail(FailNoPADS)
			return
		}
		c.backoff()
		c.sendPADR(now)
	default:
		c.deadline = time.Time{}
	}
}

func (c *Client) fail(r Failure) {
	c.state = ClientFailed
	c.deadline = time.Time{}
	c.events = append(c.events, Event{Kind: EventFailed, Peer: c.ac, Reason: r, Err: c.lastErr, Offers: c.offers})
}

// NextDeadline is when Tick must next be called; zero means no timer.
func (c *Client) NextDeadline() time.Time { return c.deadline }

// Input handles the Ethernet payload of a received 0x8863 frame from src.
// Malformed frames and frames not for us are dropped silently.
func (c *Client) Input(now time.Time, src MAC, payload []byte) {
	p, err := ParseDiscovery(payload)
	if err != nil {
		return
	}
	switch p.Code {
	case CodePADO:
		c.handlePADO(now, src, p)
	case CodePADS:
		c.handlePADS(src, p)
	case CodePADT:
		c.handlePADT(src, p)
	}
}

func (c *Client) ours(p *Packet) bool {
	hu, ok := p.Tag(TagHostUniq)
	return ok && bytes.Equal(hu, c.cfg.HostUniq)
}

func (c *Client) handlePADO(now time.Time, src MAC, p *Packet) {
	if c.state != ClientDiscover || !c.ours(p) || p.SessionID != 0 || src == Broadcast || src[0]&1 != 0 {
		return
	}
	c.offers++
	acName, _ := p.ACName()
	ev := Event{Kind: EventOffer, Peer: src, ACName: acName}
	if errs := p.Errors(); len(errs) > 0 {
		c.lastErr = errs[0]
		c.events = append(c.events, Event{Kind: EventTagError, Peer: src, ACName: acName, Err: errs[0]})
		c.events = append(c.events, ev)
		return
	}
	if c.cfg.ACName != "" && acName != c.cfg.ACName {
		c.events = append(c.events, ev)
		return
	}
	if p.Count(TagServiceName) > 0 {
		found := false
		for _, t := range p.Tags {
			if t.Type == TagServiceName && (c.cfg.ServiceName == "" || string(t.Value) == c.cfg.ServiceName) {
				found = true
				if ev.ServiceName == "" {
					ev.ServiceName = string(t.Value)
				}
			}
		}
		if !found {
			c.events = append(c.events, ev)
			return
		}
	}
	ev.Accepted = true
	c.events = append(c.events, ev)
	c.ac, c.acName, c.service = src, acName, ev.ServiceName
	c.cookie, c.relay = cloneTag(p, TagACCookie), cloneTag(p, TagRelaySessionID)
	c.state = ClientRequest
	c.attempt = 0
	c.timeout = c.cfg.Timeout
	c.sendPADR(now)
}

func cloneTag(p *Packet, t TagType) []byte {
	v, ok := p.Tag(t)
	if !ok {
		return nil
	}
	return append([]byte{}, v...)
}

func (c *Client) handlePADS(src MAC, p *Packet) {
	if c.state != ClientRequest || src != c.ac || !c.ours(p) {
		return
	}
	errs := p.Errors()
	for _, e := range errs {
		c.events = append(c.events, Event{Kind: EventTagError, Peer: src, ACName: c.acName, Err: e})
	}
	if p.SessionID == 0 || p.SessionID == 0xffff || len(errs) > 0 {
		// Section 5.4: a refusing PADS has SESSION_ID 0 and an error tag.
		if len(errs) > 0 {
			c.lastErr = errs[0]
		}
		c.fail(FailRefused)
		return
	}
	c.sessionID = p.SessionID
	c.maxPay = MaxPayloadDefault
	if v, ok := p.MaxPayload(); ok && c.cfg.MaxPayload > MaxPayloadDefault && v > MaxPayloadDefault {
		c.maxPay = min(v, c.cfg.MaxPayload) // RFC 4638 section 4
	}
	c.state = ClientSession
	c.deadline = time.Time{}
	c.events = append(c.events, Event{Kind: EventSession, Peer: src, SessionID: c.sessionID,
		ACName: c.acName, ServiceName: c.service, MaxPayload: c.maxPay})
}

// handlePADT accepts a PADT only from the live session's AC MAC with its
// session ID (section 5.5); anything else could be spoofed or stale.
func (c *Client) handlePADT(src MAC, p *Packet) {
	if c.state != ClientSession || src != c.ac || p.SessionID != c.sessionID {
		return
	}
	ev := Event{Kind: EventTerminated, Peer: src, SessionID: c.sessionID, ACName: c.acName}
	if errs := p.Errors(); len(errs) > 0 {
		ev.Err = errs[0]
	}
	c.state = ClientTerminated
	c.events = append(c.events, ev)
}

// Close ends discovery or the session. In ClientSession it queues a PADT to
// the AC (section 5.5: either end may terminate). reason, if not empty, goes
// into the PADT's Generic-Error tag.
func (c *Client) Close(now time.Time, reason string) {
	if c.state == ClientSession {
		c.out = append(c.out, Frame{Dst: c.ac, Payload: NewPADT(c.sessionID, reason)})
	}
	c.state = ClientClosed
	c.deadline = time.Time{}
}

// Stale returns the record to persist while the session is up.
func (c *Client) Stale(ifname string) StaleSession {
	return StaleSession{Interface: ifname, LocalMAC: c.cfg.LocalMAC, ACMAC: c.ac, SessionID: c.sessionID}
}

// Output returns and clears the frames to send.
func (c *Client) Output() []Frame {
	o := c.out
	c.out = nil
	return o
}

// Events returns and clears the pending events.
func (c *Client) Events() []Event {
	e := c.events
	c.events = nil
	return e
}
