// Package session runs one PPPoE session end to end — discovery (package
// pppoe), PPP (package ppp), the data plane (internal/dataplane) and the
// host's addresses and policy routing (internal/hostnet) — in the client
// role that `dualpath pppoe` and the daemon use, and the access-concentrator
// role that the lab's ISP and the interop tests use.
package session

import (
	"encoding/json"
	"net/netip"
	"time"

	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// Kind is what an Event reports: the "event" field of
// `dualpath pppoe --events json`.
type Kind string

// Event kinds.
const (
	KindCleanup   Kind = "cleanup"   // leftovers of an earlier run were removed (Reason)
	KindDiscovery Kind = "discovery" // State: "padi", "offer", "error", "failed"
	KindSession   Kind = "session"   // PADS: SessionID, ACName, ACMAC, MaxPayload
	KindAuth      Kind = "auth"      // State "ok"/"failed", Method
	KindUp        Kind = "up"        // IPv4 (IPCP) up: Address, Peer, DNS, MTU
	KindIPv6Up    Kind = "ipv6-up"   // IPv6CP up: link-local Address and Peer from the interface identifiers
	KindDown      Kind = "down"      // Reason, Cause, Code, RetryIn
)

// Cause says, for code to branch on, why an attempt ended (KindDown,
// KindAuth "failed", KindDiscovery "failed"); Reason says it for people.
type Cause int

// Causes.
const (
	CauseNone      Cause = iota
	CauseAuth            // wrong user name or password (the wait is AuthBackoff)
	CauseDiscovery       // no access concentrator answered, or it refused the session
	CausePADT            // the access concentrator ended the session
	CauseSilent          // the peer stopped answering (LCP echo)
	CauseLinkDown        // PPP went down for another reason
	CauseHost            // configuring the host or the data plane failed
	CauseDataPlane       // the TUN or the socket is gone (no retry)
	CauseShutdown        // we are stopping
)

var causeNames = [...]string{"", "auth", "discovery", "padt", "silent", "link-down", "host", "data-plane", "shutdown"}

// String is the cause's JSON name ("auth", "padt", ...; "" for none).
func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "unknown"
}

// Event is one state change of a session, with typed values; MarshalJSON
// gives the one-object-per-line form of `dualpath pppoe --events json`.
// It never carries the password.
type Event struct {
	Kind       Kind
	Time       time.Time
	Interface  string
	State      string
	ACName     string
	ACMAC      pppoe.MAC // zero when the event has no peer
	SessionID  uint16
	MaxPayload uint16
	Method     ppp.AuthMethod // KindAuth only
	Address    netip.Addr
	Peer       netip.Addr
	DNS        []netip.Addr
	MTU        int
	Reason     string
	Cause      Cause
	// Code is why, as a code whose text msg.CodeText gives in the
	// reader's language (codes.go); set with Cause.
	Code string
	// Err is, for CauseHost, the error from below that Reason quotes, for
	// the reader's language.
	Err     error
	RetryIn time.Duration // KindDown: the wait before the next attempt (0: none)
}

// EventJSON is Event where it leaves the process: one line of
// `dualpath pppoe --events json` (docs/json.md names every field).
type EventJSON struct {
	Kind       Kind      `json:"event"`
	Time       time.Time `json:"time"`
	Interface  string    `json:"interface,omitempty"`
	State      string    `json:"state,omitempty"`
	ACName     string    `json:"ac_name,omitempty"`
	ACMAC      string    `json:"ac_mac,omitempty"`
	SessionID  uint16    `json:"session_id,omitempty"`
	MaxPayload uint16    `json:"max_payload,omitempty"`
	Method     string    `json:"method,omitempty"`
	Address    string    `json:"address,omitempty"`
	Peer       string    `json:"peer,omitempty"`
	DNS        []string  `json:"dns,omitempty"`
	MTU        int       `json:"mtu,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Cause      string    `json:"cause,omitempty"`
	Code       string    `json:"code,omitempty"`
	RetryIn    string    `json:"retry_in,omitempty"`
}

// MarshalJSON writes the event as `dualpath pppoe --events json` prints it.
func (e Event) MarshalJSON() ([]byte, error) {
	j := EventJSON{Kind: e.Kind, Time: e.Time, Interface: e.Interface, State: e.State, ACName: e.ACName,
		SessionID: e.SessionID, MaxPayload: e.MaxPayload, MTU: e.MTU, Reason: e.Reason, Cause: e.Cause.String(), Code: e.Code}
	if e.ACMAC != (pppoe.MAC{}) {
		j.ACMAC = e.ACMAC.String()
	}
	if e.Kind == KindAuth {
		j.Method = e.Method.String()
	}
	if e.Address.IsValid() {
		j.Address = e.Address.String()
	}
	if e.Peer.IsValid() {
		j.Peer = e.Peer.String()
	}
	for _, a := range e.DNS {
		j.DNS = append(j.DNS, a.String())
	}
	if e.RetryIn != 0 {
		j.RetryIn = e.RetryIn.String()
	}
	return json.Marshal(j)
}
