package ddns

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/ddns/providersim"
	"github.com/dualpath/dualpath/internal/dnsauth"
	"github.com/dualpath/dualpath/internal/testpeer/bind"
)

// oldState writes the state file a previous run left: A (and AAAA) were
// published an hour ago.
func oldState(t *testing.T, dir string, u *Updater, v4, v6 string) {
	t.Helper()
	for _, r := range u.recs {
		st := recordState{LastUpdate: time.Now().Add(-time.Hour)}
		if v4 != "" {
			st.IPv4 = ip(v4)
		}
		if v6 != "" {
			st.IPv6 = ip(v6)
		}
		if err := saveState(dir, r.id, st); err != nil {
			t.Fatal(err)
		}
		r.st = st
	}
}

// TestTruthRFC2136FreshServer: a fresh BIND (the zone restored from a
// backup without the record) and a state file saying the record is
// published: `ddns --once` asks the server, finds it missing and sends it;
// the next run finds it there and says where it checked.
func TestTruthRFC2136FreshServer(t *testing.T) {
	srv := bind.Start(t, bind.Options{Zone: "example.test."})
	cfg := loadConfig(t, fmt.Sprintf(`
ddns:
  - provider: rfc2136
    server: %s
    zone: example.test.
    name: www.example.test.
    tsig_key_file: %s
    ipv4: static:203.0.113.7
    ipv6: static:2001:db8:1::10
`, srv.Addr, srv.KeyFile))
	state := t.TempDir()
	h := newFakeHost()
	o := testOptions(h, &logBuf{}, state)
	o.Now = time.Now
	u, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	oldState(t, state, u, "203.0.113.7", "2001:db8:1::10")
	p := u.recs[0].prov.(*RFC2136)
	if got, _ := p.Lookup(context.Background(), dns.TypeA); len(got) != 0 {
		t.Fatalf("fresh server already has A %v", got)
	}
	if err := u.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := u.Status()[0].Check; c != "sent" {
		t.Errorf("check %q, want sent", c)
	}
	a, _ := p.Lookup(context.Background(), dns.TypeA)
	aaaa, _ := p.Lookup(context.Background(), dns.TypeAAAA)
	if len(a) != 1 || a[0] != ip("203.0.113.7") || len(aaaa) != 1 || aaaa[0] != ip("2001:db8:1::10") {
		t.Fatalf("server has A %v AAAA %v after --once", a, aaaa)
	}
	// Second run: unchanged, checked at the server.
	u2, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := u2.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := u2.Status()[0].Check; !strings.HasPrefix(c, "unchanged (checked at "+srv.Addr+" ") || !strings.HasSuffix(c, " s ago)") {
		t.Errorf("check %q, want unchanged (checked at %s ...)", c, srv.Addr)
	}
	// The server goes away: not verifiable, nothing sent, no error.
	srv2 := *p
	srv2.Server = "127.0.0.1:9"
	srv2.Timeout = 300 * time.Millisecond
	u2.recs[0].prov = &srv2
	u2.recs[0].truth = truth{}
	if err := u2.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := u2.Status()[0].Check; !strings.HasPrefix(c, "unchanged (not verifiable: the DNS did not answer") {
		t.Errorf("check %q, want unchanged (not verifiable: ...)", c)
	}
}

// mydnsIntoBIND is a fake MyDNS whose accepted notifications are written
// into a real authoritative BIND (as MyDNS publishes through its own DNS
// servers), for one account and name.
type mydnsIntoBIND struct {
	sim  *providersim.MyDNS
	id   string
	dns  *RFC2136
	errs chan error
}

func (m *mydnsIntoBIND) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.sim.ServeHTTP(w, r)
	rec := m.sim.Record(m.id)
	if err := m.dns.Update(r.Context(), Update{IPv4: rec.IPv4, IPv6: rec.IPv6}); err != nil {
		m.errs <- err
	}
}

// TestTruthMyDNSFreshAccount: MyDNS lost the record (account re-created)
// while the state file says it is published: the updater asks the name's
// authoritative server (found through the resolver: SOA, NS, the name
// server's address), finds the record missing and notifies MyDNS again.
func TestTruthMyDNSFreshAccount(t *testing.T) {
	srv := bind.Start(t, bind.Options{Zone: "example.test."})
	key, err := LoadTSIGKey(srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The zone's name server is this BIND, on loopback.
	ns1 := &RFC2136{Server: srv.Addr, Zone: srv.Zone, Name: "ns1." + srv.Zone, TTL: 60, Key: key}
	if err := ns1.Update(ctx, Update{IPv4: ip("127.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	fake := &mydnsIntoBIND{sim: providersim.NewMyDNS(map[string]string{"mydns1": secretPW}), id: "mydns1",
		dns: &RFC2136{Server: srv.Addr, Zone: srv.Zone, Name: "www." + srv.Zone, TTL: 60, Key: key}, errs: make(chan error, 10)}
	url := serve(t, fake)
	dir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`
ddns:
  - provider: mydns
    name: www.example.test
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: %s
    ipv4: static:203.0.113.7
`, writeSecret(t, dir, "pw", secretPW), url))
	state := t.TempDir()
	h := newFakeHost()
	o := testOptions(h, &logBuf{}, state)
	o.Now = time.Now
	_, port, _ := strings.Cut(srv.Addr, ":")
	var p16 uint16
	fmt.Sscan(port, &p16)
	o.Resolver, o.AuthPort = srv.Addr, p16
	u, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	oldState(t, state, u, "203.0.113.7", "")
	if err := u.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-fake.errs:
		t.Fatalf("fake MyDNS could not write into BIND: %v", err)
	default:
	}
	if n := len(fake.sim.Requests()); n != 1 {
		t.Fatalf("%d notifications to MyDNS, want 1", n)
	}
	if c := u.Status()[0].Check; c != "sent" {
		t.Errorf("check %q, want sent", c)
	}
	got, err := dnsauth.Query(ctx, netip.MustParseAddrPort(srv.Addr), "www.example.test", dns.TypeA)
	if err != nil || len(got) != 1 || got[0] != ip("203.0.113.7") {
		t.Fatalf("authoritative A %v (%v)", got, err)
	}
	// Next run: the authoritative server has it; nothing sent.
	u2, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := u2.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.sim.Requests()); n != 1 {
		t.Errorf("%d notifications after an unchanged run, want still 1", n)
	}
	if c := u2.Status()[0].Check; !strings.HasPrefix(c, "unchanged (checked at ns1.example.test ") {
		t.Errorf("check %q, want unchanged (checked at ns1.example.test ...)", c)
	}
	// Without a name there is nothing to ask.
	cfg.DDNS[0].Name = ""
	u3, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	oldState(t, state, u3, "203.0.113.7", "")
	if err := u3.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if c := u3.Status()[0].Check; !strings.HasPrefix(c, "unchanged (not verifiable: no DNS name") {
		t.Errorf("check %q, want not verifiable", c)
	}
}
