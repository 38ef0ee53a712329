package reach

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/portprobe"
	"github.com/dualpath/dualpath/internal/probeserve"
	"github.com/dualpath/dualpath/internal/termtext"
)

var now = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

func res(state portprobe.State, http int, tls *portprobe.TLSFacts) *portprobe.Result {
	return &portprobe.Result{Port: 80, State: state, HTTPStatus: http, TLS: tls}
}

func TestJudge(t *testing.T) {
	v6, v4 := netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("203.0.113.7")
	valid := &portprobe.TLSFacts{Verified: true, NotAfter: now.Add(60 * 24 * time.Hour)}
	for _, c := range []struct {
		name  string
		fam   Family
		tls   bool
		views []View
		want  Status
		cause string
	}{
		{"v6 filtered", IPv6, false, []View{{Via: "a", Result: res(portprobe.Filtered, 0, nil)}}, Fail,
			"IPv6 port 80 filtered before reaching the server: the router's IPv6 filter?"},
		{"v4 filtered", IPv4, false, []View{{Via: "a", Result: res(portprobe.Filtered, 0, nil)}}, Fail,
			"IPv4 port 80 filtered before reaching the server"},
		{"v6 closed", IPv6, false, []View{{Via: "a", Result: res(portprobe.Closed, 0, nil)}}, Fail,
			"nothing listens on [::]:80"},
		{"one view gets through", IPv6, false, []View{{Via: "a", Result: res(portprobe.Filtered, 0, nil)}, {Via: "b", Result: res(portprobe.Open, 200, nil)}}, OK,
			"reachable, HTTP 200"},
		{"backend down", IPv4, false, []View{{Via: "a", Result: res(portprobe.Open, 502, nil)}}, Fail, "answers HTTP 502"},
		{"not HTTP", IPv4, false, []View{{Via: "a", Result: res(portprobe.Open, 0, nil)}}, OK, "TCP open"},
		{"tls valid", IPv4, true, []View{{Via: "a", Result: res(portprobe.Open, 200, valid)}}, OK, "valid for 60 more days"},
		{"tls expiring", IPv4, true, []View{{Via: "a", Result: res(portprobe.Open, 200, &portprobe.TLSFacts{Verified: true, NotAfter: now.Add(5 * 24 * time.Hour)})}}, Warn,
			"expires in 5 days (2026-12-08)"},
		{"tls wrong name", IPv6, true, []View{{Via: "a", Result: res(portprobe.Open, 200, &portprobe.TLSFacts{Error: "x509: certificate is valid for other.example", NotAfter: now.Add(60 * 24 * time.Hour)})}}, Fail,
			"certificate not valid for visitors: x509"},
		{"tls on plain", IPv4, true, []View{{Via: "a", Result: res(portprobe.Open, 0, &portprobe.TLSFacts{Error: "handshake failed: first record does not look like a TLS handshake"})}}, Fail,
			"no TLS handshake"},
		{"prober down", IPv6, false, []View{{Via: "a", Error: "connect: network is unreachable"}}, Fail, "no prober answered over IPv6"},
		{"no prober", IPv6, false, nil, Skip, "no vantage point"},
		{"prober refused", IPv4, false, []View{{Via: "a", Error: "connect: timeout"}, {Via: "b", Error: "prober b refused: 429 Too Many Requests", NotChecked: true}}, Fail,
			"not checked over IPv4: prober b refused: 429"},
	} {
		p := PathResult{Family: c.fam, Port: 80, Address: v4, Views: c.views}
		if c.fam == IPv6 {
			p.Address = v6
		}
		judge(&p, c.tls, now)
		if p.Status != c.want || !strings.Contains(p.Cause.EN, c.cause) || p.Cause.JA == "" {
			t.Errorf("%s: %s %q, want %s containing %q", c.name, p.Status, p.Cause.EN, c.want, c.cause)
		}
	}
}

