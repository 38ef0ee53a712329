package pppoe

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// ACConfig configures the access-concentrator side of discovery.
type ACConfig struct {
	// MAC is the AC's own address.
	MAC MAC
	// Name goes into every PADO/PADS AC-Name tag.
	Name string
	// ServiceNames are the services offered. Empty offers any service: the
	// PADO echoes what the host asked for.
	ServiceNames []string
	// MaxSessions limits concurrent sessions (0: 64). A PADR beyond it is
	// answered with a PADS carrying AC-System-Error.
	MaxSessions int
	// MaxPayload, when above 1492, enables RFC 4638: a PADI/PADR with
	// PPP-Max-Payload is answered with min(requested, MaxPayload).
	MaxPayload uint16
	// CookieKey keys the AC-Cookie HMAC; nil picks a random key.
	CookieKey []byte
}

// ACSession is one session the AC confirmed.
type ACSession struct {
	ID          uint16
	Peer        MAC
	ServiceName string
	HostUniq    []byte
	MaxPayload  uint16 // negotiated, 1492 without RFC 4638
	Started     time.Time
}

// AC is the access-concentrator side of PPPoE discovery, sans I/O. It answers
// PADI with PADO (AC-Name, Service-Name, AC-Cookie = HMAC of the host MAC),
// PADR with PADS and a fresh session ID, and handles PADT.
type AC struct {
	cfg      ACConfig
	sessions map[uint16]*ACSession
	next     uint16
	out      []Frame
	events   []Event
}

// NewAC returns an AC with no sessions.
func NewAC(cfg ACConfig) *AC {
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 64
	}
	if cfg.CookieKey == nil {
		cfg.CookieKey = make([]byte, 32)
		_, _ = rand.Read(cfg.CookieKey)
	}
	return &AC{cfg: cfg, sessions: map[uint16]*ACSession{}, next: 1}
}

// cookie is HMAC-SHA256(key, host MAC) truncated to 16 bytes: a host must
// have received our PADO to send a PADR we accept (RFC 2516 appendix A,
// AC-Cookie "to aid in protecting against denial of service attacks").
func (a *AC) cookie(host MAC) []byte {
	m := hmac.New(sha256.New, a.cfg.CookieKey)
	m.Write(host[:])
	return m.Sum(nil)[:16]
}

// serviceOK returns the Service-Name to answer with, or false if the host
// asked for a service we do not offer.
func (a *AC) serviceOK(p *Packet) (string, bool) {
	want, _ := p.ServiceName()
	if len(a.cfg.ServiceNames) == 0 || want == "" {
		if want == "" && len(a.cfg.ServiceNames) > 0 {
			return a.cfg.ServiceNames[0], true
		}
		return want, true
	}
	for _, s := range a.cfg.ServiceNames {
		if s == want {
			return s, true
		}
	}
	return "", false
}

func (a *AC) maxPayload(p *Packet) (uint16, bool) {
	v, ok := p.MaxPayload()
	if !ok || a.cfg.MaxPayload <= MaxPayloadDefault || v <= MaxPayloadDefault {
		return MaxPayloadDefault, false
	}
	return min(v, a.cfg.MaxPayload), true
}

// reply builds a PADO/PADS echoing Host-Uniq and Relay-Session-Id.
func (a *AC) reply(code Code, sid uint16, req *Packet, service string) *Packet {
	p := &Packet{Code: code, SessionID: sid}
	p.Add(TagACName, []byte(a.cfg.Name))
	p.Add(TagServiceName, []byte(service))
	if hu, ok := req.Tag(TagHostUniq); ok {
		p.Add(TagHostUniq, hu)
	}
	if rs, ok := req.Tag(TagRelaySessionID); ok {
		p.Add(TagRelaySessionID, rs)
	}
	return p
}

func (a *AC) send(dst MAC, p *Packet) {
	if b, err := p.Marshal(); err == nil {
		a.out = append(a.out, Frame{Dst: dst, Payload: b})
	}
}

// Input handles one received 0x8863 payload from src.
func (a *AC) Input(now time.Time, src MAC, payload []byte) {
	p, err := ParseDiscovery(payload)
	if err != nil || src[0]&1 != 0 {
		return
	}
	switch p.Code {
	case CodePADI:
		a.handlePADI(src, p)
	case CodePADR:
		a.handlePADR(now, src, p)
	case CodePADT:
		a.handlePADT(src, p)
	}
}

