package ddns

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/ddns/providersim"
)

const (
	secretPW    = "S3cret-pw-Zq81"
	secretToken = "tok-9f8e7d6c5b4a-SECRET"
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// wantKind asserts err is a provider error of kind k without secrets.
func wantKind(t *testing.T, err error, k ErrorKind) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", k)
	}
	if got := KindOf(err); got != k {
		t.Fatalf("kind %v (%v), want %v", got, err, k)
	}
	for _, s := range []string{secretPW, secretToken} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error leaks a secret: %v", err)
		}
	}
	e, _ := err.(*Error)
	return e
}

func serve(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestMyDNSLoginRecordsSourceAddress(t *testing.T) {
	sim := providersim.NewMyDNS(map[string]string{"mydns123456": secretPW})
	url := serve(t, sim)
	m := &MyDNS{MasterID: "mydns123456", Password: secretPW, IPv4URL: url + "/login.html", IPv6URL: "http://[::1]:1/login.html"}
	ctx := context.Background()

	// Sent from 127.0.0.2: MyDNS records the source, the client confirms it.
	if err := m.Update(ctx, Update{IPv4: ip("127.0.0.2"), IPv4Local: ip("127.0.0.2")}); err != nil {
		t.Fatal(err)
	}
	if got := sim.Record("mydns123456").IPv4; got != ip("127.0.0.2") {
		t.Fatalf("MyDNS recorded %v, want 127.0.0.2", got)
	}
	// Left by another path: MyDNS saw 127.0.0.3; the client must notice.
	err := m.Update(ctx, Update{IPv4: ip("127.0.0.2"), IPv4Local: ip("127.0.0.3")})
	wantKind(t, err, KindVerify)

	// Wrong password: HTTP 200 but no "login_status = 1".
	bad := *m
	bad.Password = "wrong-" + secretPW
	err = bad.Update(ctx, Update{IPv4: ip("127.0.0.2"), IPv4Local: ip("127.0.0.2")})
	wantKind(t, err, KindAuth)
	if strings.Contains(err.Error(), bad.Password) {
		t.Fatal("leak")
	}

	// 429 with Retry-After, then 503.
	sim.Fail(providersim.Fault{Status: 429, RetryAfter: 120, N: 1})
	e := wantKind(t, m.Update(ctx, Update{IPv4: ip("127.0.0.2"), IPv4Local: ip("127.0.0.2")}), KindRateLimited)
	if e.RetryAfter != 120*time.Second {
		t.Fatalf("RetryAfter %v, want 2m", e.RetryAfter)
	}
	sim.Fail(providersim.Fault{Status: 503, N: 1})
	wantKind(t, m.Update(ctx, Update{IPv4: ip("127.0.0.2")}), KindTemporary)
}

func TestMyDNSIPv6AndDirectIP(t *testing.T) {
	sim := providersim.NewMyDNS(map[string]string{"mydns1": secretPW})
	srv := httptest.NewUnstartedServer(sim)
	l, err := (&net6Listen{}).listen()
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	m := &MyDNS{MasterID: "mydns1", Password: secretPW, IPv6URL: srv.URL + "/login.html"}
	if err := m.Update(context.Background(), Update{IPv6: ip("::1")}); err != nil {
		t.Fatal(err)
	}
	if got := sim.Record("mydns1").IPv6; got != ip("::1") {
		t.Fatalf("IPv6 record %v", got)
	}
	d := &MyDNS{MasterID: "mydns1", Password: secretPW, DirectIP: true, DirectIPURL: srv.URL + "/directip.html"}
	if err := d.Update(context.Background(), Update{IPv4: ip("203.0.113.7"), IPv6: ip("2001:db8::10")}); err != nil {
		t.Fatal(err)
	}
	if r := sim.Record("mydns1"); r.IPv4 != ip("203.0.113.7") || r.IPv6 != ip("2001:db8::10") {
		t.Fatalf("directip record %+v", r)
	}
	d.Password = "nope"
	wantKind(t, d.Update(context.Background(), Update{IPv4: ip("203.0.113.7")}), KindAuth)
	for _, line := range (&MyDNS{MasterID: "x", Password: secretPW, DirectIP: true}).DryRun(Update{IPv4: ip("203.0.113.7")}) {
		if strings.Contains(line.EN+line.JA, secretPW) {
			t.Fatalf("dry run leaks: %s", line)
		}
	}
}

func TestDuckDNS(t *testing.T) {
	sim := providersim.NewDuckDNS(secretToken, "myhome")
	url := serve(t, sim)
	d := &DuckDNS{Domain: "myhome.duckdns.org", Token: secretToken, BaseURL: url}
	ctx := context.Background()
	if err := d.Update(ctx, Update{IPv4: ip("203.0.113.7"), IPv6: ip("2001:db8::10")}); err != nil {
		t.Fatal(err)
	}
	if r := sim.Record("myhome"); r.IPv4 != ip("203.0.113.7") || r.IPv6 != ip("2001:db8::10") {
		t.Fatalf("record %+v", r)
	}
	bad := *d
	bad.Token = "wrong"
	wantKind(t, bad.Update(ctx, Update{IPv4: ip("203.0.113.7")}), KindAuth)
	other := *d
	other.Domain = "notmine"
	wantKind(t, other.Update(ctx, Update{IPv4: ip("203.0.113.7")}), KindAuth)
	sim.Fail(providersim.Fault{Status: 429, RetryAfter: 30, N: 1})
	if e := wantKind(t, d.Update(ctx, Update{IPv4: ip("203.0.113.8")}), KindRateLimited); e.RetryAfter != 30*time.Second {
		t.Fatalf("RetryAfter %v", e.RetryAfter)
	}
	sim.Fail(providersim.Fault{Status: 502, N: 1})
	wantKind(t, d.Update(ctx, Update{IPv4: ip("203.0.113.8")}), KindTemporary)
	if sim.Record("myhome").IPv4 != ip("203.0.113.7") {
		t.Fatal("failed requests changed the record")
	}
}

func TestDynDNS2(t *testing.T) {
	sim := providersim.NewDynDNS2("user1", secretPW, "home.example.net")
	url := serve(t, sim)
	d := &DynDNS2{Hostname: "home.example.net", Username: "user1", Password: secretPW, BaseURL: url}
	ctx := context.Background()
	u := Update{IPv4: ip("203.0.113.7"), IPv6: ip("2001:db8::10")}
	if err := d.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got := sim.Record("home.example.net"); len(got) != 2 || got[0] != u.IPv4 || got[1] != u.IPv6 {
		t.Fatalf("record %v", got)
	}
	if err := d.Update(ctx, u); err != nil { // nochg is success
		t.Fatal(err)
	}
	bad := *d
	bad.Password = "x"
	wantKind(t, bad.Update(ctx, u), KindAuth)
	nh := *d
	nh.Hostname = "other.example.net"
	wantKind(t, nh.Update(ctx, u), KindNoHost)
	sim.Abuse = true
	if e := wantKind(t, d.Update(ctx, u), KindRateLimited); e.RetryAfter < time.Hour {
		t.Fatalf("abuse must back off long, got %v", e.RetryAfter)
	}
	sim.Abuse = false
	sim.Fail(providersim.Fault{Status: 429, RetryAfter: 60, N: 1})
	wantKind(t, d.Update(ctx, u), KindRateLimited)
	sim.Fail(providersim.Fault{Status: 500, N: 1})
	wantKind(t, d.Update(ctx, u), KindTemporary)
}

func TestCloudflare(t *testing.T) {
	sim := providersim.NewCloudflare(secretToken, map[string]string{"example.jp": "zone123"})
	url := serve(t, sim)
	c := &Cloudflare{Name: "www.example.jp", Token: secretToken, BaseURL: url}
	ctx := context.Background()
	u := Update{IPv4: ip("203.0.113.7"), IPv6: ip("2001:db8::10")}
	if err := c.Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(ctx, u); err != nil {
		t.Fatal(err)
	}
	u2 := Update{IPv4: ip("203.0.113.9")}
	if err := c.Update(ctx, u2); err != nil {
		t.Fatal(err)
	}
	if recs := sim.Records("www.example.jp", "A"); len(recs) != 1 || recs[0].Content != "203.0.113.9" {
		t.Fatalf("A records %+v: want one, updated in place", recs)
	}
	if recs := sim.Records("www.example.jp", "AAAA"); len(recs) != 1 || recs[0].Content != "2001:db8::10" {
		t.Fatalf("AAAA records %+v", recs)
	}
	wantKind(t, c.Verify(ctx, Update{IPv4: ip("203.0.113.10")}), KindVerify)

	bad := &Cloudflare{Name: "www.example.jp", Token: "wrong-token", BaseURL: url}
	wantKind(t, bad.Update(ctx, u), KindAuth)
	nz := &Cloudflare{Name: "www.other.jp", Token: secretToken, BaseURL: url}
	wantKind(t, nz.Update(ctx, u), KindNoHost)
	wz := &Cloudflare{Name: "www.example.jp", ZoneID: "nozone", Token: secretToken, BaseURL: url}
	wantKind(t, wz.Update(ctx, u), KindNoHost)
	sim.Fail(providersim.Fault{Status: 429, RetryAfter: 5, N: 1})
	if e := wantKind(t, c.Update(ctx, u), KindRateLimited); e.RetryAfter != 5*time.Second {
		t.Fatalf("RetryAfter %v", e.RetryAfter)
	}
	sim.Fail(providersim.Fault{Status: 500, N: 1})
	wantKind(t, c.Update(ctx, u), KindTemporary)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if d := ParseRetryAfter("120", now); d != 2*time.Minute {
		t.Fatal(d)
	}
	if d := ParseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); d != 90*time.Second {
		t.Fatal(d)
	}
	if d := ParseRetryAfter("soon", now); d != 0 {
		t.Fatal(d)
	}
}

func TestNetErrorHidesQuery(t *testing.T) {
	d := &DuckDNS{Domain: "x", Token: secretToken, BaseURL: "http://127.0.0.1:1"}
	err := d.Update(context.Background(), Update{IPv4: ip("203.0.113.7")})
	wantKind(t, err, KindUnreachable) // connection refused: it never reached the provider
	if strings.Contains(err.Error(), secretToken) {
		t.Fatalf("token in %q", err)
	}
}
