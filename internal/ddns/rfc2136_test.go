package ddns

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/testpeer/bind"
)

func TestParseTSIGKey(t *testing.T) {
	good := `# written by tsig-keygen
key "ddns-key.example" {
	algorithm hmac-sha256; // the default
	secret "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";
}; /* done */
`
	k, err := ParseTSIGKey([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "ddns-key.example." || k.Algorithm != dns.HmacSHA256 || k.Secret != "c2VjcmV0LXNlY3JldC1zZWNyZXQ=" {
		t.Fatalf("%+v", k)
	}
	for _, bad := range []struct{ in, why string }{
		{``, "no key statement"},
		{`key "k" { algorithm hmac-sha256; };`, "no secret"},
		{`key "k" { algorithm rot13; secret "c2VjcmV0"; };`, "not supported"},
		{`key "k" { algorithm hmac-sha256; secret "not base64!!"; };`, "base64"},
		{`key "k" { algorithm hmac-sha256; secret "c2VjcmV0" };`, `want ";"`},
		{`key "k" { algorithm hmac-sha256; secret "c2VjcmV0";`, "unterminated"},
		{`key "k" { algorithm hmac-sha256; secret "c2Vj`, "unterminated string"},
		{`key "k" { colour blue; };`, "unknown key clause"},
	} {
		_, err := ParseTSIGKey([]byte(bad.in))
		if err == nil || !strings.Contains(err.Error(), bad.why) {
			t.Errorf("%q: err %v, want %q", bad.in, err, bad.why)
		}
		if err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("%q: error quotes the secret: %v", bad.in, err)
		}
	}
}

// TestRFC2136AgainstBIND creates, changes and verifies records on a real
// BIND 9 with TSIG, and checks that a wrong key is refused as an auth error.
func TestRFC2136AgainstBIND(t *testing.T) {
	srv := bind.Start(t, bind.Options{Zone: "example.test."})
	key, err := LoadTSIGKey(srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	p := &RFC2136{Server: srv.Addr, Zone: srv.Zone, Name: "www." + srv.Zone, TTL: 60, Key: key}
	ctx := context.Background()

	// Created.
	u := Update{IPv4: ip("203.0.113.7"), IPv6: ip("2001:db8:1:1::10")}
	if err := p.Update(ctx, u); err != nil {
		t.Fatalf("%v\n%s", err, srv.Log())
	}
	if err := p.Verify(ctx, u); err != nil {
		t.Fatal(err)
	}
	// Changed (A only); the AAAA stays, and the old A is gone.
	u2 := Update{IPv4: ip("203.0.113.99")}
	if err := p.Update(ctx, u2); err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(ctx, Update{IPv4: ip("203.0.113.99"), IPv6: ip("2001:db8:1:1::10")}); err != nil {
		t.Fatal(err)
	}
	a, err := p.Lookup(ctx, dns.TypeA)
	if err != nil || len(a) != 1 {
		t.Fatalf("A %v %v: want exactly the new address", a, err)
	}
	// Verify notices a mismatch.
	wantKind(t, p.Verify(ctx, Update{IPv4: ip("203.0.113.7")}), KindVerify)

	// A wrong secret is refused (TSIG BADSIG/BADKEY -> NOTAUTH), and the record is unchanged.
	wrong := *p
	wrong.Key.Secret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="
	wantKind(t, wrong.Update(ctx, Update{IPv4: ip("203.0.113.1")}), KindAuth)
	unknown := *p
	unknown.Key.Name = "other-key."
	wantKind(t, unknown.Update(ctx, Update{IPv4: ip("203.0.113.1")}), KindAuth)
	// A zone the server is not authoritative for.
	nz := *p
	nz.Zone, nz.Name = "other.test.", "www.other.test."
	if err := nz.Update(ctx, Update{IPv4: ip("203.0.113.1")}); err == nil {
		t.Fatal("update of a foreign zone succeeded")
	}
	if err := p.Verify(ctx, Update{IPv4: ip("203.0.113.99")}); err != nil {
		t.Fatalf("refused updates changed the record: %v", err)
	}
}
