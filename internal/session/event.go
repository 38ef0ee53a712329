// Package session runs one PPPoE session end to end — discovery (package
// pppoe), PPP (package ppp), the data plane (internal/dataplane) and the
// host's addresses and policy routing (internal/hostnet) — in the client
// role that `dualpath pppoe` and the daemon use, and the access-concentrator
// role that the lab's ISP and the interop tests use.
package session

import (
	"time"
)

// Event kinds, the "event" field of `dualpath pppoe --events json`.
const (
	KindCleanup   = "cleanup"   // leftovers of an earlier run were removed (Reason)
	KindDiscovery = "discovery" // State: "padi", "offer", "error", "failed"
	KindSession   = "session"   // PADS: SessionID, ACName, ACMAC, MaxPayload
	KindAuth      = "auth"      // State "ok"/"failed", Method
	KindUp        = "up"        // IPv4 (IPCP) up: Address, Peer, DNS, MTU
	KindIPv6Up    = "ipv6-up"   // IPv6CP up: link-local Address and Peer from the interface identifiers
	KindDown      = "down"      // Reason, RetryIn
)

// Event is one state change of a session, meant to be printed as one JSON
// object per line. It never carries the password.
type Event struct {
	Kind       string    `json:"event"`
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
	RetryIn    string    `json:"retry_in,omitempty"`
}
