package session

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
	"github.com/dualpath/dualpath/ppp"
)

// eventLog collects a session's events for assertions.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.evs...)
}

// wait returns the n-th (1-based) event of kind, waiting up to d.
func (l *eventLog) wait(t testing.TB, kind Kind, n int, d time.Duration) Event {
	t.Helper()
	var found Event
	ok := netnstest.WaitFor(d, func() bool {
		c := 0
		for _, e := range l.all() {
			if e.Kind == kind {
				c++
				if c == n {
					found = e
					return true
				}
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no %d. %q event within %v; events:\n%s", n, kind, d, l)
	}
	return found
}

// mark is the number of events so far: waitFrom(..., l.mark(), ...) waits
// for an event that comes after this moment.
func (l *eventLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.evs)
}

// waitFrom returns the first event of kind at index from or later (and the
// index after it), waiting up to d. Unlike wait it does not count events
// from the start: an attempt that failed before (a PADI or LCP timeout on
// a loaded machine) does not shift which event the test looks at.
func (l *eventLog) waitFrom(t testing.TB, kind Kind, from int, d time.Duration) (Event, int) {
	t.Helper()
	var found Event
	next := 0
	ok := netnstest.WaitFor(d, func() bool {
		evs := l.all()
		for i := from; i < len(evs); i++ {
			if evs[i].Kind == kind {
				found, next = evs[i], i+1
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no %q event after event %d within %v; events:\n%s", kind, from, d, l)
	}
	return found, next
}

// countFrom counts the events of kind at index from or later.
func (l *eventLog) countFrom(kind Kind, from int) int {
	n := 0
	for i, e := range l.all() {
		if i >= from && e.Kind == kind {
			n++
		}
	}
	return n
}

func (l *eventLog) String() string {
	var b strings.Builder
	for _, e := range l.all() {
		fmt.Fprintf(&b, "  %+v\n", e)
	}
	return b.String()
}

// running is a client session running in the test's client namespace.
type running struct {
	c      *Client
	log    *eventLog
	cancel context.CancelFunc
	done   chan error
}

func startClient(t testing.TB, ns string, cfg ClientConfig) *running {
	t.Helper()
	r := &running{log: &eventLog{}, done: make(chan error, 1)}
	cfg.Namespace = ns
	if cfg.Interface == "" {
		cfg.Interface = umlac.ClientIf
	}
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	cfg.OnEvent = r.log.add
	cfg = withDefaults(cfg)
	if cfg.DiscoveryTimeout == 0 {
		cfg.DiscoveryTimeout = 500 * time.Millisecond
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("client Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		t.Error("client did not stop within 20 s")
	}
}

func TestClientPAPAndCHAPAgainstPppd(t *testing.T) {
	for _, auth := range []umlac.Auth{umlac.PAP, umlac.CHAP} {
		t.Run(string(auth), func(t *testing.T) {
			ac := umlac.Start(t, auth)
			r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password), EchoInterval: 2 * time.Second})
			up := r.log.wait(t, KindUp, 1, 60*time.Second)
			a := r.log.wait(t, KindAuth, 1, time.Second)
			want := map[umlac.Auth]ppp.AuthMethod{umlac.PAP: ppp.AuthPAP, umlac.CHAP: ppp.AuthCHAP}[auth]
			if a.State != "ok" || a.Method != want {
				t.Errorf("auth event %+v, want ok with %s", a, want)
			}
			if !strings.HasPrefix(up.Address.String(), "192.0.2.") || up.Peer.String() != umlac.ACAddr.String() || up.MTU != 1454 {
				t.Errorf("up event %+v", up)
			}
			if fmt.Sprint(up.DNS) != fmt.Sprint([]netip.Addr{umlac.DNS1, umlac.DNS2}) {
				t.Errorf("DNS %v", up.DNS)
			}
			for _, e := range r.log.all() {
				if strings.Contains(fmt.Sprint(e), ac.Password) {
					t.Fatalf("password in event %+v", e)
				}
			}
			// Traffic both ways through the session: the AC pings us, we ping it.
			ac.MustCtl("ping -c 2 -W 5 " + up.Address.String())
			ac.ClientNS.MustRun("ping", "-c", "2", "-W", "5", "-I", up.Address.String(), umlac.ACAddr.String())
			// Host state: address, rule, table route, rp_filter.
			out := ac.ClientNS.MustRun("ip", "-4", "addr", "show", "dev", "dp-ppp0")
			if !strings.Contains(out, up.Address.String()+"/32") {
				t.Errorf("TUN addresses:\n%s", out)
			}
			if out := ac.ClientNS.MustRun("ip", "rule"); !strings.Contains(out, "from "+up.Address.String()+" lookup 4242") {
				t.Errorf("rules:\n%s", out)
			}
			r.stop(t)
			// Clean exit: PADT reached pppd, host state undone.
			if !netnstest.WaitFor(20*time.Second, func() bool { o, _ := ac.Ctl("pidof pppd"); return strings.Contains(o, "rc=1") }) {
				t.Error("pppd still runs after the client stopped")
			}
			if out := ac.ClientNS.MustRun("ip", "rule"); strings.Contains(out, "4242") {
				t.Errorf("rule left behind:\n%s", out)
			}
			if out, _ := ac.ClientNS.Run("ip", "link", "show", "dp-ppp0"); !strings.Contains(out, "does not exist") {
				t.Errorf("TUN left behind: %s", out)
			}
		})
	}
}

// TestPolicyRoutingServesOnSessionAddress: a TCP server on the session
// address answers a client on the AC side although the client namespace's
// main table sends everything elsewhere.
func TestPolicyRoutingServesOnSessionAddress(t *testing.T) {
	ac := umlac.Start(t, umlac.CHAP)
	ns := ac.ClientNS
	// A main default route that does not lead to the AC.
	ns.MustRun("ip", "link", "add", "elsewhere", "type", "veth", "peer", "name", "elsewhere-p")
	ns.MustRun("ip", "addr", "add", "10.99.0.1/24", "dev", "elsewhere")
	ns.MustRun("ip", "link", "set", "elsewhere", "up")
	ns.MustRun("ip", "link", "set", "elsewhere-p", "up")
	ns.MustRun("ip", "route", "add", "default", "via", "10.99.0.2")
	r := startClient(t, ns.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password)})
	up := r.log.wait(t, KindUp, 1, 60*time.Second)
	var ln net.Listener
	if err := hostnet.InNamespace(ns.Name, func() error {
		var err error
		ln, err = net.Listen("tcp4", up.Address.String()+":8080")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 14\r\n\r\nhello over v4\n")
			c.Close()
		}
	}()
	out := ac.MustCtl("nc -w 10 " + up.Address.String() + " 8080 </dev/null")
	if !strings.Contains(out, "hello over v4") {
		t.Fatalf("wget from the AC side: %s", out)
	}
	if out := ns.MustRun("ip", "route", "show", "table", "main"); strings.Contains(out, "dp-ppp0") {
		t.Errorf("main table touched without --default-route:\n%s", out)
	}
}

// TestReconnectAfterPADTFromAC: pppd killed inside the AC ends the session
// (LCP Terminate and/or PADT); the client reconnects by itself.
func TestReconnectAfterPADTFromAC(t *testing.T) {
	for _, tc := range []struct{ name, cmd, reason string }{
		// SIGTERM: pppd sends LCP Terminate-Request (we Ack), exits, and
		// pppoe-server's PADT ends the session before LCP's own timer.
		{"terminate", "killall pppd", "PADT from the access concentrator"},
		// SIGKILL: no LCP; rp-pppoe's helper sends the PADT.
		{"padt", "killall -9 pppd", "PADT from the access concentrator"},
	} {
		t.Run(tc.name, func(t *testing.T) { testReconnect(t, tc.cmd, tc.reason) })
	}
}

func testReconnect(t *testing.T, cmd, reason string) {
	ac := umlac.Start(t, umlac.PAP)
	r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password)})
	r.log.wait(t, KindUp, 1, 60*time.Second)
	m := r.log.mark()
	ac.MustCtl(cmd)
	down, m := r.log.waitFrom(t, KindDown, m, 30*time.Second)
	if !strings.HasPrefix(down.Reason, reason) || down.RetryIn == 0 {
		t.Errorf("down event %+v, want reason %q...", down, reason)
	}
	up, _ := r.log.waitFrom(t, KindUp, m, 60*time.Second)
	ac.MustCtl("ping -c 1 -W 5 " + up.Address.String())
}

