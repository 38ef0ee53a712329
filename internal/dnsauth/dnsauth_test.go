package dnsauth

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/testpeer/bind"
)

// update adds rrs to the zone of a real BIND (RFC 2136, TSIG-signed).
func update(t *testing.T, srv *bind.Server, rrs ...string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(srv.Zone)
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		m.Insert([]dns.RR{rr})
	}
	m.SetTsig(srv.KeyName, dns.HmacSHA256, 300, 0)
	c := &dns.Client{TsigSecret: map[string]string{srv.KeyName: srv.Secret}}
	resp, _, err := c.Exchange(m, srv.Addr)
	if err != nil || resp.Rcode != dns.RcodeSuccess {
		t.Fatalf("update %v: %v %v", rrs, err, resp)
	}
}

// TestFindAndLookupBIND: the zone and its name server are found through a
// real BIND acting as the resolver (SOA in the authority section, NS, the
// name server's A record), then asked directly: addresses of both
// families, a CNAME followed, a missing name empty, the answering server
// named.
func TestFindAndLookupBIND(t *testing.T) {
	srv := bind.Start(t, bind.Options{Zone: "example.test."})
	ctx := context.Background()
	update(t, srv,
		"ns1.example.test. 60 IN A 127.0.0.1",
		"www.example.test. 60 IN A 203.0.113.7",
		"www.example.test. 60 IN A 192.0.2.1",
		"www.example.test. 60 IN AAAA 2001:db8::10",
		"alias.example.test. 60 IN CNAME www.example.test.",
	)
	// ns1 has 192.0.2.53 (the zone file) and 127.0.0.1: Find lists both.
	_, port, _ := strings.Cut(srv.Addr, ":")
	p, _ := strconv.Atoi(port)
	servers, err := Find(ctx, srv.Addr, uint16(p), "www.example.test")
	if err != nil {
		t.Fatal(err)
	}
	local := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p))
	if !slices.Contains(servers, Server{Host: "ns1.example.test", Addr: local}) {
		t.Fatalf("servers %v, want ns1.example.test at %s among them", servers, local)
	}
	// Only the loopback one answers; the other address is skipped.
	ans, err := Lookup(ctx, []Server{{Host: "ns1.example.test", Addr: local}}, "www.example.test", true, true)
	if err != nil {
		t.Fatal(err)
	}
	want4 := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("203.0.113.7")}
	if !slices.Equal(ans.IPv4, want4) || len(ans.IPv6) != 1 || ans.IPv6[0] != netip.MustParseAddr("2001:db8::10") {
		t.Errorf("answer %+v, want A %v AAAA 2001:db8::10", ans, want4)
	}
	if ans.Server.String() != "ns1.example.test" {
		t.Errorf("answered by %q, want ns1.example.test", ans.Server)
	}
	got, err := Query(ctx, local, "alias.example.test", dns.TypeA)
	if err != nil || !slices.Equal(got, want4) {
		t.Errorf("CNAME: %v %v, want %v", got, err, want4)
	}
	got, err = Query(ctx, local, "nothing.example.test", dns.TypeA)
	if err != nil || len(got) != 0 {
		t.Errorf("missing name: %v %v, want none and no error", got, err)
	}
	// A name outside the zone: BIND is not authoritative for it.
	if _, err := Query(ctx, local, "www.example.org", dns.TypeA); err == nil {
		t.Error("a name outside the zone was answered as authoritative")
	}
	// No server answers: every error is said, with the server's name.
	dead := []Server{{Host: "ns9.example.test", Addr: netip.MustParseAddrPort("127.0.0.1:9")}}
	ctx2, cancel := context.WithTimeout(ctx, 500e6)
	defer cancel()
	if _, err := Lookup(ctx2, dead, "www.example.test", true, false); err == nil || !strings.Contains(err.Error(), "ns9.example.test (127.0.0.1)") {
		t.Errorf("dead server: %v", err)
	}
	if _, err := Lookup(ctx, nil, "www.example.test", true, false); err == nil {
		t.Error("no servers and no error")
	}
}

func rr(s string) dns.RR {
	r, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return r
}

func TestAnswer(t *testing.T) {
	reply := func(rcode int, aa bool, rrs ...dns.RR) *dns.Msg {
		m := new(dns.Msg)
		m.Rcode, m.Authoritative, m.Answer = rcode, aa, rrs
		return m
	}
	a := netip.MustParseAddr
	for _, c := range []struct {
		name  string
		resp  *dns.Msg
		qtype uint16
		want  []netip.Addr
		err   string
	}{
		{"A, sorted, other names and types ignored", reply(0, true,
			rr("www.example.jp. 60 IN A 203.0.113.9"), rr("WWW.example.jp. 60 IN A 192.0.2.1"),
			rr("other.example.jp. 60 IN A 198.51.100.1"), rr("www.example.jp. 60 IN AAAA 2001:db8::1")),
			dns.TypeA, []netip.Addr{a("192.0.2.1"), a("203.0.113.9")}, ""},
		{"AAAA", reply(0, true, rr("www.example.jp. 60 IN A 203.0.113.9"), rr("www.example.jp. 60 IN AAAA 2001:db8::1")),
			dns.TypeAAAA, []netip.Addr{a("2001:db8::1")}, ""},
		{"CNAME chain", reply(0, true, rr("www.example.jp. 60 IN CNAME a.example.jp."),
			rr("a.example.jp. 60 IN CNAME B.example.jp."), rr("b.example.jp. 60 IN A 192.0.2.7")),
			dns.TypeA, []netip.Addr{a("192.0.2.7")}, ""},
		{"CNAME loop ends", reply(0, true, rr("www.example.jp. 60 IN CNAME a.example.jp."),
			rr("a.example.jp. 60 IN CNAME www.example.jp.")), dns.TypeA, nil, ""},
		{"NXDOMAIN is empty", reply(dns.RcodeNameError, true), dns.TypeA, nil, ""},
		{"SERVFAIL", reply(dns.RcodeServerFailure, true), dns.TypeA, nil, "answered SERVFAIL"},
		{"no AA bit", reply(0, false, rr("www.example.jp. 60 IN A 192.0.2.1")), dns.TypeA, nil, "not authoritative"},
	} {
		got, err := answer(c.resp, "192.0.2.53:53", "www.example.jp", c.qtype)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
}

// FuzzAnswer: any bytes a server sends, once unpacked, give addresses of
// the family asked for, sorted, or an error; never a panic.
func FuzzAnswer(f *testing.F) {
	for _, m := range []*dns.Msg{
		func() *dns.Msg {
			m := new(dns.Msg)
			m.SetQuestion("www.example.jp.", dns.TypeA)
			m.Authoritative = true
			m.Answer = []dns.RR{rr("www.example.jp. 60 IN CNAME a.example.jp."), rr("a.example.jp. 60 IN A 192.0.2.7")}
			return m
		}(),
	} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, v4 bool) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil {
			return
		}
		qt := dns.TypeAAAA
		if v4 {
			qt = dns.TypeA
		}
		got, err := answer(m, "192.0.2.53:53", "www.example.jp", qt)
		if err != nil {
			return
		}
		if !slices.IsSortedFunc(got, netip.Addr.Compare) {
			t.Errorf("not sorted: %v", got)
		}
		for _, a := range got {
			if a.Is4() != v4 {
				t.Errorf("%v in an answer for type %d", a, qt)
			}
		}
	})
}
