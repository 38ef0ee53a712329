package session

import (
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/ppp"
)

// TestSilentACNoticedWithin15s: with the default keepalive (no knobs set),
// an access concentrator that falls silent (every PPPoE session frame from
// it dropped at the client's ingress, as when it hangs or its line is
// cut) is declared dead within 15 s of going silent, and the client says
// so and dials again.
func TestSilentACNoticedWithin15s(t *testing.T) {
	isp := netnstest.New(t, "isp")
	home := netnstest.New(t, "home")
	netnstest.Veth(t, isp, "isp0", home, "home0")
	acLog, _ := runOwnAC(t, isp, ACConfig{Auth: ppp.AuthPAP})
	r := startClient(t, home.Name, ClientConfig{Interface: "home0", Username: "alice", Password: []byte("wonderland")})
	r.log.wait(t, KindUp, 1, 30*time.Second)
	acLog.wait(t, KindUp, 1, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // some phase of the echo timer
	nftIngress(t, home, "home0", map[string]string{"session": "ether type 0x8864 drop"})
	silent := time.Now()
	down := r.log.wait(t, KindDown, 1, 30*time.Second)
	el := time.Since(silent)
	t.Logf("silent AC noticed after %v: %s", el.Round(100*time.Millisecond), down.Reason)
	if el > 15*time.Second {
		t.Errorf("silent AC noticed after %v, want <= 15 s", el)
	}
	if !strings.Contains(down.Reason, "stopped answering") || down.Code != "session-silent" {
		t.Errorf("down reason %q (code %q), want the echo timeout", down.Reason, down.Code)
	}
	if n := nftCount(t, home, "session"); n < 3 {
		t.Errorf("only %d frames from the AC dropped", n)
	}
}
