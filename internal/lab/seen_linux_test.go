package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// Check 8 in two-routers accepts an A record only when MyDNS recorded it
// from a login arriving from the session address (ipv4: seen), not from an
// address it was told (direct_ip) or a login from elsewhere.
func TestMyDNSSawLogin(t *testing.T) {
	l := &Lab{Dir: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(l.Dir, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	sess := netip.MustParseAddr("203.0.113.3")
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(l.Dir, "log", "isp-mydns.log"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mydns: www.lab.example. by /directip.html from 203.0.113.3: A 203.0.113.3 AAAA invalid IP\n" +
		"mydns: www.lab.example. by /login.html from 2001:db8:105:1200::10: A 203.0.113.3 AAAA 2001:db8:105:1200::10\n")
	if l.mydnsSawLogin(sess) {
		t.Error("a directip update was taken for a seen login")
	}
	write("mydns: www.lab.example. by /login.html from 203.0.113.3: A 203.0.113.3 AAAA invalid IP\n")
	if !l.mydnsSawLogin(sess) {
		t.Error("the seen login was not recognised")
	}
}