// TestReconnectAfterSilentAC: the AC vanishes without a word; LCP echo
// notices, and when an AC is back the client dials again.
func TestReconnectAfterSilentAC(t *testing.T) {
	ac := umlac.Start(t, umlac.PAP)
	r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password),
		EchoInterval: time.Second, EchoFailures: 3})
	r.log.wait(t, KindUp, 1, 60*time.Second)
	m := r.log.mark()
	ac.Restart()
	down, m := r.log.waitFrom(t, KindDown, m, 30*time.Second)
	if !strings.Contains(down.Reason, "stopped answering") {
		t.Errorf("down reason %q, want the echo timeout", down.Reason)
	}
	up, _ := r.log.waitFrom(t, KindUp, m, 90*time.Second)
	ac.MustCtl("ping -c 1 -W 5 " + up.Address.String())
}

// TestHelperClientProcess is not a test: TestStaleSessionAfterSIGKILL runs
// the test binary with DUALPATH_SESSION_HELPER set to hold a session in a
// separate process that it can SIGKILL.
func TestHelperClientProcess(t *testing.T) {
	state := os.Getenv("DUALPATH_SESSION_HELPER")
	if state == "" {
		t.Skip("helper process for TestStaleSessionAfterSIGKILL")
	}
	c, err := NewClient(withDefaults(ClientConfig{Interface: umlac.ClientIf, Username: umlac.Username, Password: []byte(umlac.Password),
		StateDir: state, DiscoveryTimeout: 500 * time.Millisecond, Macvlan: os.Getenv("DUALPATH_SESSION_MACVLAN") != "",
		OnEvent: func(e Event) { fmt.Printf("EVENT %s %s\n", e.Kind, e.Address) }}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestStaleSessionAfterSIGKILL: a client killed with SIGKILL leaves a
// session at the AC and routing state on the host; the next start sends a
// PADT for the stale session and removes the leftovers.
func TestStaleSessionAfterSIGKILL(t *testing.T) {
	for _, macvlan := range []bool{false, true} {
		t.Run(fmt.Sprintf("macvlan=%v", macvlan), func(t *testing.T) { testStaleSession(t, macvlan) })
	}
}

func testStaleSession(t *testing.T, macvlan bool) {
	ac := umlac.StartWith(t, umlac.Options{Auth: umlac.PAP, PPPDOptions: "lcp-echo-interval 60"})
	state := t.TempDir()
	mv := ""
	if macvlan {
		mv = "1"
	}
	p := ac.ClientNS.Start("env", "DUALPATH_SESSION_HELPER="+state, "DUALPATH_SESSION_MACVLAN="+mv, os.Args[0], "-test.run=^TestHelperClientProcess$", "-test.v")
	if !netnstest.WaitFor(60*time.Second, func() bool { return strings.Contains(p.Output(), "EVENT up ") }) {
		t.Fatalf("helper session did not come up:\n%s", p.Output())
	}
	if _, err := os.Stat(filepath.Join(state, "pppoe-dp-ppp0.session")); err != nil {
		t.Fatalf("live session not recorded: %v", err)
	}
	p.Signal(syscall.SIGKILL)
	p.Wait(10 * time.Second)
	if out := ac.ClientNS.MustRun("ip", "rule"); !strings.Contains(out, "lookup 4242") {
		t.Fatalf("expected the killed client's rule to remain:\n%s", out)
	}
	before := ac.MustCtl("pidof pppd")
	if !strings.Contains(before, "rc=0") {
		t.Fatalf("the AC lost the session by itself: %s", before)
	}
	if macvlan {
		if out := ac.ClientNS.MustRun("ip", "link"); !strings.Contains(out, "dp-ppp0-mv") {
			t.Fatalf("expected the killed client's macvlan to remain:\n%s", out)
		}
	}
	r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password), StateDir: state, Macvlan: macvlan})
	var stale, cleaned bool
	netnstest.WaitFor(30*time.Second, func() bool {
		stale, cleaned = false, false
		for _, e := range r.log.all() {
			if e.Kind == KindCleanup && strings.Contains(e.Reason, "PADT for stale session") {
				stale = true
			}
			if e.Kind == KindCleanup && strings.Contains(e.Reason, "4242") {
				cleaned = true
			}
		}
		return stale && cleaned
	})
	if !stale || !cleaned {
		t.Fatalf("cleanup events missing (stale PADT %v, host state %v):\n%s", stale, cleaned, r.log)
	}
	// The AC ended the old session (pppoe-server logs "Session N closed").
	if !netnstest.WaitFor(20*time.Second, func() bool { return strings.Contains(ac.Log(), "Session 1 closed") }) {
		t.Fatal("the AC did not close the stale session")
	}
	up := r.log.wait(t, KindUp, 1, 60*time.Second)
	if out := ac.ClientNS.MustRun("ip", "rule"); strings.Count(out, "lookup 4242") != 1 {
		t.Errorf("want exactly one rule for %s:\n%s", up.Address.String(), out)
	}
}

