package session

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
	"github.com/dualpath/dualpath/ppp"
)

// nftIngress installs an nftables netdev ingress chain on dev in ns (a
// namespace the test created) with one named counter per rule; rules maps
// counter names to the match that feeds it, each ending in "accept" or
// "drop". The socket our AC and client read PPPoE on is bound to its
// EtherType, so the kernel runs this hook before it sees a frame.
func nftIngress(t *testing.T, ns *netnstest.NS, dev string, rules map[string]string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "table netdev dptest {\n")
	for name := range rules {
		fmt.Fprintf(&b, "\tcounter %s {}\n", name)
	}
	fmt.Fprintf(&b, "\tchain in {\n\t\ttype filter hook ingress device %q priority 0; policy accept;\n", dev)
	for name, r := range rules {
		i := strings.LastIndexByte(r, ' ')
		fmt.Fprintf(&b, "\t\t%s counter name %q %s\n", r[:i], name, r[i+1:])
	}
	fmt.Fprintf(&b, "\t}\n}\n")
	f := filepath.Join(t.TempDir(), "rules.nft")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ns.MustRun("nft", "-f", f)
}

var nftPackets = regexp.MustCompile(`packets (\d+)`)

// nftCount reads a counter made by nftIngress.
func nftCount(t *testing.T, ns *netnstest.NS, name string) int {
	t.Helper()
	out := ns.MustRun("nft", "list", "counter", "netdev", "dptest", name)
	m := nftPackets.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("counter %s: %s", name, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Matches on PPPoE frames in nft's raw payload syntax (offsets in bits
// from the Ethernet header): the PPPoE header is bytes 14-19 (code at 15),
// the PPP protocol bytes 20-21, the LCP code byte 22 (RFC 2516 section 4,
// RFC 1661 section 5).
const (
	matchLCPEchoRequest = "ether type 0x8864 @ll,160,16 0xc021 @ll,176,8 9"
	matchLCPTermRequest = "ether type 0x8864 @ll,160,16 0xc021 @ll,176,8 5"
	matchPADT           = "ether type 0x8863 @ll,120,8 0xa7"
)

func hasKind(l *eventLog, kind Kind) bool {
	for _, e := range l.all() {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// TestDataFramesAreLiveness: a peer that drops every LCP Echo-Request (as
// some BRAS do under load) but keeps sending IP packets keeps the session
// up past EchoFailures*EchoInterval, in the client and in the AC role;
// when the packets stop, the echo timeout ends the session, proving that
// the filter really starved the keepalive of replies.
func TestDataFramesAreLiveness(t *testing.T) {
	const interval, failures = 200 * time.Millisecond, 3
	for _, role := range []string{"client", "ac"} {
		t.Run(role, func(t *testing.T) {
			isp := netnstest.New(t, "isp")
			home := netnstest.New(t, "home")
			netnstest.Veth(t, isp, "isp0", home, "home0")
			acCfg := ACConfig{Auth: ppp.AuthPAP}
			clCfg := ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland"),
				EchoInterval: interval, EchoFailures: failures}
			if role == "ac" {
				acCfg.EchoInterval, acCfg.EchoFailures = interval, failures
				clCfg.EchoInterval = config.MaxEchoInterval // only the AC's keepalive runs
			}
			acLog, _ := runOwnAC(t, isp, acCfg)
			r := startClient(t, home.Name, clCfg)
			up := r.log.wait(t, KindUp, 1, 30*time.Second)
			acLog.wait(t, KindUp, 1, 10*time.Second)

			// IP packets both ways (echo requests towards the client,
			// replies back), 50 a second.
			ping := isp.Start("ping", "-i", "0.02", "-W", "1", up.Address.String())
			if !netnstest.WaitFor(10*time.Second, func() bool { return strings.Contains(ping.Output(), "bytes from") }) {
				t.Fatalf("no ping replies through the session:\n%s", ping.Output())
			}
			// The side under test no longer gets any echo reply: its
			// peer never sees an Echo-Request.
			peerNS, peerDev := isp, "isp0"
			if role == "ac" {
				peerNS, peerDev = home, "home0"
			}
			nftIngress(t, peerNS, peerDev, map[string]string{"echoreq": matchLCPEchoRequest + " drop"})
			// Twice the failure window of unanswered echoes, counted
			// by the kernel, not by a clock.
			if !netnstest.WaitFor(60*time.Second, func() bool { return nftCount(t, peerNS, "echoreq") >= 2*failures }) {
				t.Fatalf("only %d Echo-Requests dropped", nftCount(t, peerNS, "echoreq"))
			}
			if hasKind(r.log, KindDown) || hasKind(acLog, KindDown) {
				t.Fatalf("session went down although IP packets kept arriving; client:\n%sAC:\n%s", r.log, acLog)
			}
			if strings.Contains(ping.Output(), "Unreachable") {
				t.Errorf("ping errors:\n%s", ping.Output())
			}

			// Control: without packets the keepalive ends the session.
			ping.Kill()
			if role == "client" {
				down := r.log.wait(t, KindDown, 1, 30*time.Second)
				want := fmt.Sprintf("%d LCP echo requests %v apart unanswered", failures, interval)
				if !strings.HasPrefix(down.Reason, "the access concentrator stopped answering: nothing received for ") || !strings.HasSuffix(down.Reason, want) {
					t.Errorf("client down reason %q, want the echo timeout ending %q", down.Reason, want)
				}
				return
			}
			down := acLog.wait(t, KindDown, 1, 30*time.Second)
			if !strings.HasPrefix(down.Reason, "peer not responding") {
				t.Errorf("AC down reason %q, want the echo timeout", down.Reason)
			}
			// The AC's PADT carries the reason to the client (RFC 2516
			// section 5.5 Generic-Error), which says where it came from.
			cdown := r.log.wait(t, KindDown, 1, 30*time.Second)
			if cdown.Reason != "PADT from the access concentrator: "+down.Reason {
				t.Errorf("client down reason %q, want the AC's PADT with %q", cdown.Reason, down.Reason)
			}
		})
	}
}

// TestPADTIsLowerDown: a PADT from the AC is the RFC 1661 Down event for
// the client: the down event names the PADT and its text, and the client
// neither says goodbye on LCP (Terminate-Request) nor answers with a PADT
// of its own to a session that no longer exists; then it dials again.
func TestPADTIsLowerDown(t *testing.T) {
	isp := netnstest.New(t, "isp")
	home := netnstest.New(t, "home")
	netnstest.Veth(t, isp, "isp0", home, "home0")
	acLog, _, ac := runOwnACHandle(t, isp, ACConfig{Auth: ppp.AuthPAP})
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland")})
	r.log.wait(t, KindUp, 1, 30*time.Second)
	acLog.wait(t, KindUp, 1, 10*time.Second)
	nftIngress(t, isp, "isp0", map[string]string{
		"termreq": matchLCPTermRequest + " accept",
		"padt":    matchPADT + " accept",
	})
	ac.DropAll("maintenance window")
	down := r.log.wait(t, KindDown, 1, 10*time.Second)
	if down.Reason != "PADT from the access concentrator: maintenance window" || down.Code != "session-padt" {
		t.Errorf("down reason %q (code %q)", down.Reason, down.Code)
	}
	r.log.wait(t, KindUp, 2, 30*time.Second)
	if n, m := nftCount(t, isp, "termreq"), nftCount(t, isp, "padt"); n != 0 || m != 0 {
		t.Errorf("after the AC's PADT the client sent %d LCP Terminate-Request(s) and %d PADT(s)", n, m)
	}
	// The counters do count: a client shutdown sends both.
	r.stop(t)
	if n, m := nftCount(t, isp, "termreq"), nftCount(t, isp, "padt"); n == 0 || m == 0 {
		t.Errorf("shutdown: %d LCP Terminate-Request(s), %d PADT(s); want both", n, m)
	}
}

// TestTUNRemovedIsLowerDown: the TUN vanishing under a live session stops
// the data plane; the client takes it as the lower layer going down
// (RFC 1661 Down), says so in one down event, undoes its host changes and
// returns an error instead of redialling without a TUN. It could not send
// a PADT, so the session record stays: the next start sends the PADT and
// our AC reports "PADT from the client".
func TestTUNRemovedIsLowerDown(t *testing.T) {
	isp := netnstest.New(t, "isp")
	home := netnstest.New(t, "home")
	netnstest.Veth(t, isp, "isp0", home, "home0")
	acLog, _ := runOwnAC(t, isp, ACConfig{Auth: ppp.AuthPAP})
	state := t.TempDir()
	cfg := ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland"), StateDir: state}
	r := startClient(t, home.Name, cfg)
	r.log.wait(t, KindUp, 1, 30*time.Second)
	acLog.wait(t, KindUp, 1, 10*time.Second)
	home.MustRun("ip", "link", "del", "dp-ppp0")
	down := r.log.wait(t, KindDown, 1, 10*time.Second)
	if !strings.HasPrefix(down.Reason, "the data plane stopped") || down.RetryIn != 0 {
		t.Errorf("down event %+v, want the data plane's end without a retry", down)
	}
	select {
	case err := <-r.done:
		if err == nil || err.Error() != down.Reason {
			t.Errorf("Run returned %v, want the down reason %q", err, down.Reason)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after the data plane stopped")
	}
	r.cancel()
	r.cancel = nil
	if out := home.MustRun("ip", "rule"); strings.Contains(out, "4242") {
		t.Errorf("rule left behind:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(state, "pppoe-dp-ppp0.session")); err != nil {
		t.Errorf("session record gone although no PADT was sent: %v", err)
	}
	if hasKind(acLog, KindDown) {
		t.Fatalf("the AC heard of the end:\n%s", acLog)
	}
	r2 := startClient(t, home.Name, cfg)
	acDown := acLog.wait(t, KindDown, 1, 20*time.Second)
	if acDown.Reason != "PADT from the client" {
		t.Errorf("AC down reason %q", acDown.Reason)
	}
	r2.log.wait(t, KindUp, 1, 30*time.Second)
}

// TestDataFramesAreLivenessWithPppd: the same against the real pppd (in
// UML): its Echo-Replies are dropped before our client sees them (and pppd
// sends no echoes of its own), while IP packets from pppd's side keep
// coming; the session stays up past the failure window, and ends with the
// echo timeout once the packets stop.
func TestDataFramesAreLivenessWithPppd(t *testing.T) {
	// A second between echoes (the window is 1 s idle + 3 probes 1 s
	// apart): pppd runs under UML, which a loaded machine can stall for
	// longer than 200 ms windows would allow.
	const interval, failures = time.Second, 3
	ac := umlac.StartWith(t, umlac.Options{Auth: umlac.PAP, PPPDOptions: "lcp-echo-interval 0"})
	r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password),
		EchoInterval: interval, EchoFailures: failures})
	up, m := r.log.waitFrom(t, KindUp, 0, 60*time.Second)
	// pppd's kernel answers our pings: IP packets from the AC, 50 a second.
	ping := ac.ClientNS.Start("ping", "-i", "0.02", "-W", "1", "-I", up.Address.String(), umlac.ACAddr.String())
	if !netnstest.WaitFor(20*time.Second, func() bool { return strings.Contains(ping.Output(), "bytes from") }) {
		t.Fatalf("no ping replies through the session:\n%s", ping.Output())
	}
	nftIngress(t, ac.ClientNS, umlac.ClientIf, map[string]string{
		"echoreply": "ether type 0x8864 @ll,160,16 0xc021 @ll,176,8 10 drop",
	})
	if !netnstest.WaitFor(60*time.Second, func() bool { return nftCount(t, ac.ClientNS, "echoreply") >= 2*failures }) {
		t.Fatalf("only %d Echo-Replies dropped", nftCount(t, ac.ClientNS, "echoreply"))
	}
	if r.log.countFrom(KindDown, m) > 0 {
		t.Fatalf("session went down although IP packets kept arriving:\n%s", r.log)
	}
	ping.Kill()
	down, _ := r.log.waitFrom(t, KindDown, m, 30*time.Second)
	if !strings.Contains(down.Reason, "stopped answering") {
		t.Errorf("down reason %q, want the echo timeout", down.Reason)
	}
}
