package session

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
	"github.com/dualpath/dualpath/pppoe"
)

// frameClock records when the last PPPoE frame (discovery or session) from
// one MAC reached an interface: an observer of its own, a raw socket beside
// the client's, so the test does not take the client's word for it.
type frameClock struct {
	mu   sync.Mutex
	last time.Time
	n    int
}

func (f *frameClock) get() (time.Time, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, f.n
}

// watchFrames starts a frameClock on ifname in namespace ns for frames
// from src; it stops when the test ends.
func watchFrames(t *testing.T, ns, ifname string, src pppoe.MAC) *frameClock {
	t.Helper()
	var conn *hostnet.PacketConn
	if err := hostnet.InNamespace(ns, func() (err error) {
		conn, err = hostnet.OpenPacketConn(ifname, pppoe.EtherTypeDiscovery, pppoe.EtherTypeSession)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fc := &frameClock{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, err := conn.ReadFrame(buf)
			if err != nil {
				return
			}
			if n >= 14 && string(buf[6:12]) == string(src[:]) {
				fc.mu.Lock()
				fc.last, fc.n = time.Now(), fc.n+1
				fc.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return fc
}

// TestSilentPppdNoticedWithin15s: the real access concentrator (pppd and
// rp-pppoe's pppoe-server in User-Mode Linux) hangs: both are frozen with
// SIGSTOP inside UML, so it neither answers nor sends. With the default
// keepalive (no knobs set) the client declares the session dead within
// 15 s of the last frame it got from the AC (seen by a raw socket of the
// test's own), dials in vain while the AC is frozen, and has a working
// session again once the AC is thawed (SIGCONT).
func TestSilentPppdNoticedWithin15s(t *testing.T) {
	ac := umlac.Start(t, umlac.PAP)
	r := startClient(t, ac.ClientNS.Name, ClientConfig{Username: ac.Username, Password: []byte(ac.Password)})
	up := r.log.wait(t, KindUp, 1, 90*time.Second)
	frames := watchFrames(t, ac.ClientNS.Name, umlac.ClientIf, r.log.wait(t, KindSession, 1, time.Second).ACMAC)
	// Some phase of the echo timer, and a frame or two from the AC seen.
	ac.MustCtl("ping -c 2 -W 5 " + up.Address.String())
	if !netnstest.WaitFor(30*time.Second, func() bool { _, n := frames.get(); return n > 0 }) {
		t.Fatal("the observer saw no frame from the AC")
	}
	m := r.log.mark()
	ac.MustCtl("killall -STOP pppoe-server pppd")
	t.Cleanup(func() { ac.Ctl("killall -CONT pppoe-server pppd") })
	frozen := time.Now() // the AC is silent since before this
	down, m := r.log.waitFrom(t, KindDown, m, 60*time.Second)
	last, _ := frames.get()
	el := down.Time.Sub(last)
	t.Logf("frozen AC noticed %v after its last frame (%v after the freeze returned): %s",
		el.Round(100*time.Millisecond), down.Time.Sub(frozen).Round(100*time.Millisecond), down.Reason)
	if el > 15*time.Second {
		t.Errorf("frozen AC noticed %v after its last frame, want <= 15 s", el)
	}
	if last.After(frozen) {
		t.Errorf("a frame from the AC %v after it was frozen: the freeze did not silence it", last.Sub(frozen))
	}
	if !strings.Contains(down.Reason, "stopped answering") || down.RetryIn == 0 {
		t.Errorf("down event %+v, want the echo timeout and a retry", down)
	}
	// Frozen, the AC lets no new session up (the client keeps trying).
	time.Sleep(5 * time.Second)
	if r.log.countFrom(KindUp, m) > 0 {
		t.Fatalf("a session came up while the AC was frozen:\n%s", r.log)
	}
	ac.MustCtl("killall -CONT pppoe-server pppd")
	up2, _ := r.log.waitFrom(t, KindUp, m, 90*time.Second)
	ac.MustCtl("ping -c 1 -W 5 " + up2.Address.String())
}
