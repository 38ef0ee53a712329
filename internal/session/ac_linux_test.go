package session

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/ppp"
)

// ownAC runs our AccessConcentrator in a fresh namespace linked to a fresh
// client namespace (interfaces "isp0" and "home0", MTU mtu).
func ownAC(t testing.TB, cfg ACConfig, mtu string) (home *netnstest.NS, isp *netnstest.NS, log *eventLog) {
	t.Helper()
	isp = netnstest.New(t, "isp")
	home = netnstest.New(t, "home")
	netnstest.Veth(t, isp, "isp0", home, "home0")
	isp.MustRun("ip", "link", "set", "isp0", "mtu", mtu)
	home.MustRun("ip", "link", "set", "home0", "mtu", mtu)
	log, _ = runOwnAC(t, isp, cfg)
	return home, isp, log
}

// runOwnAC runs an AccessConcentrator on isp0 in isp; stop ends it (also
// done at cleanup).
func runOwnAC(t testing.TB, isp *netnstest.NS, cfg ACConfig) (log *eventLog, stop func()) {
	log, stop, _ = runOwnACHandle(t, isp, cfg)
	return log, stop
}

func runOwnACHandle(t testing.TB, isp *netnstest.NS, cfg ACConfig) (log *eventLog, stop func(), ac *AccessConcentrator) {
	t.Helper()
	log = &eventLog{}
	cfg.Interface, cfg.Namespace, cfg.StateDir, cfg.OnEvent = "isp0", isp.Name, t.TempDir(), log.add
	if !cfg.Local.IsValid() {
		cfg.Local = netip.MustParseAddr("198.51.100.1")
		cfg.Pool = netip.MustParsePrefix("198.51.100.0/24")
		cfg.DNS = []netip.Addr{netip.MustParseAddr("198.51.100.53")}
	}
	if cfg.Secrets == nil {
		cfg.Secrets = map[string][]byte{"alice": []byte("wonderland")}
	}
	ac, err := NewAccessConcentrator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ac.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("AC Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("AC did not stop")
		}
	}
	t.Cleanup(stop)
	select {
	case <-ac.Ready():
	case err := <-done:
		t.Fatalf("AC: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("AC not ready")
	}
	return log, stop, ac
}

// TestOwnACRFC4638AndIPv6CP covers what pppd cannot: PPP-Max-Payload 1500
// (RFC 4638) and IPv6CP (RFC 5072).
func TestOwnACRFC4638AndIPv6CP(t *testing.T) {
	home, isp, acLog := ownAC(t, ACConfig{Name: "lab-isp", ServiceNames: []string{"inet"}, MaxPayload: 1500, IPv6CP: true, Auth: ppp.AuthCHAP}, "1508")
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland"),
		MTU: 1500, IPv6CP: true, ServiceName: "inet"})
	sess := r.log.wait(t, KindSession, 1, 30*time.Second)
	if sess.MaxPayload != 1500 || sess.ACName != "lab-isp" {
		t.Errorf("session event %+v, want PPP-Max-Payload 1500 from lab-isp", sess)
	}
	up := r.log.wait(t, KindUp, 1, 30*time.Second)
	if up.MTU != 1500 || up.Peer.String() != "198.51.100.1" || !strings.HasPrefix(up.Address.String(), "198.51.100.") {
		t.Errorf("up event %+v", up)
	}
	if v6 := r.log.wait(t, KindIPv6Up, 1, 20*time.Second); !netip.MustParsePrefix("fe80::/64").Contains(netip.MustParseAddr(v6.Address.String())) ||
		!netip.MustParsePrefix("fe80::/64").Contains(netip.MustParseAddr(v6.Peer.String())) || v6.Address.String() == v6.Peer.String() {
		t.Errorf("IPv6CP event %+v", v6)
	}
	acLog.wait(t, KindUp, 1, 10*time.Second)
	// A full 1500-byte IPv4 packet crosses the session unfragmented.
	isp.MustRun("ping", "-c", "2", "-W", "5", "-M", "do", "-s", "1472", up.Address.String())
	home.MustRun("ping", "-c", "2", "-W", "5", "-M", "do", "-s", "1472", "-I", up.Address.String(), "198.51.100.1")
}

