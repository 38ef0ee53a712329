// Package providersim holds local stand-ins for DDNS services that tests and
// the lab cannot reach: MyDNS, Cloudflare API v4, DuckDNS and dyndns2. Each is
// an http.Handler written from the service's public documentation; it keeps
// the published records and every request it saw, so tests can assert what a
// real service would have recorded (MyDNS: the request's source address).
//
// Faults (a 429 with Retry-After, a 5xx) are injected with Fail.
package providersim

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Request is one request a fake saw.
type Request struct {
	Path   string
	Source netip.Addr // the client's address as the server saw it
	User   string     // Basic-auth user or token owner ("" when none)
	OK     bool       // whether the fake accepted it
	Time   time.Time
}

// Fault makes the next N requests fail with Status (and Retry-After seconds
// when RetryAfter > 0).
type Fault struct {
	Status     int
	RetryAfter int
	N          int
}

type base struct {
	mu    sync.Mutex
	reqs  []Request
	fault Fault
}

// Fail arms a fault for the next f.N requests.
func (b *base) Fail(f Fault) {
	b.mu.Lock()
	b.fault = f
	b.mu.Unlock()
}

// Requests returns a copy of the requests seen so far.
func (b *base) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.reqs...)
}

func (b *base) log(r *http.Request, user string, ok bool) {
	b.mu.Lock()
	b.reqs = append(b.reqs, Request{Path: r.URL.Path, Source: Source(r), User: user, OK: ok, Time: time.Now()})
	b.mu.Unlock()
}

// injected answers with the armed fault, if any; true when it did.
func (b *base) injected(w http.ResponseWriter, r *http.Request) bool {
	b.mu.Lock()
	f := b.fault
	if f.N > 0 {
		b.fault.N--
	}
	b.mu.Unlock()
	if f.N <= 0 {
		return false
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	http.Error(w, http.StatusText(f.Status), f.Status)
	b.log(r, "", false)
	return true
}

// Source is the remote address of r.
func Source(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}
