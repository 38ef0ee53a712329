// Package ppp is a sans-I/O implementation of the PPP control plane
// (RFC 1661) as carried by PPPoE (RFC 2516), for both roles: the client
// (the dialling host) and the server (an access concentrator).
//
// One Conn is one PPP link: LCP (RFC 1661), authentication with PAP
// (RFC 1334) or CHAP-MD5 (RFC 1994), IPCP (RFC 1332 with the DNS options of
// RFC 1877) and optionally IPv6CP (RFC 5072). The option negotiation of LCP,
// IPCP and IPv6CP runs on a single implementation of the RFC 1661 section 4
// automaton (see fsm.go), with per-protocol callbacks in the shape of pppd's
// fsm.c.
//
// The package does no I/O and starts no goroutines. The caller feeds frames
// and the current time in (Open, Input, Tick, Close) and drains frames to
// send (Output), events (Events) and the next timer deadline (NextDeadline).
// Frames are PPP frames as PPPoE carries them: a 2-byte protocol field
// followed by the information field, without HDLC address/control bytes and
// without FCS.
//
// A Conn is not safe for concurrent use, with two exceptions meant for a data
// plane running on other goroutines: Up and NoteReceived.
//
// # Driving a Conn from a PPPoE session
//
//   - One Conn per PPPoE session. Call Open right after PADS (client) or
//     after sending PADS (access concentrator). The peer's pppd often
//     starts later and misses the first Configure-Request; the restart
//     timer resends it, so keep calling Tick.
//   - After every Open, Input, Tick, Close or LowerDown, send everything
//     Output returns (each frame is a PPPoE session payload) and handle
//     Events. Sleep until NextDeadline (zero: no timer) or the next frame.
//   - Data frames: when Up reports true, handle ProtoIPv4 frames on the
//     fast path; handle ProtoIPv6 only when Negotiated().IPv6Up. Pass
//     every other frame (and data frames you do not handle) to Input: it
//     answers CCP, unknown protocols and a disabled IPv6CP with an LCP
//     Protocol-Reject. Call NoteReceived for frames that bypass Input, so
//     that traffic counts as liveness for the echo keepalive.
//   - EventIPCPUp carries the addresses, DNS and MTU (peer's MRU capped by
//     MaxMRU) in Event.Params. EventAuthFailed means wrong credentials
//     (back off, do not retry at once). EventDown means the link is over:
//     send PADT and reconnect with a new Conn.
//   - On PADT from the peer call LowerDown; to hang up call Close and keep
//     pumping until EventDown (at most MaxTerminate restart periods), then
//     send PADT.
package ppp

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

// PPP protocol numbers (RFC 1661 section 2, IANA "PPP DLL Protocol Numbers").
const (
	ProtoIPv4   uint16 = 0x0021 // Internet Protocol version 4 (RFC 1332)
	ProtoIPv6   uint16 = 0x0057 // Internet Protocol version 6 (RFC 5072)
	ProtoLCP    uint16 = 0xc021 // Link Control Protocol (RFC 1661)
	ProtoPAP    uint16 = 0xc023 // Password Authentication Protocol (RFC 1334)
	ProtoCHAP   uint16 = 0xc223 // Challenge Handshake Authentication Protocol (RFC 1994)
	ProtoIPCP   uint16 = 0x8021 // IP Control Protocol (RFC 1332)
	ProtoIPv6CP uint16 = 0x8057 // IPv6 Control Protocol (RFC 5072)
	ProtoCCP    uint16 = 0x80fd // Compression Control Protocol (RFC 1962); never run here
	ProtoEAP    uint16 = 0xc227 // Extensible Authentication Protocol (RFC 3748); never run here
)

// Role says which end of the link a Conn is.
type Role int

const (
	// RoleClient is the dialling end: it authenticates itself and is
	// assigned an address.
	RoleClient Role = iota
	// RoleServer is the access concentrator: it requires authentication
	// and assigns addresses.
	RoleServer
)

// String returns "client" or "server".
func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RoleServer:
		return "server"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// AuthMethod names an authentication protocol.
type AuthMethod int

