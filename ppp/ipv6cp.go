package ppp

import (
	"bytes"
	"time"
)

// IPv6CP configuration option types (RFC 5072 section 4).
const (
	ipv6cpIID         uint8 = 1
	ipv6cpCompression uint8 = 2
)

// ipv6cpProto holds IPv6CP's option state: the interface identifiers of
// RFC 5072 section 4.1.
type ipv6cpProto struct {
	c *Conn

	iid     [8]byte
	sendIID bool
	peer    [8]byte
}

func (p *ipv6cpProto) randomIID(avoid [8]byte) [8]byte {
	for {
		var b [8]byte
		p.c.randBytes(b[:])
		if (b != ([8]byte{}) && b != avoid && b != p.iid) || p.c.randErr != nil {
			return b
		}
	}
}

func (p *ipv6cpProto) resetCI(time.Time) {
	if p.iid == ([8]byte{}) {
		p.iid = p.randomIID(p.peer)
	}
	p.sendIID = true
}

func (p *ipv6cpProto) addCI() []byte {
	if !p.sendIID {
		return nil
	}
	return AppendOption(nil, Option{Type: ipv6cpIID, Data: p.iid[:]})
}

func (p *ipv6cpProto) ackCI([]byte) bool { return true }

func (p *ipv6cpProto) nakCI(b []byte) bool {
	opts, err := ParseOptions(b)
	if err != nil {
		return false
	}
	for _, o := range opts {
		if o.Type == ipv6cpIID && len(o.Data) == 8 && p.sendIID {
			// RFC 5072 section 4.1: use the suggested identifier
			// unless it is zero or the peer's own.
			v := [8]byte(o.Data)
			if v != ([8]byte{}) && v != p.peer {
				p.iid = v
			} else {
				p.iid = p.randomIID(p.peer)
			}
		}
	}
	return true
}

func (p *ipv6cpProto) rejCI(b []byte) bool {
	opts, err := ParseOptions(b)
	if err != nil {
		return false
	}
	for _, o := range opts {
		if o.Type != ipv6cpIID || !p.sendIID {
			return false
		}
		p.sendIID = false
	}
	return true
}

// reqCI judges the peer's IPv6CP Configure-Request (RFC 5072 section 4.1).
func (p *ipv6cpProto) reqCI(b []byte, rejectIfDisagree bool) (uint8, []byte) {
	opts, _ := ParseOptions(b)
	var nak, rej []byte
	var peer [8]byte
	for _, o := range opts {
		if o.Type != ipv6cpIID || len(o.Data) != 8 {
			rej = AppendOption(rej, o) // IPv6-Compression-Protocol and others
			continue
		}
		v := [8]byte(o.Data)
		if v == ([8]byte{}) || (p.sendIID && bytes.Equal(v[:], p.iid[:])) {
			// Zero, or a collision with ours: suggest another one.
			if rejectIfDisagree {
				rej = AppendOption(rej, o)
				continue
			}
			s := p.randomIID(v)
			nak = AppendOption(nak, Option{Type: ipv6cpIID, Data: s[:]})
			continue
		}
		peer = v
	}
	switch {
	case len(rej) > 0:
		return CodeConfigureReject, rej
	case len(nak) > 0:
		return CodeConfigureNak, nak
	}
	p.peer = peer
	return CodeConfigureAck, b
}

func (p *ipv6cpProto) up(time.Time) {
	c := p.c
	if p.sendIID {
		c.params.LocalIID = p.iid
	}
	c.params.PeerIID = p.peer
	c.params.IPv6Up = true
	c.emit(EventIPv6CPUp, "")
}

func (p *ipv6cpProto) down(time.Time) {
	p.c.params.IPv6Up = false
	p.c.emit(EventIPv6CPDown, "")
}

func (p *ipv6cpProto) starting(time.Time)             {}
func (p *ipv6cpProto) finished(time.Time)             {}
func (p *ipv6cpProto) extCode(time.Time, Packet) bool { return false }
func (p *ipv6cpProto) codeRejected(uint8)             {}