// handlePADI: section 5.2. A PADI must carry exactly one Service-Name; an
// AC that cannot serve it must not answer.
func (a *AC) handlePADI(src MAC, p *Packet) {
	if p.SessionID != 0 || p.Count(TagServiceName) != 1 {
		return
	}
	service, ok := a.serviceOK(p)
	if !ok {
		return
	}
	o := a.reply(CodePADO, 0, p, service)
	for _, s := range a.cfg.ServiceNames {
		if s != service {
			o.Add(TagServiceName, []byte(s))
		}
	}
	o.Add(TagACCookie, a.cookie(src))
	if mp, ok := a.maxPayload(p); ok {
		o.Add(TagPPPMaxPayload, binary.BigEndian.AppendUint16(nil, mp))
	}
	a.send(src, o)
}

// handlePADR: section 5.4.
func (a *AC) handlePADR(now time.Time, src MAC, p *Packet) {
	if p.SessionID != 0 {
		return
	}
	service, ok := a.serviceOK(p)
	if !ok || p.Count(TagServiceName) != 1 {
		r := a.reply(CodePADS, 0, p, service)
		r.Add(TagServiceNameError, []byte("service not offered"))
		a.send(src, r)
		return
	}
	if c, _ := p.Tag(TagACCookie); !hmac.Equal(c, a.cookie(src)) {
		r := a.reply(CodePADS, 0, p, service)
		r.Add(TagGenericError, []byte("missing or wrong AC-Cookie"))
		a.send(src, r)
		return
	}
	hu, _ := p.Tag(TagHostUniq)
	// A retransmitted PADR (our PADS was lost) gets the same session again.
	for _, s := range a.sessions {
		if s.Peer == src && bytes.Equal(s.HostUniq, hu) {
			a.confirm(s, p)
			return
		}
	}
	if len(a.sessions) >= a.cfg.MaxSessions {
		r := a.reply(CodePADS, 0, p, service)
		r.Add(TagACSystemError, []byte("session limit reached"))
		a.send(src, r)
		return
	}
	id := a.allocate()
	mp, _ := a.maxPayload(p)
	s := &ACSession{ID: id, Peer: src, ServiceName: service, HostUniq: append([]byte{}, hu...), MaxPayload: mp, Started: now}
	a.sessions[id] = s
	a.confirm(s, p)
	a.events = append(a.events, Event{Kind: EventSession, Peer: src, SessionID: id, ACName: a.cfg.Name, ServiceName: service, MaxPayload: mp})
}

func (a *AC) confirm(s *ACSession, req *Packet) {
	r := a.reply(CodePADS, s.ID, req, s.ServiceName)
	if _, ok := a.maxPayload(req); ok {
		r.Add(TagPPPMaxPayload, binary.BigEndian.AppendUint16(nil, s.MaxPayload))
	}
	a.send(s.Peer, r)
}

// allocate returns an unused session ID; 0 and 0xffff are reserved
// (section 4).
func (a *AC) allocate() uint16 {
	for {
		id := a.next
		a.next++
		if a.next == 0xffff {
			a.next = 1
		}
		if _, used := a.sessions[id]; !used && id != 0 && id != 0xffff {
			return id
		}
	}
}

func (a *AC) handlePADT(src MAC, p *Packet) {
	s, ok := a.sessions[p.SessionID]
	if !ok || s.Peer != src {
		return
	}
	delete(a.sessions, p.SessionID)
	ev := Event{Kind: EventTerminated, Peer: src, SessionID: s.ID}
	if errs := p.Errors(); len(errs) > 0 {
		ev.Err = errs[0]
	}
	a.events = append(a.events, ev)
}

// Terminate ends a session from the AC side and queues its PADT.
func (a *AC) Terminate(id uint16, reason string) {
	s, ok := a.sessions[id]
	if !ok {
		return
	}
	delete(a.sessions, id)
	a.out = append(a.out, Frame{Dst: s.Peer, Payload: NewPADT(id, reason)})
}

// Session returns a live session by ID.
func (a *AC) Session(id uint16) (*ACSession, bool) {
	s, ok := a.sessions[id]
	return s, ok
}

// Sessions returns how many sessions are live.
func (a *AC) Sessions() int { return len(a.sessions) }

// Output returns and clears the frames to send.
func (a *AC) Output() []Frame {
	o := a.out
	a.out = nil
	return o
}

// Events returns and clears pending events (EventSession, EventTerminated).
func (a *AC) Events() []Event {
	e := a.events
	a.events = nil
	return e
}