const (
	// AuthAuto: a client accepts whichever of PAP and CHAP-MD5 the peer
	// asks for; a server asks for CHAP-MD5 and accepts PAP if the client
	// Naks towards it.
	AuthAuto AuthMethod = iota
	// AuthPAP is the Password Authentication Protocol (RFC 1334).
	AuthPAP
	// AuthCHAP is CHAP with MD5 (RFC 1994, algorithm 5).
	AuthCHAP
	// AuthNone means no authentication (server: do not require any;
	// client: refuse to authenticate).
	AuthNone
)

// String returns "auto", "pap", "chap" or "none".
func (a AuthMethod) String() string {
	switch a {
	case AuthAuto:
		return "auto"
	case AuthPAP:
		return "pap"
	case AuthCHAP:
		return "chap"
	case AuthNone:
		return "none"
	}
	return fmt.Sprintf("AuthMethod(%d)", int(a))
}

// ParseAuthMethod parses "auto", "pap", "chap" or "none" (case-insensitive).
func ParseAuthMethod(s string) (AuthMethod, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return AuthAuto, nil
	case "pap":
		return AuthPAP, nil
	case "chap", "chap-md5":
		return AuthCHAP, nil
	case "none":
		return AuthNone, nil
	}
	return 0, fmt.Errorf("unknown authentication method %q: use auto, pap or chap", s)
}

// Default timer and counter values (RFC 1661 section 4.6).
const (
	DefaultRestartTimer = 3 * time.Second
	DefaultMaxConfigure = 10
	DefaultMaxTerminate = 2
	DefaultMaxFailure   = 5
	// DefaultMRU is the largest MRU PPPoE allows without RFC 4638
	// (RFC 2516 section 7: 1500 - 6 bytes PPPoE header - 2 bytes protocol).
	DefaultMRU = 1492
	// MinMRU is the smallest MRU accepted from a peer (the pppd minimum).
	MinMRU = 128
)

// Config configures a Conn. Zero values give the defaults documented per
// field.
type Config struct {
	// Role selects client or server (access concentrator) behaviour.
	Role Role
	// MRU is our Maximum-Receive-Unit; 0 means 1492. It is capped at
	// MaxMRU (RFC 4638: only ask for more than 1492 when the PPPoE layer
	// negotiated PPP-Max-Payload).
	MRU uint16
	// MaxMRU is the largest MRU the lower layer allows (RFC 4638
	// PPP-Max-Payload); 0 means 1492. It also caps the MTU we use towards
	// the peer.
	MaxMRU uint16
	// Username is the client's name for PAP and CHAP.
	Username string
	// Password is the client's secret. It is never logged and never
	// appears in events or errors.
	Password []byte
	// Auth is, for a client, which methods it accepts (AuthAuto: PAP or
	// CHAP-MD5, whichever the peer asks for; AuthNone: refuse to
	// authenticate) and, for a server, which method to require (AuthNone:
	// none; AuthAuto: CHAP-MD5, falling back to PAP if the client Naks).
	Auth AuthMethod
	// Secrets looks up the secret of a user (server: PAP and CHAP
	// verification). A user is rejected when ok is false.
	Secrets func(user string) (secret []byte, ok bool)
	// LocalIPv4 is the server's own address. A client leaves it zero and
	// asks for 0.0.0.0 (RFC 1332 section 3.3).
	LocalIPv4 netip.Addr
	// AssignIPv4 gives the server the address for the peer; it is called
	// once per link, when IPCP first needs it.
	AssignIPv4 func() (netip.Addr, bool)
	// DNS lists the name servers a server hands out (RFC 1877): the first
	// two are used.
	DNS []netip.Addr
	// IPv6CP enables IPv6CP (RFC 5072). When false, IPv6CP packets from the
	// peer get a Protocol-Reject.
	IPv6CP bool
	// EchoInterval is the LCP Echo-Request keepalive interval; 0 disables
	// the keepalive. When nothing at all (not only Echo-Replies: data
	// frames count) arrived for EchoInterval, the link is probed.
	EchoInterval time.Duration
	// EchoFailures is the number of probes, Echo-Requests sent
	// EchoProbeInterval apart, left unanswered before the link is declared
	// down; 0 means DefaultEchoFailures.
	EchoFailures int
	// EchoProbeInterval is the time between probes; 0 means
	// DefaultEchoProbeInterval.
	EchoProbeInterval time.Duration
	// RestartTimer is the RFC 1661 restart timer; 0 means 3 s.
	RestartTimer time.Duration
	// MaxConfigure, MaxTerminate and MaxFailure are the RFC 1661 section
	// 4.6 counters; 0 means 10, 2 and 5.
	MaxConfigure, MaxTerminate, MaxFailure int
	// Rand provides magic numbers, CHAP challenges and identifiers;
	// nil means crypto/rand.
	Rand io.Reader
	// Name is the server's CHAP name (RFC 1994 section 4.1); "" means
	// "dualpath".
	Name string
}

