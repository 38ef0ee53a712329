package providersim

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
)

// DynDNS2 behaves as the dyndns2 protocol documents (dyn.com "Perform
// Update", No-IP "Integrate with No-IP DDNS"): GET /nic/update?hostname=&myip=
// with HTTP Basic and a User-Agent, answering one of good IP, nochg IP,
// badauth, nohost, notfqdn, badagent, abuse, 911.
type DynDNS2 struct {
	base
	mu    sync.Mutex
	user  string
	pass  string
	hosts map[string][]netip.Addr
	// Abuse, when set, makes every authenticated request answer "abuse".
	Abuse bool
}

// NewDynDNS2 returns a fake with one account owning the given hostnames.
func NewDynDNS2(user, pass string, hosts ...string) *DynDNS2 {
	d := &DynDNS2{user: user, pass: pass, hosts: map[string][]netip.Addr{}}
	for _, h := range hosts {
		d.hosts[h] = nil
	}
	return d
}

// Record returns the addresses of a hostname.
func (d *DynDNS2) Record(host string) []netip.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]netip.Addr(nil), d.hosts[host]...)
}

// ServeHTTP implements http.Handler.
func (d *DynDNS2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.injected(w, r) {
		return
	}
	if r.URL.Path != "/nic/update" {
		http.NotFound(w, r)
		return
	}
	answer := func(ok bool, user, s string) { d.log(r, user, ok); fmt.Fprint(w, s) }
	if r.UserAgent() == "" {
		answer(false, "", "badagent")
		return
	}
	u, p, ok := r.BasicAuth()
	if !ok || u != d.user || p != d.pass {
		answer(false, u, "badauth")
		return
	}
	if d.Abuse {
		answer(false, u, "abuse")
		return
	}
	q := r.URL.Query()
	host := q.Get("hostname")
	if !strings.Contains(host, ".") {
		answer(false, u, "notfqdn")
		return
	}
	var addrs []netip.Addr
	if s := q.Get("myip"); s != "" {
		for _, p := range strings.Split(s, ",") {
			a, err := netip.ParseAddr(p)
			if err != nil {
				answer(false, u, "911")
				return
			}
			addrs = append(addrs, a)
		}
	} else {
		addrs = []netip.Addr{Source(r)}
	}
	d.mu.Lock()
	cur, known := d.hosts[host]
	if !known {
		d.mu.Unlock()
		answer(false, u, "nohost")
		return
	}
	same := len(cur) == len(addrs)
	for i := range addrs {
		if same && cur[i] != addrs[i] {
			same = false
		}
	}
	d.hosts[host] = addrs
	d.mu.Unlock()
	var list []string
	for _, a := range addrs {
		list = append(list, a.String())
	}
	code := "good"
	if same {
		code = "nochg"
	}
	answer(true, u, code+" "+strings.Join(list, ","))
}