// TestOwnACWithoutRFC4638StaysAt1492: a client asking for 1500 gets 1492
// from an AC that does not offer PPP-Max-Payload.
func TestOwnACWithoutRFC4638StaysAt1492(t *testing.T) {
	home, _, _ := ownAC(t, ACConfig{Auth: ppp.AuthPAP}, "1508")
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland"), MTU: 1500})
	up := r.log.wait(t, KindUp, 1, 30*time.Second)
	if up.MTU != 1492 {
		t.Errorf("MTU %d, want 1492", up.MTU)
	}
}

// TestOwnACSessionLimit: the second session (on a macvlan with its own
// MAC) is refused with the AC's AC-System-Error text.
func TestOwnACSessionLimit(t *testing.T) {
	home, _, _ := ownAC(t, ACConfig{MaxSessions: 1, Auth: ppp.AuthPAP}, "1500")
	r1 := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland")})
	r1.log.wait(t, KindUp, 1, 30*time.Second)
	r2 := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland"),
		TUN: "dp-ppp1", Table: 4243, Macvlan: true})
	down := r2.log.wait(t, KindDown, 1, 30*time.Second)
	if !strings.Contains(down.Reason, "session limit reached") || !strings.Contains(down.Reason, "AC-System-Error") {
		t.Errorf("down reason %q", down.Reason)
	}
	for _, e := range r2.log.all() {
		if e.Kind == KindSession {
			t.Errorf("refused client got a session: %+v", e)
		}
	}
}

// TestNoAccessConcentrator: nobody answers; the message says what to check.
func TestNoAccessConcentrator(t *testing.T) {
	home := netnstest.New(t, "home")
	empty := netnstest.New(t, "empty")
	netnstest.Veth(t, empty, "e0", home, "home0")
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "u", Password: []byte("p"),
		DiscoveryTimeout: 100 * time.Millisecond, PADIAttempts: 2})
	down := r.log.wait(t, KindDown, 1, 20*time.Second)
	want := "no PPPoE access concentrator answered on home0: is PPPoE passthrough enabled on the router?"
	if down.Reason != want || down.Code != "session-no-offer" {
		t.Errorf("reason %q (code %q), want %q", down.Reason, down.Code, want)
	}
}

// TestAuthFailureBacksOff: a wrong password reports the method and what
// to check, then waits AuthBackoff instead of redialling at once.
func TestAuthFailureBacksOff(t *testing.T) {
	home, _, _ := ownAC(t, ACConfig{Auth: ppp.AuthPAP}, "1500")
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wrong-pass-123"), AuthBackoff: time.Hour})
	a := r.log.wait(t, KindAuth, 1, 30*time.Second)
	if a.State != "failed" || a.Method != ppp.AuthPAP || !strings.Contains(a.Reason, "check user name and password") {
		t.Errorf("auth event %+v", a)
	}
	down := r.log.wait(t, KindDown, 1, 30*time.Second)
	if down.RetryIn != time.Hour {
		t.Errorf("retry in %v, want the auth backoff", down.RetryIn)
	}
	// The AC's PADT after the refusal is its consequence: the session
	// ended because the password was wrong, and says so.
	if a.Code != "session-auth-pap" || down.Code != "session-auth-pap" || down.Reason != a.Reason {
		t.Errorf("auth code %q; down %q (code %q), want the auth failure", a.Code, down.Reason, down.Code)
	}
	for _, e := range r.log.all() {
		if strings.Contains(e.Reason, "wrong-pass-123") {
			t.Fatalf("password in event %+v", e)
		}
	}
}

