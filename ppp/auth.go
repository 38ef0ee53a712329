package ppp

import (
	"crypto/md5"
	"crypto/subtle"
	"fmt"
	"time"
)

// PAP codes (RFC 1334 section 2.2) and CHAP codes (RFC 1994 section 4).
const (
	papRequest uint8 = 1
	papAck     uint8 = 2
	papNak     uint8 = 3

	chapChallenge uint8 = 1
	chapResponse  uint8 = 2
	chapSuccess   uint8 = 3
	chapFailure   uint8 = 4
)

// authState runs the Authenticate phase (RFC 1661 section 3.5) for either
// role and either method.
type authState struct {
	method   AuthMethod // AuthPAP, AuthCHAP or AuthNone (not running)
	server   bool
	done     bool
	id       uint8
	tries    int
	deadline time.Time // retransmission or give-up time; zero = none
	giveUp   time.Time // overall limit of the phase
	// server CHAP
	challenge []byte
	user      string
}

// authLimit is how long the Authenticate phase may last.
func authLimit(cfg *Config) time.Duration {
	return cfg.RestartTimer * time.Duration(cfg.MaxConfigure)
}

// start begins authentication after LCP opened, with the method LCP
// negotiated.
func (a *authState) start(c *Conn, now time.Time) {
	*a = authState{id: c.randByte()}
	var proto uint16
	if c.cfg.Role == RoleServer {
		a.server = true
		proto = c.lcpP.authProto
	} else {
		proto = c.lcpP.peerAuth
	}
	switch proto {
	case ProtoPAP:
		a.method = AuthPAP
	case ProtoCHAP:
		a.method = AuthCHAP
	default:
		a.method = AuthNone
		a.done = true
		c.authDone(now, AuthNone, "")
		return
	}
	a.giveUp = now.Add(authLimit(&c.cfg))
	a.deadline = a.giveUp
	switch {
	case !a.server && a.method == AuthPAP:
		a.sendPAPRequest(c, now)
	case a.server && a.method == AuthCHAP:
		a.challenge = make([]byte, 16)
		c.randBytes(a.challenge)
		a.sendChallenge(c, now)
	}
	// A CHAP client waits for the Challenge; a PAP server waits for the
	// Authenticate-Request. Both give up at giveUp.
}

func (a *authState) stop() {
	a.method = AuthNone
	a.deadline = time.Time{}
}

// sendPAPRequest sends an Authenticate-Request (RFC 1334 section 2.2.1);
// each one gets a new Identifier.
func (a *authState) sendPAPRequest(c *Conn, now time.Time) {
	a.id++
	a.tries++
	user, pw := []byte(c.cfg.Username), c.cfg.Password
	if len(user) > 255 {
		user = user[:255]
	}
	if len(pw) > 255 {
		pw = pw[:255]
	}
	d := make([]byte, 0, 2+len(user)+len(pw))
	d = append(d, byte(len(user)))
	d = append(d, user...)
	d = append(d, byte(len(pw)))
	d = append(d, pw...)
	c.send(ProtoPAP, Packet{Code: papRequest, ID: a.id, Data: d})
	a.deadline = now.Add(c.cfg.RestartTimer)
}

// sendChallenge sends (or resends) the server's CHAP Challenge (RFC 1994
// section 4.1).
func (a *authState) sendChallenge(c *Conn, now time.Time) {
	a.tries++
	d := append([]byte{byte(len(a.challenge))}, a.challenge...)
	d = append(d, c.cfg.Name...)
	c.send(ProtoCHAP, Packet{Code: chapChallenge, ID: a.id, Data: d})
	a.deadline = now.Add(c.cfg.RestartTimer)
}

// timeout retransmits or gives up.
func (a *authState) timeout(c *Conn, now time.Time) {
	a.deadline = time.Time{}
	if a.method == AuthNone || a.done {
		return
	}
	if now.Before(a.giveUp) && a.tries < c.cfg.MaxConfigure {
		switch {
		case !a.server && a.method == AuthPAP:
			a.sendPAPRequest(c, now)
			return
		case a.server && a.method == AuthCHAP:
			a.sendChallenge(c, now)
			return
		}
		a.deadline = a.giveUp
		return
	}
	var why string
	switch {
	case a.server && a.method == AuthPAP:
		why = "peer sent no PAP Authenticate-Request"
	case a.server:
		why = "peer did not answer the CHAP Challenge"
	case a.method == AuthPAP:
		why = "peer did not answer the PAP Authenticate-Request"
	default:
		why = "peer sent no CHAP Challenge"
	}
	a.method = AuthNone
	c.lcp.close(now, "authentication timed out: "+why)
}

// input handles a PAP or CHAP packet.
func (a *authState) input(c *Conn, now time.Time, proto uint16, b []byte) {
	p, err := ParsePacket(b)
	if err != nil {
		return
	}
	switch {
	case proto == ProtoPAP && a.method == AuthPAP && a.server:
		a.papServer(c, now, p)
	case proto == ProtoPAP && a.method == AuthPAP:
		a.papClient(c, now, p)
	case proto == ProtoCHAP && a.method == AuthCHAP && a.server:
		a.chapServer(c, now, p)
	case proto == ProtoCHAP && a.method == AuthCHAP:
		a.chapClient(c, now, p)
	}
}

// papClient handles Authenticate-Ack/-Nak (RFC 1334 section 2.2.2).
func (a *authState) papClient(c *Conn, now time.Time, p Packet) {
	if a.done || p.ID != a.id || (p.Code != papAck && p.Code != papNak) {
		return
	}
	msg := papMessage(p.Data)
	a.deadline = time.Time{}
	if p.Code == papAck {
		a.done = true
		c.authDone(now, AuthPAP, c.cfg.Username)
		return
	}
	a.method = AuthNone
	c.authFailed(now, AuthPAP, authFailReason("PAP", c.cfg.Username, msg))
}

