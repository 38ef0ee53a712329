package ppp

import (
	"fmt"
	"time"
)

// LCP configuration option types (RFC 1661 section 6, RFC 1570).
const (
	lcpMRU         uint8 = 1
	lcpACCM        uint8 = 2
	lcpAuth        uint8 = 3
	lcpQuality     uint8 = 4
	lcpMagic       uint8 = 5
	lcpPFC         uint8 = 7
	lcpACFC        uint8 = 8
	chapMD5Algo    uint8 = 5 // RFC 1994 section 3: CHAP with MD5
	chapMSv1       uint8 = 0x80
	chapMSv2       uint8 = 0x81
	defaultPeerMRU       = 1500 // RFC 1661 section 6.1
)

// lcpProto holds LCP's option state: what we ask for and what the peer
// asked for and we acknowledged.
type lcpProto struct {
	c *Conn

	// ours
	mru       uint16
	sendMRU   bool
	magic     uint32
	sendMagic bool
	authProto uint16 // server: Authentication-Protocol to request (0: none)
	authAlgo  uint8

	// the peer's, from the last Configure-Request we acknowledged
	peerMRU   uint16
	peerMagic uint32
	peerAuth  uint16 // client: the method we agreed to authenticate with
	looped    int    // consecutive Configure-Requests carrying our own magic
}

func (l *lcpProto) newMagic() uint32 {
	for {
		if m := l.c.randU32(); (m != 0 && m != l.magic) || l.c.randErr != nil {
			return m
		}
	}
}

func (l *lcpProto) magicOrZero() uint32 {
	if l.sendMagic {
		return l.magic
	}
	return 0
}

// mtu is the peer's MRU capped by the lower layer (RFC 2516 section 7,
// RFC 4638).
func (l *lcpProto) mtu() int {
	m := int(l.peerMRU)
	if m == 0 {
		m = defaultPeerMRU
	}
	if lim := int(l.c.cfg.MaxMRU); m > lim {
		m = lim
	}
	return m
}

func (l *lcpProto) resetCI(time.Time) {
	cfg := &l.c.cfg
	l.mru, l.sendMRU = cfg.MRU, true
	l.magic = l.newMagic()
	l.sendMagic = true
	l.authProto, l.authAlgo = 0, 0
	if cfg.Role == RoleServer {
		switch cfg.Auth {
		case AuthPAP:
			l.authProto = ProtoPAP
		case AuthCHAP, AuthAuto:
			l.authProto, l.authAlgo = ProtoCHAP, chapMD5Algo
		}
	}
}

func authOption(proto uint16, algo uint8) Option {
	d := put16(proto)
	if proto == ProtoCHAP {
		d = append(d, algo)
	}
	return Option{Type: lcpAuth, Data: d}
}

func (l *lcpProto) addCI() []byte {
	var b []byte
	if l.sendMRU {
		b = AppendOption(b, Option{Type: lcpMRU, Data: put16(l.mru)})
	}
	if l.authProto != 0 {
		b = AppendOption(b, authOption(l.authProto, l.authAlgo))
	}
	if l.sendMagic {
		b = AppendOption(b, Option{Type: lcpMagic, Data: put32(l.magic)})
	}
	return b
}

func (l *lcpProto) ackCI([]byte) bool { return true }

func (l *lcpProto) nakCI(b []byte) bool {
	opts, err := ParseOptions(b)
	if err != nil {
		return false
	}
	cfg := &l.c.cfg
	for _, o := range opts {
		switch o.Type {
		case lcpMRU:
			if len(o.Data) != 2 || !l.sendMRU {
				continue
			}
			// Take the peer's suggestion if the lower layer can carry it.
			if v := u16(o.Data); v >= MinMRU && v <= cfg.MaxMRU {
				l.mru = v
			}
		case lcpMagic:
			// RFC 1661 section 6.4: a Nak'd magic number means choose
			// another one.
			if l.sendMagic {
				l.magic = l.newMagic()
			}
		case lcpAuth:
			if l.authProto == 0 || len(o.Data) < 2 {
				continue
			}
			p := u16(o.Data)
			switch {
			case cfg.Auth == AuthAuto && p == ProtoPAP:
				l.authProto, l.authAlgo = ProtoPAP, 0
			case cfg.Auth == AuthAuto && p == ProtoCHAP && len(o.Data) == 3 && o.Data[2] == chapMD5Algo:
				l.authProto, l.authAlgo = ProtoCHAP, chapMD5Algo
			default:
				l.c.requestClose(fmt.Sprintf("peer will not authenticate with %s (it proposed %s)",
					authName(l.authProto, l.authAlgo), authOptName(o.Data)))
			}
		}
	}
	return true
}

