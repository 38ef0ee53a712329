// Package probeserve is `dualpath probe-serve`: a small HTTP service that a
// friend or a VPS runs so that a dualpath server can see itself from
// outside, and the client `dualpath check` uses to ask it.
//
// The service probes only the address the request came from: the target is
// never part of the request, so it cannot be used to scan anyone else. A
// request names at most MaxPorts ports; each source (an IPv4 address, an
// IPv6 /64) has a rate limit; every request carries a bearer token.
//
// The protocol (version 1), all JSON:
//
//	POST /v1/probe
//	Authorization: Bearer TOKEN
//	{"host": "www.example.jp",              // Host header and TLS SNI
//	 "ports": [{"port": 80, "http": true},
//	           {"port": 443, "http": true, "tls": true}]}
//
//	200 {"version": 1, "target": "203.0.113.7",
//	     "results": [{"port": 80, "state": "open", "http_status": 200},
//	                 {"port": 443, "state": "open", "http_status": 200,
//	                  "tls": {"version": "TLS 1.3", "verified": true,
//	                          "not_after": "2027-01-01T00:00:00Z", ...}}]}
//	4xx {"error": "..."}   (400 bad request, 401 token, 405, 413, 429 rate)
//
// "state" is open, closed (a TCP reset: the packet arrived, nothing
// listens) or filtered (no answer or an ICMP error: dropped on the way).
package probeserve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/dualpath/dualpath/internal/portprobe"
)

// Limits of the protocol; the server and the client share them.
const (
	Version        = 1
	Path           = "/v1/probe"
	MaxPorts       = 8        // ports one request may ask about
	MaxRequestSize = 4 << 10  // bytes of a request body
	MaxAnswerSize  = 64 << 10 // bytes of an answer body
	maxHostLen     = 253      // RFC 1035 section 2.3.4, without the final dot
)

// PortRequest is one port to probe and what to do once connected.
type PortRequest struct {
	Port uint16 `json:"port"`
	HTTP bool   `json:"http,omitempty"`
	TLS  bool   `json:"tls,omitempty"`
}

// Request asks for probes of the sender's own address.
type Request struct {
	Host  string        `json:"host,omitempty"`
	Ports []PortRequest `json:"ports"`
}

// Answer is the service's reply.
type Answer struct {
	Version int                `json:"version"`
	Target  netip.Addr         `json:"target"`
	Results []portprobe.Result `json:"results"`
}

// errorBody is a refusal's body.
type errorBody struct {
	Error string `json:"error"`
}

// Errors DecodeRequest returns (wrapped with the detail).
var (
	ErrBadRequest = errors.New("bad probe request")
)

// DecodeRequest reads a request body strictly: unknown keys (a "target"
// among them), no ports, more than MaxPorts, port 0, a port twice, or a
// host that is not a DNS name are refused.
func DecodeRequest(body []byte) (Request, error) {
	var r Request
	if len(body) > MaxRequestSize {
		return r, fmt.Errorf("%w: larger than %d bytes", ErrBadRequest, MaxRequestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Request{}, fmt.Errorf("%w: data after the JSON object", ErrBadRequest)
	}
	return r, r.Validate()
}

// Validate checks a request against the protocol's limits.
func (r Request) Validate() error {
	if len(r.Ports) == 0 {
		return fmt.Errorf("%w: no ports", ErrBadRequest)
	}
	if len(r.Ports) > MaxPorts {
		return fmt.Errorf("%w: %d ports, at most %d", ErrBadRequest, len(r.Ports), MaxPorts)
	}
	seen := map[uint16]bool{}
	for _, p := range r.Ports {
		if p.Port == 0 {
			return fmt.Errorf("%w: port 0", ErrBadRequest)
		}
		if seen[p.Port] {
			return fmt.Errorf("%w: port %d twice", ErrBadRequest, p.Port)
		}
		seen[p.Port] = true
	}
	if !ValidHost(r.Host) {
		return fmt.Errorf("%w: host %q is not a DNS name", ErrBadRequest, r.Host)
	}
	return nil
}

// ValidHost reports whether h is empty or a DNS name of letters, digits,
// hyphens and dots (RFC 1123 section 2.1), labels of 1-63 characters.
func ValidHost(h string) bool {
	if h == "" {
		return true
	}
	if len(h) > maxHostLen {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// DecodeAnswer reads a service's answer (outside bytes, for the client):
// the version must match and every result must be for a port asked.
func DecodeAnswer(body []byte, asked Request) (Answer, error) {
	var a Answer
	if len(body) > MaxAnswerSize {
		return a, fmt.Errorf("answer larger than %d bytes", MaxAnswerSize)
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return Answer{}, fmt.Errorf("answer is not probe-serve JSON: %v", err)
	}
	if a.Version != Version {
		return Answer{}, fmt.Errorf("answer has protocol version %d, want %d", a.Version, Version)
	}
	want := map[uint16]bool{}
	for _, p := range asked.Ports {
		want[p.Port] = true
	}
	for _, r := range a.Results {
		if !want[r.Port] {
			return Answer{}, fmt.Errorf("answer has a result for port %d, which was not asked", r.Port)
		}
		switch r.State {
		case portprobe.Open, portprobe.Closed, portprobe.Filtered:
		default:
			return Answer{}, fmt.Errorf("answer has state %q for port %d", r.State, r.Port)
		}
	}
	return a, nil
}