func TestJudgeDNS(t *testing.T) {
	a, b := netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("203.0.113.9")
	for _, c := range []struct {
		want  netip.Addr
		got   []netip.Addr
		st    Status
		cause string
	}{
		{a, []netip.Addr{a}, OK, ""},
		{a, []netip.Addr{b}, Fail, "A is 203.0.113.9, not 203.0.113.7 (the session address)"},
		{a, []netip.Addr{a, b}, Fail, "also has 203.0.113.9"},
		{a, nil, Fail, "no A record"},
		{netip.Addr{}, []netip.Addr{a}, Skip, "not checked"},
	} {
		d := DNSResult{Family: IPv4, Want: c.want, Got: c.got, Server: "192.0.2.53:53"}
		judgeDNS(&d, "www.example.jp")
		if d.Status != c.st || !strings.Contains(d.Cause.EN, c.cause) {
			t.Errorf("want %s got %v: %s %q, want %s %q", c.want, c.got, d.Status, d.Cause.EN, c.st, c.cause)
		}
	}
}

// authDNS serves name's A and AAAA authoritatively on 127.0.0.1.
func authDNS(t *testing.T, name string, a4, a6 netip.Addr) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		if strings.EqualFold(q.Name, dns.Fqdn(name)) {
			switch q.Qtype {
			case dns.TypeA:
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: a4.AsSlice()})
			case dns.TypeAAAA:
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 60}, AAAA: a6.AsSlice()})
			}
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

// site serves HTTP on 127.0.0.1:P and [::1]:P; it returns P and a func
// that stops the IPv6 listener.
func site(t *testing.T) (uint16, func()) {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	ln4, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln4.Addr().(*net.TCPAddr).Port
	ln6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", port))
	if err != nil {
		ln4.Close()
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	s4, s6 := &http.Server{Handler: h}, &http.Server{Handler: h}
	go s4.Serve(ln4)
	go s6.Serve(ln6)
	t.Cleanup(func() { s4.Close(); s6.Close() })
	return uint16(port), func() { s6.Close() }
}

// prober runs probe-serve on both loopback addresses.
func prober(t *testing.T) (string, string) {
	s, err := probeserve.NewServer(probeserve.Options{Token: "tok", Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = time.Second
	ts := httptest.NewServer(s) // 127.0.0.1
	t.Cleanup(ts.Close)
	ln6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ts6 := httptest.NewUnstartedServer(s)
	ts6.Listener.Close()
	ts6.Listener = ln6
	ts6.Start()
	t.Cleanup(ts6.Close)
	return ts.URL, ts6.URL
}

func TestRunOnLoopback(t *testing.T) {
	v4, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	port, stop6 := site(t)
	u4, u6 := prober(t)
	tgt := Target{
		Name: "www.example.jp", Ports: []uint16{port}, Want4: v4, Want6: v6,
		DNSServers: []netip.AddrPort{authDNS(t, "www.example.jp", v4, v6)},
		Probers:    []probeserve.Prober{{URL: u4, Token: "tok"}, {URL: u6, Token: "tok"}},
	}
	rep := Run(context.Background(), tgt, Env{})
	if !rep.OK() {
		var b bytes.Buffer
		rep.WriteText(&b, msg.English)
		t.Fatalf("not OK:\n%s", b.String())
	}
	if len(rep.Paths) != 2 || rep.Paths[0].Family != IPv4 || rep.Paths[1].Family != IPv6 {
		t.Fatalf("paths %+v", rep.Paths)
	}
	for _, p := range rep.Paths {
		// Each family asks only the prober whose URL is of that family.
		answered := 0
		for _, v := range p.Views {
			if v.Result != nil && v.Result.HTTPStatus == 200 {
				answered++
			}
		}
		if answered != 1 || len(p.Views) != 1 || !p.Reachable() {
			t.Errorf("%s: views %+v", p.Family, p.Views)
		}
	}

	// nginx stops answering on IPv6: the check names IPv6 and the port.
	stop6()
	rep = Run(context.Background(), tgt, Env{})
	if rep.OK() || rep.Paths[0].Status != OK || rep.Paths[1].Status != Fail {
		t.Fatalf("after stopping IPv6: %+v", rep.Paths)
	}
	want := fmt.Sprintf("IPv6 port %d refused by the server", port)
	if !strings.Contains(rep.Paths[1].Cause.EN, want) {
		t.Errorf("cause %q, want %q", rep.Paths[1].Cause.EN, want)
	}

	// JSON: the documented keys, the cause in English.
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(b.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "name", "time", "ok", "dns", "paths"} {
		if _, ok := j[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, b.String())
		}
	}
	if j["ok"] != false || !strings.Contains(b.String(), want) || !strings.Contains(b.String(), `"state": "closed"`) {
		t.Errorf("JSON:\n%s", b.String())
	}

	// Text: one line per DNS family and path, 80 columns, both languages.
	for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
		var b bytes.Buffer
		rep.WriteText(&b, lang)
		for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			if termtext.DisplayWidth(l) > msg.Width {
				t.Errorf("%v: %d columns: %q", lang, termtext.DisplayWidth(l), l)
			}
		}
		if lang == msg.Japanese && !strings.Contains(b.String(), "サーバーが拒否しました") {
			t.Errorf("Japanese report:\n%s", b.String())
		}
	}
}