func (l *lcpProto) rejCI(b []byte) bool {
	opts, err := ParseOptions(b)
	if err != nil {
		return false
	}
	for _, o := range opts {
		switch {
		case o.Type == lcpMRU && l.sendMRU:
			l.sendMRU = false
		case o.Type == lcpMagic && l.sendMagic:
			l.sendMagic = false
		case o.Type == lcpAuth && l.authProto != 0:
			l.c.requestClose(fmt.Sprintf("peer refused to authenticate with %s", authName(l.authProto, l.authAlgo)))
		default:
			return false // RFC 1661 section 5.4: must name options we sent
		}
	}
	return true
}

// reqCI judges the peer's LCP Configure-Request (RFC 1661 sections 5.1-5.4
// and 6; RFC 2516 section 7 for what PPPoE forbids).
func (l *lcpProto) reqCI(b []byte, rejectIfDisagree bool) (uint8, []byte) {
	opts, _ := ParseOptions(b) // validated by the automaton
	cfg := &l.c.cfg
	var nak, rej []byte
	peerMRU, peerMagic, peerAuth := uint16(0), uint32(0), uint16(0)
	loop := false
	for _, o := range opts {
		switch o.Type {
		case lcpMRU:
			if len(o.Data) != 2 {
				rej = AppendOption(rej, o)
				continue
			}
			v := u16(o.Data)
			if v < MinMRU {
				nak = AppendOption(nak, Option{Type: lcpMRU, Data: put16(MinMRU)})
				continue
			}
			peerMRU = v
		case lcpAuth:
			if cfg.Role == RoleServer || cfg.Auth == AuthNone || len(o.Data) < 2 {
				// A server does not authenticate itself to clients.
				rej = AppendOption(rej, o)
				continue
			}
			p := u16(o.Data)
			pap := p == ProtoPAP && len(o.Data) == 2
			md5 := p == ProtoCHAP && len(o.Data) == 3 && o.Data[2] == chapMD5Algo
			switch {
			case pap && (cfg.Auth == AuthAuto || cfg.Auth == AuthPAP):
				peerAuth = ProtoPAP
			case md5 && (cfg.Auth == AuthAuto || cfg.Auth == AuthCHAP):
				peerAuth = ProtoCHAP
			case cfg.Auth == AuthPAP:
				nak = AppendOption(nak, authOption(ProtoPAP, 0))
			default:
				// MS-CHAP, MS-CHAPv2, EAP, ...: Nak towards CHAP-MD5.
				nak = AppendOption(nak, authOption(ProtoCHAP, chapMD5Algo))
			}
		case lcpMagic:
			if len(o.Data) != 4 {
				rej = AppendOption(rej, o)
				continue
			}
			v := u32(o.Data)
			if v == 0 || (l.sendMagic && v == l.magic) {
				// RFC 1661 section 6.4: possibly looped back. Nak with
				// another value and pick a new one of our own.
				loop = v != 0
				nak = AppendOption(nak, Option{Type: lcpMagic, Data: put32(l.newMagic())})
				if loop {
					l.magic = l.newMagic()
				}
				continue
			}
			peerMagic = v
		default:
			// ACCM, ACFC and FCS-Alternatives are forbidden on PPPoE
			// (RFC 2516 section 7); PFC, quality protocols, callback and
			// the rest are not implemented.
			rej = AppendOption(rej, o)
		}
	}
	if loop {
		l.looped++
		if l.looped >= cfg.MaxFailure {
			l.c.requestClose("the line appears to be looped back (the peer keeps sending our magic number)")
		}
	} else {
		l.looped = 0
	}
	switch {
	case len(rej) > 0:
		return CodeConfigureReject, rej
	case len(nak) > 0 && rejectIfDisagree && !loop:
		// RFC 1661 section 4.6 Max-Failure: reject what we would Nak.
		// A looped-back magic number stays a Nak (as in pppd), so that
		// loop detection can conclude.
		var r []byte
		for _, o := range opts {
			if o.Type == lcpMRU || o.Type == lcpAuth || o.Type == lcpMagic {
				if !l.acceptable(o, peerMRU, peerAuth, peerMagic) {
					r = AppendOption(r, o)
				}
			}
		}
		return CodeConfigureReject, r
	case len(nak) > 0:
		return CodeConfigureNak, nak
	}
	l.peerMRU, l.peerMagic, l.peerAuth = peerMRU, peerMagic, peerAuth
	return CodeConfigureAck, b
}

