package ppp

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestLossyLink runs client and server over a link that loses, duplicates
// and reorders 30-90% of the frames for the first minute (seeded,
// deterministic).
// Whatever happened meanwhile, both ends must be up once the link is
// clean, or have reported EventDown (and then come up after reopening):
// no state may wedge.
func TestLossyLink(t *testing.T) {
	const lossy = time.Minute
	var lost, downs, runs int
	for seed := uint64(1); seed <= 40; seed++ {
		for _, auth := range []AuthMethod{AuthPAP, AuthCHAP} {
			cc, sc := clientConfig(), serverConfig(auth)
			cc.IPv6CP, sc.IPv6CP = seed%2 == 0, seed%2 == 0
			w := newWire(t, cc, sc)
			r := rand.New(rand.NewPCG(seed, uint64(auth)))
			lossPct := 30 + int(seed%7)*10 // 30% .. 90%
			var held [][2]any              // delayed frames: {fromClient bool, frame}
			w.drop = func(fromClient bool, f []byte) bool {
				if w.now.Sub(t0) > lossy {
					return false
				}
				switch x := r.IntN(100); {
				case x < lossPct:
					lost++
					return true // lost
				case x < lossPct+5:
					held = append(held, [2]any{fromClient, f}) // delivered later
					return true
				case x < lossPct+10:
					if fromClient { // duplicated
						w.s.Input(w.now, f)
					} else {
						w.c.Input(w.now, f)
					}
				}
				return false
			}
			w.s.Open(w.now)
			w.c.Open(w.now)
			for i := 0; i < 1000 && w.now.Sub(t0) < lossy; i++ {
				w.run(time.Second, func() bool { return false })
				for _, h := range held {
					if h[0].(bool) {
						w.s.Input(w.now, h[1].([]byte))
					} else {
						w.c.Input(w.now, h[1].([]byte))
					}
				}
				held = nil
				w.now = w.now.Add(100 * time.Millisecond)
			}
			// Clean link from now on. A side that gave up is reopened, as
			// the session driver would after EventDown.
			runs++
			if w.c.downSent || w.s.downSent {
				downs++
			}
			ok := w.run(3*time.Minute, func() bool {
				for _, c := range []*Conn{w.c, w.s} {
					if c.downSent {
						c.Events()
						c.Open(w.now)
					}
				}
				return bothUp(w)()
			})
			if !ok {
				t.Fatalf("seed %d %v: wedged: client LCP %v IPCP %v auth %v, server LCP %v IPCP %v; events %v / %v",
					seed, auth, w.c.LCPState(), w.c.IPCPState(), w.c.auth.method, w.s.LCPState(), w.s.IPCPState(), kinds(w.evC), kinds(w.evS))
			}
		}
	}
	t.Logf("%d runs, %d frames lost, %d runs with a side down before the link cleared", runs, lost, downs)
	if lost == 0 || downs == 0 {
		t.Errorf("the lossy phase did not bite: %d lost, %d downs", lost, downs)
	}
}