// TestPppdRefusesWrongPassword: pppd's PAP Nak becomes an auth event that
// names the method and says what to check, then the long backoff.
func TestPppdRefusesWrongPassword(t *testing.T) {
	ac := umlac.Start(t, umlac.PAP)
	r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte("not-the-password"), AuthBackoff: time.Hour})
	a, m := r.log.waitFrom(t, KindAuth, 0, 60*time.Second)
	if a.State != "failed" || a.Method != ppp.AuthPAP || !strings.Contains(a.Reason, "check user name and password") {
		t.Errorf("auth event %+v", a)
	}
	if down, _ := r.log.waitFrom(t, KindDown, m, 30*time.Second); down.RetryIn != time.Hour {
		t.Errorf("down event %+v, want the auth backoff", down)
	}
}

// TestPppoeServerSessionLimit: rp-pppoe with one session slot refuses the
// second client (on a macvlan, with its own MAC); its error text reaches
// the user.
func TestPppoeServerSessionLimit(t *testing.T) {
	ac := umlac.StartWith(t, umlac.Options{Auth: umlac.PAP, MaxSessions: 1})
	r1 := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password)})
	r1.log.wait(t, KindUp, 1, 60*time.Second)
	r2 := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password),
		TUN: "dp-ppp1", Table: 4243, Macvlan: true})
	// The first attempt that reaches pppoe-server's PADS ends with its
	// refusal (one that timed out earlier on a loaded machine says so and
	// is skipped).
	var down Event
	for m, tries := 0, 0; tries < 5; tries++ {
		down, m = r2.log.waitFrom(t, KindDown, m, 60*time.Second)
		if down.Cause != CauseDiscovery || strings.Contains(down.Reason, "refused") {
			break
		}
	}
	if !strings.Contains(down.Reason, "refused the session: AC-System-Error: ") {
		t.Errorf("down reason %q", down.Reason)
	}
	t.Logf("second session: %s", down.Reason)
}

// TestIPv6CPAgainstPppd: pppd (+ipv6) and our client agree on interface
// identifiers; IPv6 link-local traffic crosses the session.
func TestIPv6CPAgainstPppd(t *testing.T) {
	ac := umlac.Start(t, umlac.PAP)
	r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password), IPv6CP: true})
	r.log.wait(t, KindUp, 1, 60*time.Second)
	v6 := r.log.wait(t, KindIPv6Up, 1, 10*time.Second)
	if v6.State != "" {
		t.Fatalf("IPv6 event %+v", v6)
	}
	ac.ClientNS.MustRun("ping", "-6", "-c", "2", "-W", "5", v6.Peer.String()+"%dp-ppp0")
	if strings.Contains(ac.Log(), "IPV6CP TermReq") {
		t.Errorf("pppd closed IPv6CP:\n%s", ac.Log())
	}
}