// acceptable reports whether an option was accepted by reqCI's first pass.
func (l *lcpProto) acceptable(o Option, mru uint16, auth uint16, magic uint32) bool {
	switch o.Type {
	case lcpMRU:
		return len(o.Data) == 2 && u16(o.Data) == mru && mru != 0
	case lcpAuth:
		return auth != 0
	case lcpMagic:
		return len(o.Data) == 4 && u32(o.Data) == magic && magic != 0
	}
	return false
}

func (l *lcpProto) up(now time.Time)   { l.looped = 0; l.c.lcpUp(now) }
func (l *lcpProto) down(now time.Time) { l.c.lcpDown(now) }
func (l *lcpProto) starting(time.Time) {}
func (l *lcpProto) finished(now time.Time) {
	why := l.c.lcp.why
	if why == "" {
		why = "LCP finished"
	}
	l.c.linkDown(now, why)
}

// extCode handles LCP codes 8-11 (RFC 1661 sections 5.7-5.9): the RXR event.
// They are only acted on in the Opened state.
func (l *lcpProto) extCode(now time.Time, p Packet) bool {
	c := l.c
	switch p.Code {
	case CodeProtocolReject:
		if c.lcp.state == StateOpened && len(p.Data) >= 2 {
			c.protocolRejected(now, u16(p.Data))
		}
	case CodeEchoRequest:
		if c.lcp.state != StateOpened || len(p.Data) < 4 {
			return true
		}
		// RFC 1661 section 5.8: reply with our magic number and the
		// request's data, no longer than the peer's MRU.
		data := append(put32(l.magicOrZero()), p.Data[4:]...)
		if lim := c.peerMRU() - headerLen; len(data) > lim {
			data = data[:lim]
		}
		c.send(ProtoLCP, Packet{Code: CodeEchoReply, ID: p.ID, Data: data})
	case CodeEchoReply, CodeDiscardRequest:
		// Liveness was recorded on input; nothing else to do.
	default:
		return false
	}
	return true
}

func (l *lcpProto) codeRejected(code uint8) {
	if code == CodeEchoRequest {
		// The peer does not do echoes: keep counting received frames
		// only, without sending requests (keepalive.go).
		l.c.ka.off = true
	}
}

// protocolRejected handles a Protocol-Reject for proto (RFC 1661 section
// 5.7): the RXJ- event of that protocol.
func (c *Conn) protocolRejected(now time.Time, proto uint16) {
	switch proto {
	case ProtoLCP:
		c.lcp.rxjMinus(now, "peer rejected LCP")
	case ProtoIPCP:
		c.ipcp.rxjMinus(now, "peer rejected IPCP")
	case ProtoIPv6CP:
		c.ipv6cp.rxjMinus(now, "peer rejected IPv6CP")
	case ProtoPAP, ProtoCHAP:
		if c.phase == phaseAuthenticate {
			c.requestClose(fmt.Sprintf("peer rejected %s", authName(proto, chapMD5Algo)))
		}
	}
}

func authName(proto uint16, algo uint8) string {
	switch {
	case proto == ProtoPAP:
		return "PAP"
	case proto == ProtoCHAP && algo == chapMD5Algo:
		return "CHAP-MD5"
	case proto == ProtoCHAP && algo == chapMSv1:
		return "MS-CHAP"
	case proto == ProtoCHAP && algo == chapMSv2:
		return "MS-CHAPv2"
	case proto == ProtoCHAP:
		return fmt.Sprintf("CHAP algorithm %d", algo)
	case proto == ProtoEAP:
		return "EAP"
	}
	return fmt.Sprintf("protocol 0x%04x", proto)
}

func authOptName(d []byte) string {
	if len(d) < 2 {
		return "nothing"
	}
	var algo uint8
	if len(d) > 2 {
		algo = d[2]
	}
	return authName(u16(d), algo)
}

func methodName(m AuthMethod) string {
	switch m {
	case AuthPAP:
		return "PAP"
	case AuthCHAP:
		return "CHAP-MD5"
	}
	return m.String()
}
