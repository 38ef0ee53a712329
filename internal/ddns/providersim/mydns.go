package providersim

import (
	"fmt"
	"net/http"
	"net/netip"
	"sync"
)

// MyDNS behaves as mydns.jp documents its IP notification: GET /login.html
// with HTTP Basic (MasterID, password) records the request's source address
// for that MasterID (IPv4 or IPv6 by the source's family); GET
// /directip.html?MID=&PWD=&IPV4ADDR=&IPV6ADDR= records the given addresses.
// A wrong password still gets 200, with a page that lacks
// "login_status = 1": clients must read the body.
type MyDNS struct {
	base
	mu       sync.Mutex
	accounts map[string]string // MasterID -> password
	records  map[string]*MyDNSRecord
}

// MyDNSRecord is what MyDNS holds for one MasterID.
type MyDNSRecord struct {
	IPv4, IPv6 netip.Addr
	Notifies   int
}

// NewMyDNS returns a fake MyDNS with the given MasterID -> password accounts.
func NewMyDNS(accounts map[string]string) *MyDNS {
	return &MyDNS{accounts: accounts, records: map[string]*MyDNSRecord{}}
}

// Record returns the current record of a MasterID.
func (m *MyDNS) Record(masterID string) MyDNSRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.records[masterID]; r != nil {
		return *r
	}
	return MyDNSRecord{}
}

func (m *MyDNS) check(id, pw string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	want, ok := m.accounts[id]
	return ok && want == pw
}

func (m *MyDNS) set(id string, v4, v6 netip.Addr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.records[id]
	if r == nil {
		r = &MyDNSRecord{}
		m.records[id] = r
	}
	if v4.IsValid() {
		r.IPv4 = v4
	}
	if v6.IsValid() {
		r.IPv6 = v6
	}
	r.Notifies++
}

// ServeHTTP implements http.Handler.
func (m *MyDNS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.injected(w, r) {
		return
	}
	src := Source(r)
	var id, pw string
	var v4, v6 netip.Addr
	switch r.URL.Path {
	case "/login.html":
		var ok bool
		id, pw, ok = r.BasicAuth()
		if !ok {
			// The real service asks the browser for credentials.
			w.Header().Set("WWW-Authenticate", `Basic realm="MyDNS.JP"`)
			http.Error(w, "Authorization Required", http.StatusUnauthorized)
			m.log(r, "", false)
			return
		}
		if src.Is4() {
			v4 = src
		} else {
			v6 = src
		}
	case "/directip.html":
		q := r.URL.Query()
		id, pw = q.Get("MID"), q.Get("PWD")
		v4, _ = netip.ParseAddr(q.Get("IPV4ADDR"))
		v6, _ = netip.ParseAddr(q.Get("IPV6ADDR"))
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	if !m.check(id, pw) {
		m.log(r, id, false)
		fmt.Fprint(w, "<html><body>\nLogin failed.<br>\nlogin_status = 0.<br>\n</body></html>\n")
		return
	}
	m.set(id, v4, v6)
	m.log(r, id, true)
	shown := src
	if v4.IsValid() && r.URL.Path == "/directip.html" {
		shown = v4
	}
	fmt.Fprintf(w, "<html><body>\nLogin and IP address notify OK.<br>\nlogin_status = 1.<br>\n<br>\n"+
		"<DT>MASTERID :</DT><DD>%s</DD>\n<DT>REMOTE ADDRESS:</DT><DD>%s</DD>\n</body></html>\n", id, shown)
}
