package providersim

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
)

// DuckDNS behaves as https://www.duckdns.org/spec.jsp documents:
// GET /update?domains=a,b&token=T[&ip=][&ipv6=][&verbose=true][&clear=true]
// answers "OK" or "KO" (verbose: OK, the IPv4, the IPv6, UPDATED|NOCHANGE).
// A missing ip= is taken from the request's source address when it is
// IPv4 and no ipv6= is given; IPv6 is never detected.
type DuckDNS struct {
	base
	mu      sync.Mutex
	token   string
	domains map[string]*DuckRecord
}

// DuckRecord is one DuckDNS subdomain.
type DuckRecord struct{ IPv4, IPv6 netip.Addr }

// NewDuckDNS returns a fake with one token owning the given subdomains.
func NewDuckDNS(token string, domains ...string) *DuckDNS {
	d := &DuckDNS{token: token, domains: map[string]*DuckRecord{}}
	for _, n := range domains {
		d.domains[n] = &DuckRecord{}
	}
	return d
}

// Record returns a subdomain's addresses.
func (d *DuckDNS) Record(domain string) DuckRecord {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.domains[domain]; r != nil {
		return *r
	}
	return DuckRecord{}
}

// ServeHTTP implements http.Handler.
func (d *DuckDNS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.injected(w, r) {
		return
	}
	if r.URL.Path != "/update" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	ko := func() { d.log(r, "", false); fmt.Fprint(w, "KO") }
	if q.Get("token") != d.token {
		ko()
		return
	}
	names := strings.Split(q.Get("domains"), ",")
	var v4, v6 netip.Addr
	ip, ipv6 := q.Get("ip"), q.Get("ipv6")
	switch {
	case ip != "":
		// "you can supply a valid IPv4 or IPv6 address" in ip.
		a, err := netip.ParseAddr(ip)
		if err != nil {
			ko()
			return
		}
		if a.Unmap().Is4() {
			v4 = a.Unmap()
		} else {
			v6 = a
		}
	case ipv6 == "":
		// "if left blank we detect IPv4 addresses": only IPv4, and
		// only when neither ip nor ipv6 is given.
		if src := Source(r); src.Is4() {
			v4 = src
		}
	}
	if ipv6 != "" {
		a, err := netip.ParseAddr(ipv6)
		if err != nil || !a.Is6() || a.Is4In6() {
			ko()
			return
		}
		v6 = a
	}
	d.mu.Lock()
	changed := false
	for _, n := range names {
		rec := d.domains[strings.TrimSuffix(n, ".duckdns.org")]
		if rec == nil {
			d.mu.Unlock()
			ko()
			return
		}
		if v4.IsValid() && rec.IPv4 != v4 {
			rec.IPv4, changed = v4, true
		}
		if v6.IsValid() && rec.IPv6 != v6 {
			rec.IPv6, changed = v6, true
		}
	}
	d.mu.Unlock()
	d.log(r, "token", true)
	if q.Get("verbose") == "true" {
		state := "NOCHANGE"
		if changed {
			state = "UPDATED"
		}
		fmt.Fprintf(w, "OK\n%s\n%s\n%s", blank(v4), blank(v6), state)
		return
	}
	fmt.Fprint(w, "OK")
}

// blank prints an address, or nothing for the zero address (the spec's
// "can be blank").
func blank(a netip.Addr) string {
	if a.IsValid() {
		return a.String()
	}
	return ""
}