// TestAddressChangeMovesRule: the session comes back with another address
// (a different ISP pool); the rule and the TUN address follow it, and with
// DefaultRoute the main table sends IPv4 through the session.
func TestAddressChangeMovesRule(t *testing.T) {
	isp := netnstest.New(t, "isp")
	home := netnstest.New(t, "home")
	netnstest.Veth(t, isp, "isp0", home, "home0")
	_, stop1 := runOwnAC(t, isp, ACConfig{Auth: ppp.AuthPAP, TUN: "dp-ac1"})
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland"), DefaultRoute: true})
	up1 := r.log.wait(t, KindUp, 1, 30*time.Second)
	if out := home.MustRun("ip", "route", "get", "203.0.113.9"); !strings.Contains(out, "dev dp-ppp0") {
		t.Errorf("--default-route: %s", out)
	}
	stop1()
	runOwnAC(t, isp, ACConfig{Auth: ppp.AuthPAP, TUN: "dp-ac2", Local: netip.MustParseAddr("203.0.113.1"),
		Pool: netip.MustParsePrefix("203.0.113.0/24")})
	up2 := r.log.wait(t, KindUp, 2, 60*time.Second)
	if up1.Address.String() == up2.Address.String() || !strings.HasPrefix(up2.Address.String(), "203.0.113.") {
		t.Fatalf("addresses %s then %s", up1.Address.String(), up2.Address.String())
	}
	rules := home.MustRun("ip", "rule")
	if !strings.Contains(rules, "from "+up2.Address.String()+" lookup 4242") || strings.Contains(rules, up1.Address.String()) {
		t.Errorf("rules after the address change:\n%s", rules)
	}
	addrs := home.MustRun("ip", "-4", "addr", "show", "dev", "dp-ppp0")
	if !strings.Contains(addrs, up2.Address.String()+"/32") || strings.Contains(addrs, up1.Address.String()) {
		t.Errorf("TUN addresses:\n%s", addrs)
	}
	isp.MustRun("ping", "-c", "1", "-W", "5", up2.Address.String())
	r.stop(t)
	if out := home.MustRun("ip", "route", "show", "table", "main"); strings.Contains(out, "dp-ppp0") {
		t.Errorf("default route left behind:\n%s", out)
	}
}

// TestOwnACDropAll: the AC ends the session with a PADT whose text reaches
// the client, which dials again.
func TestOwnACDropAll(t *testing.T) {
	isp := netnstest.New(t, "isp")
	home := netnstest.New(t, "home")
	netnstest.Veth(t, isp, "isp0", home, "home0")
	acLog, _, ac := runOwnACHandle(t, isp, ACConfig{Auth: ppp.AuthPAP})
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland")})
	r.log.wait(t, KindUp, 1, 30*time.Second)
	acLog.wait(t, KindUp, 1, 10*time.Second)
	ac.DropAll("maintenance window")
	down := r.log.wait(t, KindDown, 1, 10*time.Second)
	if down.Reason != "PADT from the access concentrator: maintenance window" {
		t.Errorf("down reason %q", down.Reason)
	}
	up := r.log.wait(t, KindUp, 2, 30*time.Second)
	if first := r.log.wait(t, KindUp, 1, time.Second); first.Address.String() == up.Address.String() {
		t.Errorf("redial got the same address %s; the pool hands out round-robin", up.Address.String())
	}
	isp.MustRun("ping", "-c", "1", "-W", "5", up.Address.String())
	// The AC reports the drop with its reason and the freed address; no
	// event of either side carries the password (PAP sends it in clear).
	if d := acLog.wait(t, KindDown, 1, time.Second); d.Reason != "maintenance window" || !d.Address.IsValid() {
		t.Errorf("AC down event %+v", d)
	}
	if all := fmt.Sprintf("%+v %+v", acLog.all(), r.log.all()); strings.Contains(all, "wonderland") {
		t.Errorf("an event carries the password: %s", all)
	}
}