func TestRunDNSMismatch(t *testing.T) {
	v4, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	stale := netip.MustParseAddr("203.0.113.99")
	tgt := Target{Name: "www.example.jp", Want4: v4, Want6: v6,
		DNSServers: []netip.AddrPort{authDNS(t, "www.example.jp", stale, v6)}}
	rep := Run(context.Background(), tgt, Env{})
	if rep.OK() || rep.DNS[0].Status != Fail || rep.DNS[1].Status != OK {
		t.Fatalf("dns %+v", rep.DNS)
	}
	if !strings.Contains(rep.DNS[0].Cause.EN, "A is 203.0.113.99, not 127.0.0.1") {
		t.Errorf("cause %q", rep.DNS[0].Cause.EN)
	}
}

// TestRunFailuresInJapanese: a prober that refuses the token and one that
// nothing answers for: the Japanese report says why from the errors'
// codes, with no English words from below, within 80 columns.
func TestRunFailuresInJapanese(t *testing.T) {
	v4, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	port, _ := site(t)
	u4, _ := prober(t)
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	gone := "http://" + ln.Addr().String()
	ln.Close()
	tgt := Target{
		Name: "www.example.jp", Ports: []uint16{port}, Want4: v4, Want6: v6,
		DNSServers: []netip.AddrPort{authDNS(t, "www.example.jp", v4, v6)},
		Probers:    []probeserve.Prober{{URL: u4, Token: "wrong-token"}, {URL: gone, Token: "tok"}},
	}
	rep := Run(context.Background(), tgt, Env{})
	if rep.OK() || rep.Paths[0].Views[0].ErrorCode != "http-401" || rep.Paths[1].Views[0].ErrorCode != msg.CodeRefused {
		t.Fatalf("views: %+v / %+v", rep.Paths[0].Views, rep.Paths[1].Views)
	}
	var b bytes.Buffer
	rep.WriteText(&b, msg.Japanese)
	msgtest.Japanese(t, b.String())
	flat := strings.Join(strings.Fields(b.String()), "")
	for _, want := range []string{"IPv4で確認できません:認証を拒否されました（HTTP401）", "IPv6でどのprobe-serveも応答しません(接続を拒否されました)"} {
		if !strings.Contains(flat, want) {
			t.Errorf("Japanese report lacks %q:\n%s", want, b.String())
		}
	}
	t.Logf("Japanese:\n%s", b.String())

	// The authoritative server does not answer (nothing on its port).
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	tgt.DNSServers = []netip.AddrPort{silent}
	rep = Run(context.Background(), tgt, Env{})
	b.Reset()
	rep.WriteText(&b, msg.Japanese)
	msgtest.Japanese(t, b.String())
	if !strings.Contains(strings.Join(strings.Fields(b.String()), ""), "権威サーバーが応答しません（") {
		t.Errorf("Japanese report:\n%s", b.String())
	}
	t.Logf("Japanese, silent DNS:\n%s", b.String())
}
