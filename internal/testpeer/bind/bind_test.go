package bind

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestStartAnswersSOA proves the harness brings up a named that serves the
// zone and that it accepts a TSIG-signed update with the generated key.
func TestStartAnswersSOA(t *testing.T) {
	s := Start(t, Options{})
	m := new(dns.Msg)
	m.SetUpdate(s.Zone)
	rr, err := dns.NewRR("probe." + s.Zone + " 60 IN TXT \"hello\"")
	if err != nil {
		t.Fatal(err)
	}
	m.Insert([]dns.RR{rr})
	m.SetTsig(s.KeyName, dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{s.KeyName: s.Secret}}
	r, _, err := c.Exchange(m, s.Addr)
	if err != nil {
		t.Fatalf("update: %v\n%s", err, s.Log())
	}
	if r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update rcode %s\n%s", dns.RcodeToString[r.Rcode], s.Log())
	}
	q := new(dns.Msg)
	q.SetQuestion("probe."+s.Zone, dns.TypeTXT)
	a, _, err := (&dns.Client{}).Exchange(q, s.Addr)
	if err != nil || len(a.Answer) != 1 {
		t.Fatalf("query: %v %v", err, a)
	}
}

// TestStartInNamespace runs named inside a test namespace on port 53 and
// queries it with dig from the same namespace.
func TestStartInNamespace(t *testing.T) {
	netnstest.RequireCommand(t, "dig")
	ns := netnstest.New(t, "bind")
	s := Start(t, Options{NS: ns, Listen: "127.0.0.1", Zone: "home.test."})
	if s.Addr != "127.0.0.1:53" {
		t.Fatalf("addr %s", s.Addr)
	}
	out := ns.MustRun("dig", "+short", "@127.0.0.1", "ns1.home.test.", "A")
	if strings.TrimSpace(out) != "192.0.2.53" {
		t.Fatalf("dig answered %q", out)
	}
}