// Params are the values negotiated on a link.
type Params struct {
	// LocalIPv4 and PeerIPv4 are the IPCP addresses of this end and the peer.
	LocalIPv4, PeerIPv4 netip.Addr
	// DNS are the name servers learnt (client) or handed out (server).
	DNS []netip.Addr
	// LocalIID and PeerIID are the IPv6CP interface identifiers.
	LocalIID, PeerIID [8]byte
	// MTU is the largest packet we may send: the peer's MRU, capped by
	// the lower layer (MaxMRU).
	MTU int
	// IPv6Up reports whether IPv6CP is opened.
	IPv6Up bool
	// AuthMethod is the authentication method used (AuthNone if none).
	AuthMethod AuthMethod
	// Username is, on a server, the user who logged in; on a client, the
	// configured user name once authenticated.
	Username string
}

// EventKind says what happened on a link.
type EventKind int

const (
	// EventLCPUp: LCP reached the Opened state.
	EventLCPUp EventKind = iota + 1
	// EventAuthOK: authentication succeeded (both roles).
	EventAuthOK
	// EventAuthFailed: authentication failed; Method is the method and
	// Reason says what to check. The link is then terminated (EventDown follows).
	EventAuthFailed
	// EventIPCPUp: IPCP opened; the link carries IPv4. Params holds the
	// addresses, DNS and MTU.
	EventIPCPUp
	// EventIPCPDown: IPCP left the Opened state (the link may come back
	// up after renegotiation, or EventDown follows).
	EventIPCPDown
	// EventIPv6CPUp: IPv6CP opened; Params holds the interface identifiers.
	EventIPv6CPUp
	// EventIPv6CPDown: IPv6CP left the Opened state.
	EventIPv6CPDown
	// EventEchoTimeout: the peer was silent for EchoInterval and then
	// through EchoFailures probes; Reason says for how long. EventDown follows at once.
	EventEchoTimeout
	// EventDown: the link is finished (LCP This-Layer-Finished or lower
	// layer lost); Reason says why. The caller should end the PPPoE
	// session (PADT) and may reconnect with a new Conn.
	EventDown
)

var eventNames = map[EventKind]string{
	EventLCPUp:       "lcp-up",
	EventAuthOK:      "auth-ok",
	EventAuthFailed:  "auth-failed",
	EventIPCPUp:      "ipcp-up",
	EventIPCPDown:    "ipcp-down",
	EventIPv6CPUp:    "ipv6cp-up",
	EventIPv6CPDown:  "ipv6cp-down",
	EventEchoTimeout: "echo-timeout",
	EventDown:        "down",
}

// String returns a short lower-case name such as "ipcp-up".
func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something that happened on a link, drained with Conn.Events.
type Event struct {
	Kind   EventKind
	Reason string // human-readable cause (EventAuthFailed, EventDown, ...)
	Params Params // the negotiated values at the time of the event
	// Method is the authentication method of EventAuthOK and
	// EventAuthFailed (AuthPAP or AuthCHAP); AuthAuto otherwise.
	Method AuthMethod
}

// String formats the event for logs.
func (e Event) String() string {
	if e.Reason == "" {
		return e.Kind.String()
	}
	return e.Kind.String() + ": " + e.Reason
}