// papServer verifies an Authenticate-Request (RFC 1334 section 2.2.1).
func (a *authState) papServer(c *Conn, now time.Time, p Packet) {
	if p.Code != papRequest {
		return
	}
	user, pw, ok := parsePAPRequest(p.Data)
	if !ok {
		return
	}
	if a.done {
		// A retransmission: our Ack was lost (RFC 1334 section 2.2.1).
		if user == a.user {
			c.send(ProtoPAP, Packet{Code: papAck, ID: p.ID, Data: papMsg("Login ok")})
		}
		return
	}
	secret, found := c.cfg.Secrets(user)
	if found && subtle.ConstantTimeCompare(secret, pw) == 1 {
		c.send(ProtoPAP, Packet{Code: papAck, ID: p.ID, Data: papMsg("Login ok")})
		a.done, a.user, a.deadline = true, user, time.Time{}
		c.authDone(now, AuthPAP, user)
		return
	}
	c.send(ProtoPAP, Packet{Code: papNak, ID: p.ID, Data: papMsg("Login incorrect")})
	a.method = AuthNone
	a.deadline = time.Time{}
	c.params.Username = user
	c.authFailed(now, AuthPAP, authFailReason("PAP", user, ""))
}

// chapClient answers Challenges and handles Success/Failure (RFC 1994
// section 4). Challenges after success (re-authentication) are answered too.
func (a *authState) chapClient(c *Conn, now time.Time, p Packet) {
	switch p.Code {
	case chapChallenge:
		val, _, ok := parseCHAPValue(p.Data)
		if !ok {
			return
		}
		a.id = p.ID
		resp := chapMD5(p.ID, c.cfg.Password, val)
		d := append([]byte{byte(len(resp))}, resp...)
		d = append(d, c.cfg.Username...)
		c.send(ProtoCHAP, Packet{Code: chapResponse, ID: p.ID, Data: d})
	case chapSuccess:
		if p.ID != a.id || a.done {
			return
		}
		a.done, a.deadline = true, time.Time{}
		c.authDone(now, AuthCHAP, c.cfg.Username)
	case chapFailure:
		if p.ID != a.id {
			return
		}
		a.method, a.deadline = AuthNone, time.Time{}
		c.authFailed(now, AuthCHAP, authFailReason("CHAP-MD5", c.cfg.Username, printable(p.Data)))
	}
}

// chapServer verifies a Response (RFC 1994 section 4.2).
func (a *authState) chapServer(c *Conn, now time.Time, p Packet) {
	if p.Code != chapResponse || p.ID != a.id {
		return
	}
	val, name, ok := parseCHAPValue(p.Data)
	if !ok {
		return
	}
	user := string(name)
	if a.done {
		if user == a.user { // our Success was lost
			c.send(ProtoCHAP, Packet{Code: chapSuccess, ID: p.ID, Data: []byte("Welcome")})
		}
		return
	}
	secret, found := c.cfg.Secrets(user)
	if found && subtle.ConstantTimeCompare(chapMD5(p.ID, secret, a.challenge), val) == 1 {
		c.send(ProtoCHAP, Packet{Code: chapSuccess, ID: p.ID, Data: []byte("Welcome")})
		a.done, a.user, a.deadline = true, user, time.Time{}
		c.authDone(now, AuthCHAP, user)
		return
	}
	c.send(ProtoCHAP, Packet{Code: chapFailure, ID: p.ID, Data: []byte("Authentication failed")})
	a.method, a.deadline = AuthNone, time.Time{}
	c.params.Username = user
	c.authFailed(now, AuthCHAP, authFailReason("CHAP-MD5", user, ""))
}

// chapMD5 is the RFC 1994 section 2 response: MD5(Identifier || secret ||
// Challenge).
func chapMD5(id uint8, secret, challenge []byte) []byte {
	h := md5.New()
	h.Write([]byte{id})
	h.Write(secret)
	h.Write(challenge)
	return h.Sum(nil)
}

// parseCHAPValue splits Value-Size, Value and Name (RFC 1994 section 4.1).
func parseCHAPValue(d []byte) (val, name []byte, ok bool) {
	if len(d) < 1 {
		return nil, nil, false
	}
	n := int(d[0])
	if n == 0 || 1+n > len(d) {
		return nil, nil, false
	}
	return d[1 : 1+n], d[1+n:], true
}

// parsePAPRequest splits Peer-ID and Password (RFC 1334 section 2.2.1).
func parsePAPRequest(d []byte) (user string, pw []byte, ok bool) {
	if len(d) < 1 {
		return "", nil, false
	}
	n := int(d[0])
	if 1+n+1 > len(d) {
		return "", nil, false
	}
	user = string(d[1 : 1+n])
	d = d[1+n:]
	m := int(d[0])
	if 1+m > len(d) {
		return "", nil, false
	}
	return user, d[1 : 1+m], true
}

// papMessage extracts the Message of an Ack/Nak (RFC 1334 section 2.2.2).
func papMessage(d []byte) string {
	if len(d) < 1 || 1+int(d[0]) > len(d) {
		return ""
	}
	return printable(d[1 : 1+int(d[0])])
}

func papMsg(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func authFailReason(method, user, peerMsg string) string {
	r := fmt.Sprintf("%s authentication failed for user %q: check user name and password", method, user)
	if peerMsg != "" {
		r += fmt.Sprintf(" (peer said %q)", peerMsg)
	}
	return r
}
